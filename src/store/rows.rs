//! Rows to model values, shared by every backend: a row written by another
//! program goes through the same validation and cleaning as an imported record.

use super::{BadRow, LinkRow, MetaRow};
use crate::model::{self, Article, FieldError, clean_names};
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

/// The metadata columns of a row: id, published_at, updated_at, status, section, authors, tags.
pub struct MetaColumns {
    pub id: String,
    pub published_at: String,
    pub updated_at: Option<String>,
    pub status: String,
    pub section: Option<String>,
    pub authors: String,
    pub tags: String,
}

/// Reads the metadata of a row, with the same cleaning as a full article.
pub fn meta(c: MetaColumns) -> Result<MetaRow, BadRow> {
    let mut errors = Vec::new();
    let published_at = time("published_at", Some(&c.published_at), &mut errors);
    let updated_at = time("updated_at", c.updated_at.as_deref(), &mut errors);
    let authors = names("authors", &c.authors, &mut errors);
    let tags = names("tags", &c.tags, &mut errors);
    let section = c
        .section
        .map(|s| model::clean::line(&s))
        .filter(|s| !s.is_empty());
    match (published_at, errors.is_empty()) {
        (Some(published_at), true) => Ok(MetaRow {
            id: c.id,
            published_at,
            updated_at: updated_at.unwrap_or(published_at).max(published_at),
            draft: c.status == "draft",
            section,
            authors,
            tags,
        }),
        _ => Err(BadRow { id: c.id, errors }),
    }
}

/// The sitemap columns: id, url, title, language, published_at, updated_at, image.
pub struct LinkColumns {
    pub id: String,
    pub url: String,
    pub title: String,
    pub language: Option<String>,
    pub published_at: String,
    pub updated_at: Option<String>,
    pub image: Option<String>,
}

/// Reads a sitemap row; `None` when the row is invalid (the index already skipped it).
pub fn link(c: LinkColumns) -> Option<LinkRow> {
    let mut errors = Vec::new();
    let published_at = time("published_at", Some(&c.published_at), &mut errors)?;
    let updated_at =
        time("updated_at", c.updated_at.as_deref(), &mut errors).unwrap_or(published_at);
    let image_url = c
        .image
        .as_deref()
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| v.get("url").and_then(Value::as_str).map(model::clean::line));
    Some(LinkRow {
        id: c.id,
        url: model::clean::line(&c.url),
        title: model::clean::line(&c.title),
        language: c
            .language
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty()),
        published_at,
        updated_at: updated_at.max(published_at),
        image_url,
    })
}

fn time(field: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let text = text?;
    match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(e) => {
            errors.push(FieldError {
                field: field.into(),
                reason: format!("{text:?} is not RFC 3339 ({e})"),
            });
            None
        }
    }
}

fn names(field: &str, json: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(json) {
        Ok(list) => clean_names(list.iter().map(String::as_str)),
        Err(e) => {
            errors.push(FieldError {
                field: field.into(),
                reason: format!("not a JSON array of strings: {e}"),
            });
            Vec::new()
        }
    }
}
