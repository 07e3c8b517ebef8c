//! Serving a published document: content type, validators, encodings, 304s.

use super::loads::LoadError;
use super::negotiate::{choose_encoding, not_modified};
use super::{AppState, Body, plain};
use crate::publish::{Artifact, BodyError};
use crate::render::{DocKind, paths};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;

/// The `Content-Type` of a document kind.
pub(crate) fn content_type(kind: DocKind) -> &'static str {
    kind.content_type()
}

/// The type RSS and Atom are served with to a browser navigating to them: the
/// same bytes. Chromium shows `application/rss+xml` and `application/atom+xml`
/// as plain text and ignores their stylesheet; it renders `application/xml`
/// through it (tests/it/browser_feeds.rs measures both; README, "Pages").
const BROWSER_FEED_TYPE: &str = "application/xml; charset=utf-8";

/// Whether a request comes from a browser opening a feed: it asks for HTML and
/// names neither feed type (a reader naming one gets it, whatever else it lists).
fn browser_navigation(headers: &hyper::HeaderMap) -> bool {
    let mut html = false;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(text) = value.to_str() else { continue };
        for range in text.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.replace(' ', "").starts_with("q=0")
                    && !p.contains(|c: char| matches!(c, '1'..='9'))
            });
            match media.as_str() {
                "application/rss+xml" | "application/atom+xml" => return false,
                "text/html" if !refused => html = true,
                _ => {}
            }
        }
    }
    html
}

/// The metrics label of a document kind.
pub(crate) fn kind_label(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Rss => "rss",
        DocKind::Atom => "atom",
        DocKind::JsonFeed => "jsonfeed",
        DocKind::Sitemap => "sitemap",
        DocKind::Opml => "opml",
        DocKind::Text => "robots",
        DocKind::Html => "html",
        DocKind::Css => "css",
    }
}

/// Answers GET or HEAD for `path`.
pub(crate) async fn serve<B>(
    state: &AppState,
    req: &Request<B>,
    path: &str,
) -> (&'static str, Response<Body>) {
    // A folder is its `index.html` (a feed's page, the directory), as on any
    // static server; a folder named without its slash is sent to it.
    let rest = path.strip_prefix('/').unwrap_or("");
    let folder_index;
    let key = if rest.is_empty() || rest.ends_with('/') {
        folder_index = format!("{rest}{}", paths::PAGE);
        folder_index.as_str()
    } else {
        rest
    };
    // A body read back from disk may have been replaced by a newer generation
    // meanwhile: then the newer one is served.
    for _ in 0..3 {
        let Some(artifact) = state.publisher.artifact(key) else {
            if let Some(response) = to_folder(state, rest) {
                return ("other", response);
            }
            return (
                "other",
                plain(
                    StatusCode::NOT_FOUND,
                    "no such document; the directory of feeds is at /feeds/\n",
                ),
            );
        };
        let (kind, seen) = (kind_label(artifact.kind), Arc::as_ptr(&artifact) as usize);
        match respond(state, req, artifact).await {
            Ok(response) => return (kind, response),
            Err(e) => {
                let replaced = (state.publisher.artifact(key))
                    .is_some_and(|a| Arc::as_ptr(&a) as usize != seen);
                if !replaced {
                    tracing::error!(error = %e, "document not served");
                    break;
                }
            }
        }
    }
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "this document cannot be read right now; retry later\n",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    ("other", response)
}

/// A redirect to `rest/` when `rest`, which names no document, is a folder
/// with a page.
fn to_folder(state: &AppState, rest: &str) -> Option<Response<Body>> {
    if rest.is_empty() || rest.ends_with('/') {
        return None;
    }
    state
        .publisher
        .artifact(&format!("{rest}/{}", paths::PAGE))?;
    let location = format!("{}{rest}/", state.config.site.public_url);
    let mut response = plain(StatusCode::MOVED_PERMANENTLY, "moved to the folder\n");
    let value = HeaderValue::try_from(location).ok()?;
    response.headers_mut().insert(header::LOCATION, value);
    Some(response)
}

