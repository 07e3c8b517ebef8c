//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), as typed serde structs.

use super::{FeedView, RenderError, archive, guid, paths, w3c_time};
use crate::config::Site;
use crate::model::Article;
use serde::Serialize;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    home_page_url: &'a str,
    feed_url: String,
    description: String,
    language: &'a str,
    authors: Vec<Author<'a>>,
    /// WebSub hubs (JSON Feed 1.1 `hubs`), absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    /// The next older archive page (JSON Feed's pagination; see `archive`).
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
}

/// A JSON Feed `hubs` entry.
#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    /// Required when there is no HTML: the spec wants one of the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
}

/// Renders a feed as JSON Feed 1.1, pretty-printed.
pub(crate) fn render(site: &Site, view: &FeedView) -> Result<Vec<u8>, RenderError> {
    let feed_path = paths::feed_doc(view.info, paths::JSON);
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: view.title(site),
        home_page_url: &site.home_url,
        feed_url: paths::url(site, &feed_path),
        description: view.description(site),
        language: &site.language,
        authors: vec![Author {
            name: &site.publication_name,
        }],
        hubs: site
            .hubs
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        next_url: archive::json_next_url(site, view),
    };
    let json_err = |source| RenderError::Json {
        path: feed_path.clone(),
        source,
    };
    let mut out = serde_json::to_vec_pretty(&feed).map_err(json_err)?;
    // `items` is the last member: the header's closing `\n}` becomes the array.
    if !out.ends_with(b"\n}") {
        return Err(super::splice::frame_error(&feed_path));
    }
    out.truncate(out.len() - 2);
    out.extend_from_slice(b",\n  \"items\": [");
    for (n, item) in view.items.iter().enumerate() {
        out.extend_from_slice(if n == 0 { b"\n" } else { b",\n" });
        out.extend_from_slice(&item.json);
    }
    if !view.items.is_empty() {
        out.extend_from_slice(b"\n  ");
    }
    out.extend_from_slice(b"]\n}\n");
    Ok(out)
}

/// An article's item, pretty-printed and indented as an element of `items`
/// (serde_json escapes newlines inside strings, so every raw newline is layout).
pub(crate) fn item_json(site: &Site, a: &Article) -> Result<Vec<u8>, RenderError> {
    let alone = serde_json::to_vec_pretty(&item(site, a)).map_err(|source| RenderError::Json {
        path: a.id.clone(),
        source,
    })?;
    let mut out = Vec::with_capacity(alone.len() + alone.len() / 16);
    for (n, line) in alone.split(|&b| b == b'\n').enumerate() {
        out.extend_from_slice(if n == 0 { b"    " } else { b"\n    " });
        out.extend_from_slice(line);
    }
    Ok(out)
}

fn item<'a>(site: &Site, a: &'a Article) -> Item<'a> {
    Item {
        id: guid(site, &a.id),
        url: &a.url,
        title: &a.title,
        content_html: a.content_html.as_deref(),
        content_text: match a.content_html {
            Some(_) => None,
            None => Some(a.summary.as_deref().unwrap_or(&a.title)),
        },
        summary: a.summary.as_deref(),
        image: a.image.as_ref().map(|i| i.url.as_str()),
        date_published: w3c_time(a.published_at),
        date_modified: w3c_time(a.updated_at),
        authors: a.authors.iter().map(|n| Author { name: n }).collect(),
        tags: a.categories().into_iter().map(|c| c.name).collect(),
        language: a.language.as_deref(),
    }
}
