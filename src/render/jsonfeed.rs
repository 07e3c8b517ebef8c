//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), as typed serde structs.

use super::{FeedView, RenderError, guid, paths, w3c_time};
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
    items: Vec<Item<'a>>,
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
pub fn render(site: &Site, view: &FeedView) -> Result<Vec<u8>, RenderError> {
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
        items: view.articles.iter().map(|a| item(site, a)).collect(),
    };
    let mut out = serde_json::to_vec_pretty(&feed).map_err(|source| RenderError::Json {
        path: feed_path,
        source,
    })?;
    out.push(b'\n');
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
        tags: a
            .section
            .iter()
            .chain(&a.tags)
            .map(String::as_str)
            .collect(),
        language: a.language.as_deref(),
    }
}
