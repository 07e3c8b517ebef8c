//! Rendering: pure functions from views to bytes.
//!
//! Owns: every output format (one file each): RSS 2.0, Atom 1.0, JSON Feed 1.1,
//! sitemaps, the Google News sitemap, robots.txt, OPML, the HTML directory and
//! each feed's HTML page, and the stylesheet a feed opened in a browser uses;
//! the public URL layout; item identity (GUIDs). Must not: do I/O, read the
//! clock (`now` is passed in), or escape text by hand: the rss,
//! atom_syndication, quick-xml, serde_json and maud crates escape.

mod archive;
mod atom;
mod browser;
mod catalogue;
mod directory;
mod html;
mod indexnow;
mod items;
mod jsonfeed;
mod news;
mod page;
pub(crate) mod paths;
mod rss;
mod sitemap;
mod splice;
mod words;
mod xml;

use crate::config::Site;
use crate::index::{FeedInfo, FeedKind};
use chrono::{DateTime, Utc};
use thiserror::Error;

/// Times in sitemaps and JSON Feed (W3C Datetime: RFC 3339, UTC, whole seconds,
/// `Z`) are written exactly as the store keeps them: one function for both.
pub(crate) use crate::model::store_time as w3c_time;
pub use archive::ArchiveNav;
pub(crate) use browser::feed_stylesheet;
pub use catalogue::{DirectoryEntry, NewsStatus, html_directory};
pub use directory::opml;
pub(crate) use directory::robots;
pub(crate) use html::pages_stylesheet;
pub(crate) use indexnow::key_file as indexnow_key_file;
pub use items::RenderedItem;
pub(crate) use news::{MAX_NEWS_URLS, news_hour_parts, news_index};
pub use news::{news_entry, news_sitemap, news_sitemap_from};
pub use sitemap::{SitemapRef, UrlEntry, sitemap_index, sitemaps_by_day};
pub(crate) use sitemap::{
    day_sitemaps, index_entry, month_entry, sitemap_index_from, sitemaps_by_day_from,
};

/// A document failed to render.
#[derive(Debug, Error)]
pub enum RenderError {
    /// The XML writer failed (only possible on an I/O error, which `Vec` never has).
    #[error("{path}: XML writer: {message}")]
    Xml { path: String, message: String },
    /// JSON serialisation failed.
    #[error("{path}: JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
}

/// What a document is, which decides its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// RSS 2.0.
    Rss,
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.1.
    JsonFeed,
    /// Sitemap, sitemap index or news sitemap.
    Sitemap,
    /// OPML outline of the feeds.
    Opml,
    /// robots.txt.
    Text,
    /// The HTML directory and the feed pages.
    Html,
    /// The stylesheet of feeds opened in a browser.
    Css,
}

impl DocKind {
    /// The `Content-Type` of a document of this kind.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            DocKind::Rss => "application/rss+xml; charset=utf-8",
            DocKind::Atom => "application/atom+xml; charset=utf-8",
            DocKind::JsonFeed => "application/feed+json; charset=utf-8",
            DocKind::Sitemap => "application/xml; charset=utf-8",
            DocKind::Opml => "text/x-opml; charset=utf-8",
            DocKind::Text => "text/plain; charset=utf-8",
            DocKind::Html => "text/html; charset=utf-8",
            DocKind::Css => "text/css; charset=utf-8",
        }
    }
}

/// One rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Path under the public URL and the output folder, e.g. `tags/iran/feed.xml`.
    pub path: String,
    /// Format.
    pub(crate) kind: DocKind,
    /// The bytes.
    pub body: Vec<u8>,
    /// Newest change among what it shows (never the time of rendering).
    pub last_modified: Option<DateTime<Utc>>,
    /// When set, what the ETag is made of instead of a hash of `body`: a hash of
    /// what the body was assembled from (a sitemap's kept entries), as pure a
    /// function of the inputs as the bytes, so equal fingerprints mean equal
    /// bytes. It spares hashing megabytes of sitemap on every change.
    pub(crate) fingerprint: Option<String>,
    /// A closed archive page (it has a newer one): served with the long
    /// `[archives] cache_seconds` instead of `[server] max_age`.
    pub(crate) long_cache: bool,
}

