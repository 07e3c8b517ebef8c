//! The article model: the record of `docs/article-format.md`, validated.
//!
//! Owns: turning an untrusted JSON object (an import line, an API body, a store
//! row) into an [`Article`], reporting every bad field by name; the cleaned text
//! of every field (through [`clean`], the one place that sanitises).
//! Must not: touch the store, the clock or any output format.

pub mod clean;
mod fields;
pub mod slug;
mod validate;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use fields::is_language_tag;
pub(crate) use validate::FieldError;
pub use validate::{MAX_RECORD_BYTES, from_json, from_json_str};

/// Whether an article may be syndicated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Visible once `published_at` has passed.
    Published,
    /// Stored, never syndicated.
    Draft,
}

impl Status {
    /// The record's spelling of the status.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Draft => "draft",
        }
    }
}

/// The lead image of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// Absolute http(s) URL of the image.
    pub url: String,
    /// MIME type: given, or guessed from the URL's extension (`image/jpeg` otherwise).
    #[serde(rename = "type")]
    pub(crate) mime_type: String,
    /// Width in pixels, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) width: Option<u32>,
    /// Height in pixels, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) height: Option<u32>,
    /// Caption or credit, plain text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// A validated, cleaned article. Every string is free of XML-illegal characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    /// Stable identity in the publisher's CMS; the GUID derives from it alone.
    pub id: String,
    /// Canonical permalink.
    pub url: String,
    /// Headline, plain text on one line.
    pub title: String,
    /// Plain-text standfirst.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Full body, an HTML fragment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_html: Option<String>,
    /// Bylines, distinct by slug, in the record's order.
    pub authors: Vec<String>,
    /// The rubric, e.g. "Maroc".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Related subjects, distinct by slug, in the record's order.
    pub tags: Vec<String>,
    /// First publication time; never moves on edit.
    pub published_at: DateTime<Utc>,
    /// Last substantive update; `published_at` when not given.
    pub updated_at: DateTime<Utc>,
    /// BCP 47 language tag; `None` means the site's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    /// Lead image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Draft or published.
    pub status: Status,
}

/// Where a category of a feed item comes from (Atom gives each its own scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CategoryKind {
    /// The article's section.
    Section,
    /// One of its tags.
    Tag,
}

/// One category of a feed item: a display name and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Category<'a> {
    /// Display name, as the record spells it.
    pub(crate) name: &'a str,
    /// Section or tag.
    pub(crate) kind: CategoryKind,
}

impl Article {
    /// The categories of this article's feed items, in every format: the section,
    /// then the tags, distinct by slug (a tag naming the section, or two spellings
    /// of one name, are one category), first spelling kept.
    pub(crate) fn categories(&self) -> Vec<Category<'_>> {
        let section = self
            .section
            .iter()
            .map(|name| (name, CategoryKind::Section));
        let tags = self.tags.iter().map(|name| (name, CategoryKind::Tag));
        let mut slugs = std::collections::HashSet::new();
        section
            .chain(tags)
            .filter(|(name, _)| slugs.insert(slug::slugify(name)))
            .map(|(name, kind)| Category { name, kind })
            .collect()
    }

    /// A digest of every field, to tell a real change from a re-import of the same record.
    pub fn digest(&self) -> String {
        // Every field, each prefixed by its length, so that no two records collide
        // by shifting text from one field to the next. Laid out in one buffer and
        // hashed at once: BLAKE3 then hashes its 1 KB chunks side by side (SIMD),
        // where field-sized updates go a 64-byte block at a time.
        let body = self.content_html.as_ref().map_or(0, String::len);
        let mut bytes = Vec::with_capacity(body + 1024); // the body and the rest, most often
        let mut put = |text: Option<&str>| match text {
            None => bytes.extend_from_slice(&u64::MAX.to_le_bytes()),
            Some(t) => {
                bytes.extend_from_slice(&(t.len() as u64).to_le_bytes());
                bytes.extend_from_slice(t.as_bytes());
            }
        };
        let image = self.image.as_ref();
        let dims = image.map(|i| format!("{:?}x{:?}", i.width, i.height));
        for text in [
            Some(self.id.as_str()),
            Some(&self.url),
            Some(&self.title),
            self.summary.as_deref(),
            self.content_html.as_deref(),
            self.section.as_deref(),
            self.language.as_deref(),
            Some(self.status.as_str()),
            image.map(|i| i.url.as_str()),
            image.map(|i| i.mime_type.as_str()),
            dims.as_deref(),
            image.and_then(|i| i.caption.as_deref()),
        ] {
            put(text);
        }
        for list in [&self.authors, &self.tags] {
            put(Some(&list.len().to_string()));
            list.iter().for_each(|n| put(Some(n)));
        }
        put(Some(&format!(
            "{} {}",
            self.published_at.timestamp(),
            self.updated_at.timestamp()
        )));
        blake3::hash(&bytes).to_hex()[..32].to_owned()
    }
}

/// What sitemaps show of one article (read from the store without its bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    /// Article id.
    pub id: String,
    /// Permalink.
    pub url: String,
    /// Headline (news sitemap).
    pub title: String,
    /// Language, `None` for the site's.
    pub language: Option<String>,
    /// First publication.
    pub published_at: DateTime<Utc>,
    /// Last update (`lastmod`).
    pub updated_at: DateTime<Utc>,
    /// Lead image URL.
    pub image_url: Option<String>,
}

/// Formats a time the way the store keeps it: RFC 3339, UTC, whole seconds,
/// `Z`; also the W3C Datetime of sitemaps and JSON Feed (`render::w3c_time`).
pub(crate) fn store_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::{CategoryKind, from_json_str};

    #[test]
    fn categories_are_the_section_then_the_tags_distinct_by_slug() {
        let a = from_json_str(
            r#"{"id":"a","url":"https://x.ma/a","title":"T","published_at":"2026-11-29T10:00:00Z",
                "section":"Économie","tags":["Iran","Economie","iran","États-Unis","IRAN"]}"#,
        )
        .expect("valid");
        let got: Vec<(&str, CategoryKind)> =
            a.categories().iter().map(|c| (c.name, c.kind)).collect();
        assert_eq!(
            got,
            [
                ("Économie", CategoryKind::Section),
                ("Iran", CategoryKind::Tag),
                ("États-Unis", CategoryKind::Tag),
            ]
        );
    }

    /// Digests are stored: a new way of computing them must give the same
    /// values, or every re-import after an upgrade would count as a change.
    #[test]
    fn digests_are_those_stored_by_earlier_versions() {
        let long = "<p>Le corps de l’article.</p>".repeat(200); // several BLAKE3 chunks
        let record = format!(
            r#"{{"id":"a","url":"https://x.ma/a","title":"T","published_at":"2026-11-29T10:00:00Z",
                "section":"Maroc","tags":["Iran","États-Unis"],"authors":["S.A"],
                "content_html":"{long}",
                "image":{{"url":"https://x.ma/i.jpg","type":"image/jpeg","width":800,"caption":"Une légende"}}}}"#
        );
        let full = from_json_str(&record).expect("valid");
        let bare = from_json_str(
            r#"{"id":"b","url":"https://x.ma/b","title":"U","published_at":"2026-11-29T10:00:00Z"}"#,
        )
        .expect("valid");
        assert_eq!(full.digest(), "8c58b45b27a4a310a9b40ee0cb9b858f");
        assert_eq!(bare.digest(), "ad18560437fa89da4acf3b9c929f6e3c");
    }
}
