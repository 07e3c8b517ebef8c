//! Feed items rendered once per article version, shared by every feed showing it
//! (and their `<li>` on the feed pages).
//!
//! An article sits in the global feed, its section's, its authors' and its tags'
//! feeds: about eight feeds at once. Its `<item>`, `<entry>` and JSON item are
//! the same bytes in each, so they are rendered once (each format renders its
//! own, see [`super::splice`]) and a feed is its header with the items spliced
//! in. This module only gathers the three; it knows no format.

use super::{RenderError, atom, jsonfeed, page, rss};
use crate::config::Site;
use crate::model::Article;
use chrono::{DateTime, Utc};

/// One article's item in the three feed formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedItem {
    /// The article id.
    pub(crate) id: Box<str>,
    /// Its `updated_at` (a feed's Last-Modified is the newest among its items).
    pub(crate) updated_at: DateTime<Utc>,
    /// `<item>…</item>`.
    pub(crate) rss: Box<[u8]>,
    /// `<entry>…</entry>`.
    pub(crate) atom: Box<[u8]>,
    /// The JSON object, indented as an element of the feed's `items`.
    pub(crate) json: Box<[u8]>,
    /// The `<li>` of the feed's HTML page.
    pub(crate) html: Box<str>,
}

impl RenderedItem {
    /// Renders `article`'s item in the three formats.
    pub fn render(site: &Site, article: &Article) -> Result<RenderedItem, RenderError> {
        Ok(RenderedItem {
            id: article.id.as_str().into(),
            updated_at: article.updated_at,
            rss: rss::item_xml(site, article)?.into(),
            atom: atom::entry_xml(site, article)?.into(),
            json: jsonfeed::item_json(site, article)?.into(),
            html: page::item_html(site, article).into(),
        })
    }

    /// Bytes held, for cache budgets.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.id.len() + self.rss.len() + self.atom.len() + self.json.len() + self.html.len()
    }
}
