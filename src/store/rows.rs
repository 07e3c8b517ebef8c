//! Rows to model values, shared by every backend: a row written by another
//! program goes through the same validation and cleaning as an imported record,
//! whatever is read of it (metadata for the index, links for sitemaps, or the
//! whole article), so an invalid row is left out of every document alike.

use super::{BadRow, Change, Departure, LinkRow, MetaRow};
use crate::model::{self, Article, FieldError, Status};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The text columns of an `articles` row, in schema order.
pub struct ArticleColumns {
    pub id: String,
    pub url: String,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub authors: String,
    pub section: Option<String>,
    pub tags: String,
    pub published_at: String,
    pub updated_at: Option<String>,
    pub language: Option<String>,
    pub image: Option<String>,
    pub status: String,
}

/// Validates a row as a record of article-format.md.
pub fn article(c: ArticleColumns) -> Result<Article, BadRow> {
    let mut map = Map::new();
    let mut errors = Vec::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            map.insert(k.to_owned(), Value::String(v));
        }
    };
    put("id", Some(c.id.clone()));
    put("url", Some(c.url));
    put("title", Some(c.title));
    put("summary", c.summary);
    put("content_html", c.content_html);
    put("section", c.section);
    put("published_at", Some(c.published_at));
    put("updated_at", c.updated_at);
    put("language", c.language);
    put("status", Some(c.status));
    for (key, text) in [
        ("authors", Some(c.authors)),
        ("tags", Some(c.tags)),
        ("image", c.image),
    ] {
        match text.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(v)) => _ = map.insert(key.to_owned(), v),
            Some(Err(e)) => errors.push(FieldError {
                field: key.into(),
                reason: format!("column is not JSON: {e}"),
            }),
            None => {}
        }
    }
    match model::from_json(&map) {
        Ok(article) if errors.is_empty() => Ok(article),
        Ok(_) => Err(BadRow { id: c.id, errors }),
        Err(mut e) => {
            errors.append(&mut e);
            Err(BadRow { id: c.id, errors })
        }
    }
}

/// What the index needs of a valid article.
pub fn meta(a: &Article) -> MetaRow {
    MetaRow {
        id: a.id.clone(),
        published_at: a.published_at,
        updated_at: a.updated_at,
        draft: a.status == Status::Draft,
        section: a.section.clone(),
        authors: a.authors.clone(),
        tags: a.tags.clone(),
    }
}

/// What sitemaps need of a valid article.
pub fn link(a: Article) -> LinkRow {
    LinkRow {
        image_url: a.image.map(|i| i.url),
        id: a.id,
        url: a.url,
        title: a.title,
        language: a.language,
        published_at: a.published_at,
        updated_at: a.updated_at,
    }
}

/// The columns of a change-log entry, dates as RFC 3339 text.
pub struct ChangeColumns {
    pub seq: i64,
    pub article_id: String,
    pub op: String,
    pub at: String,
    pub old_section: Option<String>,
    pub old_authors: Option<String>,
    pub old_tags: Option<String>,
    pub old_published_at: Option<String>,
}

/// A change-log entry, parsed once. `at` is kept to the second (an HTTP date's
/// resolution); a date that does not parse (written by hand) reads as 1970.
pub fn change(c: ChangeColumns) -> Change {
    let time = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .ok()
            .and_then(|t| DateTime::from_timestamp(t.timestamp(), 0))
    };
    let names = |text: Option<String>| -> Vec<String> {
        text.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    };
    let left = c.old_authors.is_some().then(|| Departure {
        section: c.old_section,
        authors: names(c.old_authors),
        tags: names(c.old_tags),
        published_at: c.old_published_at.as_deref().and_then(time),
    });
    Change {
        seq: c.seq as u64,
        article_id: c.article_id,
        at: time(&c.at).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        left,
        truncate: c.op == "truncate",
    }
}
