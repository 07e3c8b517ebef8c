//! Feed items rendered once per article version, shared by every feed showing it.
//!
//! An article sits in the global feed, its section's, its authors' and its tags'
//! feeds: about eight feeds at once. Its `<item>`, `<entry>` and JSON item are
//! the same bytes in each, so they are rendered once (by the crates, through a
//! one-item frame) and a feed is its header with the items spliced in before
//! its closing tags. Splicing never looks inside the bytes: a fragment is the
//! one-item document minus the empty document's head and tail, checked to be so.

use super::{RenderError, atom, jsonfeed, rss};
use crate::config::Site;
use crate::model::Article;
use chrono::{DateTime, Utc};

/// One article's item in the three feed formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedItem {
    /// The article id.
    pub id: Box<str>,
    /// Its `updated_at` (a feed's Last-Modified is the newest among its items).
    pub updated_at: DateTime<Utc>,
    /// `<item>…</item>`.
    pub rss: Box<[u8]>,
    /// `<entry>…</entry>`.
    pub atom: Box<[u8]>,
    /// The JSON object, indented as an element of the feed's `items`.
    pub json: Box<[u8]>,
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
        })
    }

    /// Bytes held, for cache budgets.
    pub fn heap_bytes(&self) -> usize {
        self.id.len() + self.rss.len() + self.atom.len() + self.json.len()
    }
}

/// The part of `full` between the head and the tail of `empty`, where `empty`
/// is the same frame without the item and ends with `tail`. `None` when `full`
/// is not that frame with one thing inserted before `tail`.
pub(super) fn between<'a>(empty: &[u8], full: &'a [u8], tail: &[u8]) -> Option<&'a [u8]> {
    let head = empty.strip_suffix(tail)?;
    full.strip_prefix(head)?.strip_suffix(tail)
}

/// One item's bytes as a feed crate writes them inside a feed: `render` writes
/// the feed frame with no item and with `item`, and the difference is cut out.
pub(super) fn fragment<T>(
    id: &str,
    tail: &[u8],
    render: impl Fn(Vec<T>) -> Result<Vec<u8>, RenderError>,
    item: T,
) -> Result<Vec<u8>, RenderError> {
    let empty = render(Vec::new())?;
    let full = render(vec![item])?;
    between(&empty, &full, tail)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| frame_error(id))
}

/// `frame` (ending with `tail`) with `parts` inserted before `tail`.
pub(super) fn splice<'a>(
    mut frame: Vec<u8>,
    tail: &[u8],
    parts: impl Iterator<Item = &'a [u8]> + Clone,
) -> Option<Vec<u8>> {
    if !frame.ends_with(tail) {
        return None;
    }
    frame.truncate(frame.len() - tail.len());
    frame.reserve(parts.clone().map(<[u8]>::len).sum::<usize>() + tail.len() + 1);
    parts.for_each(|p| frame.extend_from_slice(p));
    frame.extend_from_slice(tail);
    Some(frame)
}

/// The error for a frame that did not have the shape splicing relies on (a
/// change in a feed crate's output; caught by every golden test).
pub(super) fn frame_error(path: &str) -> RenderError {
    RenderError::Xml {
        path: path.to_owned(),
        message: "the feed crate's frame did not end as expected; cannot splice items".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_takes_exactly_the_inserted_part() {
        let empty = b"<a><b/></a>";
        let full = b"<a><b/><i>x</i></a>";
        assert_eq!(between(empty, full, b"</a>"), Some(&b"<i>x</i>"[..]));
        assert_eq!(between(empty, b"<a><c/><i/></a>", b"</a>"), None);
        assert_eq!(between(empty, full, b"</z>"), None);
    }

    #[test]
    fn splice_inserts_before_the_tail() {
        let parts = [&b"<i>1</i>"[..], &b"<i>2</i>"[..]];
        let out = splice(b"<a><b/></a>".to_vec(), b"</a>", parts.iter().copied());
        assert_eq!(out.as_deref(), Some(&b"<a><b/><i>1</i><i>2</i></a>"[..]));
        assert_eq!(
            splice(b"<a>".to_vec(), b"</a>", parts.iter().copied()),
            None
        );
    }
}
