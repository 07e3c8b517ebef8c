//! The public URL layout. URLs are file paths under the output folder.

use crate::config::Site;
use crate::index::FeedInfo;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RSS file name in a feed folder.
pub(crate) const RSS: &str = "feed.xml";
/// Atom file name in a feed folder.
pub(crate) const ATOM: &str = "atom.xml";
/// JSON Feed file name in a feed folder.
pub(crate) const JSON: &str = "feed.json";
/// The sitemap index.
pub(crate) const SITEMAP_INDEX: &str = "sitemap.xml";
/// The Google News sitemap (a urlset, or an index over `news-sitemaps/` parts).
pub(crate) const NEWS_SITEMAP: &str = "news-sitemap.xml";
/// robots.txt.
pub(crate) const ROBOTS: &str = "robots.txt";
/// The OPML outline.
pub(crate) const OPML: &str = "feeds.opml";
/// A feed's HTML page in its folder (the global feed's is the site's root page).
pub(crate) const PAGE: &str = "index.html";
/// The folder of the HTML directory of feeds.
pub(crate) const DIRECTORY_DIR: &str = "feeds/";
/// The HTML directory of feeds, served at `/feeds/`.
pub(crate) const DIRECTORY: &str = "feeds/index.html";
/// The stylesheet a feed opened in a browser is shown with.
pub(crate) const FEED_CSS: &str = "feed.css";
/// The stylesheet of the HTML pages (feed pages and the directory), one file
/// that browsers cache rather than a copy in every page.
pub(crate) const PAGES_CSS: &str = "pages.css";

/// Characters kept as they are in a path segment or tag URI (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment.
pub(crate) fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The folder of a feed's three documents: `""` for the global feed,
/// `tags/etats-unis/` for a tag.
pub(crate) fn feed_dir(info: &FeedInfo) -> String {
    match info.key.kind.folder() {
        None => String::new(),
        Some(folder) => format!("{folder}/{}/", info.slug),
    }
}

/// The path of one of a feed's documents, e.g. `tags/etats-unis/atom.xml`.
pub(crate) fn feed_doc(info: &FeedInfo, file: &str) -> String {
    format!("{}{file}", feed_dir(info))
}

/// The relative path from a feed's folder up to the root: `""` or `../../`.
pub(crate) fn to_root(info: &FeedInfo) -> &'static str {
    match info.key.kind.folder() {
        None => "",
        Some(_) => "../../",
    }
}

/// The absolute URL of a document path.
pub(crate) fn url(site: &Site, path: &str) -> String {
    format!("{}{}", site.public_url, path)
}