async fn respond<B>(
    state: &AppState,
    req: &Request<B>,
    artifact: Arc<Artifact>,
) -> Result<Response<Body>, BodyError> {
    let encoding = choose_encoding(req.headers());
    let mut response = Response::new(Body::default());
    let h = response.headers_mut();
    let feed = matches!(artifact.kind, DocKind::Rss | DocKind::Atom);
    let ctype = match feed && browser_navigation(req.headers()) {
        true => BROWSER_FEED_TYPE,
        false => content_type(artifact.kind),
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    let vary = if feed {
        "Accept-Encoding, Accept"
    } else {
        "Accept-Encoding"
    };
    h.insert(header::VARY, HeaderValue::from_static(vary));
    // The validators' text was made once per document version (shared bytes,
    // not copied); the self link is the public URL and the path.
    if let Some(etag) = header_value(artifact.etag(encoding)) {
        h.insert(header::ETAG, etag);
    }
    if let Some(lm) = artifact.http_date().and_then(header_value) {
        h.insert(header::LAST_MODIFIED, lm);
    }
    let cache_control = match artifact.long_cache {
        true => &state.archive_cache_control,
        false => &state.cache_control,
    };
    h.insert(header::CACHE_CONTROL, cache_control.clone());
    // One allocation, taken over by the header value: `<{paths::url}>; rel="self"`.
    let (public_url, path) = (&state.config.site.public_url, &artifact.path);
    if let Ok(link) = HeaderValue::try_from(format!("<{public_url}{path}>; rel=\"self\"")) {
        h.insert(header::LINK, link);
    }
    if matches!(
        artifact.kind,
        DocKind::Rss | DocKind::Atom | DocKind::JsonFeed
    ) {
        // WebSub discovery: the hubs of the topic (the self link above).
        for hub in &state.config.site.hubs {
            if let Ok(link) = HeaderValue::try_from(format!("<{hub}>; rel=\"hub\"")) {
                h.append(header::LINK, link);
            }
        }
    }
    if not_modified(req.headers(), &artifact, encoding) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(response);
    }
    // Bytes in memory are served at once. Otherwise (the first request for a
    // compressed variant, or a body that left memory) they are made or read
    // back off the async threads, and kept for the requests that follow.
    let bytes = match state.loads.body(state, &artifact, encoding).await {
        Ok(bytes) => bytes,
        Err(LoadError::Body(e)) => return Err(e),
        Err(e @ LoadError::Task(_)) => {
            tracing::error!(error = %e, "document not served");
            return Ok(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "compression failed\n",
            ));
        }
    };
    let h = response.headers_mut();
    if let Some(token) = encoding.token() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    if req.method() == Method::HEAD {
        return Ok(response);
    }
    state.metrics.bytes_sent.inc_by(bytes.len() as u64);
    *response.body_mut() = Body::from(bytes);
    Ok(response)
}

/// A header value over shared bytes (no copy); `None` if they are not valid
/// in a header, which publish's validators and the configured URL always are.
fn header_value(text: &bytes::Bytes) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(text.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::browser_navigation;
    use hyper::HeaderMap;
    use hyper::header::{ACCEPT, HeaderValue};

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn only_a_browser_asking_for_html_and_no_feed_type_is_a_navigation() {
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
        assert!(browser_navigation(&accept(chromium)));
        let reader = "application/rss+xml, application/atom+xml;q=0.9, text/html;q=0.5, */*;q=0.1";
        assert!(!browser_navigation(&accept(reader)));
        assert!(!browser_navigation(&accept("*/*")));
        assert!(!browser_navigation(&accept("text/html;q=0, */*")));
        assert!(!browser_navigation(&HeaderMap::new()));
    }
}
