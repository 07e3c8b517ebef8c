//! Feed archives (RFC 5005 §4): the links and marks that chain a feed's current
//! document and its archive pages, for each format. The formats call these
//! and know nothing of archives themselves.
//!
//! Directions: `prev-archive` points to the next *older* page, `next-archive`
//! to the next *newer* one, `current` to the feed's current document. The
//! current document links only `prev-archive`, to the newest page. JSON Feed
//! has only `next_url` ("the next n items", i.e. older ones): it follows
//! `prev-archive` (current document → newest page → … → oldest page, which has
//! none). Must not: do I/O or read the clock.

use super::{FeedView, paths};
use crate::config::Site;
use std::collections::BTreeMap;

/// RFC 5005's namespace, for `<fh:archive/>`.
pub(crate) const FH_NAMESPACE: &str = "http://purl.org/syndication/history/1.0";

/// Where a feed document sits among its archive pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveNav {
    /// This page's period label (`2026-11`); `None` for the current document.
    pub page: Option<String>,
    /// The next older page's label (for the current document: the newest page).
    pub prev: Option<String>,
    /// The next newer page's label (archive pages only; `None` for the newest).
    pub next: Option<String>,
}

/// The folder of a feed's archive page: `tags/iran/archive/2026-11/`.
pub(crate) fn page_dir(view: &FeedView, label: &str) -> String {
    format!("{}archive/{label}/", paths::feed_dir(view.info))
}

impl FeedView<'_> {
    /// The path of this document in format `file`: the feed's own, or its archive page's.
    pub(crate) fn doc_path(&self, file: &str) -> String {
        match self.archive.and_then(|a| a.page.as_deref()) {
            Some(label) => format!("{}{file}", page_dir(self, label)),
            None => paths::feed_doc(self.info, file),
        }
    }

    /// Whether this is an archive page (not the current document).
    pub(crate) fn is_archive_page(&self) -> bool {
        self.archive.is_some_and(|a| a.page.is_some())
    }
}

/// `(rel, href)` of every archive link of this document in format `file`.
pub(crate) fn links(site: &Site, view: &FeedView, file: &str) -> Vec<(&'static str, String)> {
    let Some(nav) = view.archive else {
        return Vec::new();
    };
    let page = |label: &String| paths::url(site, &format!("{}{file}", page_dir(view, label)));
    let mut links = Vec::new();
    if nav.page.is_some() {
        links.push((
            "current",
            paths::url(site, &paths::feed_doc(view.info, file)),
        ));
    }
    links.extend(nav.prev.as_ref().map(|l| ("prev-archive", page(l))));
    links.extend(nav.next.as_ref().map(|l| ("next-archive", page(l))));
    links
}

/// JSON Feed's `next_url`: the next older page, if any.
pub(crate) fn json_next_url(site: &Site, view: &FeedView) -> Option<String> {
    let label = view.archive?.prev.as_ref()?;
    Some(paths::url(
        site,
        &format!("{}{}", page_dir(view, label), paths::JSON),
    ))
}

/// The `fh` namespace, declared on archive pages only.
pub(crate) fn namespace(view: &FeedView) -> Option<(String, String)> {
    view.is_archive_page()
        .then(|| ("fh".to_owned(), FH_NAMESPACE.to_owned()))
}

/// `<fh:archive/>` as the element both feed crates write (`name`, no value,
/// attributes or children), on archive pages only.
pub(crate) fn archive_mark<E>(view: &FeedView, make: impl FnOnce(String) -> E) -> ExtensionMap<E> {
    if !view.is_archive_page() {
        return BTreeMap::new();
    }
    let element = make("fh:archive".to_owned());
    BTreeMap::from([(
        "fh".to_owned(),
        BTreeMap::from([("archive".to_owned(), vec![element])]),
    )])
}

/// The extension maps of both crates have this shape.
pub(crate) type ExtensionMap<E> = BTreeMap<String, BTreeMap<String, Vec<E>>>;
