//! What a subscriber is sent: the topic as a feed of only the items new or
//! changed since its last delivery (WebSub §7 allows a diff for formats that
//! can express one; a feed of some items is one).
//!
//! Owns: the per-subscription record of what was sent (item id → version of
//! the item's bytes in the topic's format), and choosing and rendering the
//! items of a diff with the pure renderers. Must not: send, store or read the clock.

use crate::config::Site;
use crate::pipeline::Head;
use crate::render::{self, DocKind, FeedView, RenderError, RenderedItem};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a subscriber was sent: item id → version.
type Sent = BTreeMap<String, String>;

/// A diff to send.
#[derive(Debug)]
pub(crate) struct Diff {
    /// The document, `None` when nothing is new (nothing is sent).
    pub(crate) body: Option<Vec<u8>>,
    /// Items in the diff.
    pub(crate) items: usize,
    /// What the subscriber has once it is delivered (JSON, to store).
    pub(crate) sent: String,
}

/// The bytes of `item` in the format of `kind`.
fn bytes(item: &RenderedItem, kind: DocKind) -> &[u8] {
    match kind {
        DocKind::Atom => &item.atom,
        DocKind::JsonFeed => &item.json,
        _ => &item.rss,
    }
}

/// The version of an item as a subscriber to `kind` sees it: a hash of its
/// bytes (any change a subscriber could see makes a new version).
fn version(item: &RenderedItem, kind: DocKind) -> String {
    blake3::hash(bytes(item, kind)).to_hex()[..16].to_owned()
}

/// What a subscriber who has every item `head` shows has been sent (JSON):
/// a new subscriber is sent what comes after its subscription.
pub(crate) fn baseline(head: &Head, kind: DocKind) -> String {
    let sent: Sent = head
        .items
        .iter()
        .map(|i| (i.id.to_string(), version(i, kind)))
        .collect();
    serde_json::to_string(&sent).unwrap_or_else(|_| "{}".into())
}

/// The diff of `head` in the format of `kind` for a subscriber that was sent
/// `sent` (JSON as [`baseline`] makes it; unreadable counts as nothing sent).
pub(crate) fn diff(
    site: &Site,
    head: &Head,
    kind: DocKind,
    sent: &str,
) -> Result<Diff, RenderError> {
    let before: Sent = serde_json::from_str(sent).unwrap_or_default();
    let mut now = Sent::new();
    let mut fresh: Vec<Arc<RenderedItem>> = Vec::new();
    for item in &head.items {
        let v = version(item, kind);
        if before.get(&*item.id) != Some(&v) {
            fresh.push(item.clone());
        }
        now.insert(item.id.to_string(), v);
    }
    let sent = serde_json::to_string(&now).unwrap_or_else(|_| "{}".into());
    if fresh.is_empty() {
        return Ok(Diff {
            body: None,
            items: 0,
            sent,
        });
    }
    let view = FeedView {
        info: &head.info,
        items: &fresh,
        archive: None,
    };
    Ok(Diff {
        body: render::feed_document(site, &view, kind)?,
        items: fresh.len(),
        sent,
    })
}