impl Document {
    /// A document whose bytes are the ones rendered before under `path` with
    /// this fingerprint (the renderer was told so, and did not assemble them
    /// again): its body is empty and publishing keeps the artifact it has.
    pub(crate) fn unchanged(
        path: String,
        kind: DocKind,
        last_modified: Option<DateTime<Utc>>,
        fingerprint: String,
    ) -> Document {
        Document {
            path,
            kind,
            body: Vec::new(),
            last_modified,
            fingerprint: Some(fingerprint),
            long_cache: false,
        }
    }

    /// Whether this is an [`Document::unchanged`] document (no rendered
    /// document is empty and fingerprinted).
    pub(crate) fn is_unchanged(&self) -> bool {
        self.body.is_empty() && self.fingerprint.is_some()
    }
}

/// The fingerprint of what was rendered before under a path, if anything (the
/// caller keeps it): lets a renderer skip assembling a part whose fingerprint
/// is the same.
pub(crate) type PreviousFingerprint<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A feed to render: which feed, and its items, newest first.
#[derive(Debug, Clone, Copy)]
pub struct FeedView<'a> {
    /// The feed's identity.
    pub info: &'a FeedInfo,
    /// Items shown, newest first.
    pub items: &'a [std::sync::Arc<RenderedItem>],
    /// Its place among the feed's archive pages; `None` when archives are off.
    pub archive: Option<&'a ArchiveNav>,
}

impl FeedView<'_> {
    /// "Actu" for the global feed, "Actu — États-Unis" for a term feed.
    pub fn title(&self, site: &Site) -> String {
        match self.info.key.kind {
            FeedKind::Global => site.title.clone(),
            _ => format!("{} — {}", site.title, self.info.name),
        }
    }

    /// The channel description.
    pub(crate) fn description(&self, site: &Site) -> String {
        match self.info.key.kind {
            FeedKind::Global => site.description.clone(),
            _ => format!("{} — {}", site.description, self.info.name),
        }
    }

    /// Newest `updated_at` among the items.
    pub(crate) fn last_modified(&self) -> Option<DateTime<Utc>> {
        self.items.iter().map(|a| a.updated_at).max()
    }
}

/// The documents of a feed: RSS, Atom, JSON Feed and its HTML page (`hub`: the
/// WebSub hub's URL, shown on the page, when one is configured); of one of its
/// archive pages (see `view.archive`), the three feed formats.
pub fn feed_documents(
    site: &Site,
    view: &FeedView,
    hub: Option<&str>,
) -> Result<Vec<Document>, RenderError> {
    let last_modified = view.last_modified();
    let long_cache = view.is_archive_page() && view.archive.is_some_and(|a| a.next.is_some());
    let doc = |name: &str, kind, body| Document {
        path: view.doc_path(name),
        kind,
        body,
        last_modified,
        fingerprint: None,
        long_cache,
    };
    let mut docs = vec![
        doc(paths::RSS, DocKind::Rss, rss::render(site, view)?),
        doc(paths::ATOM, DocKind::Atom, atom::render(site, view)?),
        doc(
            paths::JSON,
            DocKind::JsonFeed,
            jsonfeed::render(site, view)?,
        ),
    ];
    if !view.is_archive_page() {
        docs.push(doc(
            paths::PAGE,
            DocKind::Html,
            page::render(site, view, hub),
        ));
    }
    Ok(docs)
}

/// A feed's document in one format (`kind` Rss, Atom or JsonFeed; `None` for
/// any other): the built-in WebSub hub sends a feed of some of its items so.
pub(crate) fn feed_document(
    site: &Site,
    view: &FeedView,
    kind: DocKind,
) -> Result<Option<Vec<u8>>, RenderError> {
    Ok(Some(match kind {
        DocKind::Rss => rss::render(site, view)?,
        DocKind::Atom => atom::render(site, view)?,
        DocKind::JsonFeed => jsonfeed::render(site, view)?,
        _ => return Ok(None),
    }))
}

/// The GUID of an article: a `tag:` URI from the configured authority and the
/// article id alone, so that no change of title, URL or host makes a new item.
pub fn guid(site: &Site, article_id: &str) -> String {
    format!(
        "tag:{}:article/{}",
        site.guid_authority,
        paths::encode_segment(article_id)
    )
}
