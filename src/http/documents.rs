//! Serving a published document: content type, validators, encodings, 304s.

use super::negotiate::{choose_encoding, not_modified};
use super::{AppState, Body, plain};
use crate::publish::{Artifact, BodyError};
use crate::render::{DocKind, paths};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;

/// The `Content-Type` of a document kind.
pub(crate) fn content_type(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Rss => "application/rss+xml; charset=utf-8",
        DocKind::Atom => "application/atom+xml; charset=utf-8",
        DocKind::JsonFeed => "application/feed+json; charset=utf-8",
        DocKind::Sitemap => "application/xml; charset=utf-8",
        DocKind::Opml => "text/x-opml; charset=utf-8",
        DocKind::Text => "text/plain; charset=utf-8",
        DocKind::Html => "text/html; charset=utf-8",
    }
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
    }
}

/// Answers GET or HEAD for `path`.
pub(crate) async fn serve<B>(
    state: &AppState,
    req: &Request<B>,
    path: &str,
) -> (&'static str, Response<Body>) {
    let key = match path.strip_prefix('/') {
        Some("") => paths::HTML_INDEX,
        Some(rest) => rest,
        None => "",
    };
    // A body read back from disk may have been replaced by a newer generation
    // meanwhile: then the newer one is served.
    for _ in 0..3 {
        let snapshot = state.publisher.snapshot();
        let Some(artifact) = snapshot.get(key) else {
            return (
                "other",
                plain(
                    StatusCode::NOT_FOUND,
                    "no such document; the directory of feeds is at /\n",
                ),
            );
        };
        match respond(state, req, artifact.clone()).await {
            Ok(response) => return (kind_label(artifact.kind), response),
            Err(e) => {
                let current = state.publisher.snapshot();
                let replaced = current.get(key).is_some_and(|a| !Arc::ptr_eq(a, artifact));
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

async fn respond<B>(
    state: &AppState,
    req: &Request<B>,
    artifact: Arc<Artifact>,
) -> Result<Response<Body>, BodyError> {
    let encoding = choose_encoding(req.headers());
    let mut response = Response::new(Body::default());
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(artifact.kind)),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
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
    if not_modified(req.headers(), &artifact, encoding) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(response);
    }
    // Bytes in memory are served at once. Otherwise (the first request for a
    // compressed variant, or a body that left memory) they are made or read
    // back off the async threads, and kept for the requests that follow.
    let bytes = match artifact.ready(encoding) {
        Some(bytes) => bytes,
        None => {
            let (publisher, a) = (state.publisher.clone(), artifact.clone());
            match tokio::task::spawn_blocking(move || publisher.body(&a, encoding)).await {
                Ok(result) => result?,
                Err(_) => {
                    return Ok(plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "compression failed\n",
                    ));
                }
            }
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
