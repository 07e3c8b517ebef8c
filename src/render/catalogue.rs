//! The HTML directory of feeds (`feeds/index.html`): every feed with its item
//! count and last change, the global feed, sections, tags, then authors; the
//! news sitemap's size and last regeneration; a filter box when scripts run.
//!
//! Kept small for thousands of feeds: one table row per feed, links relative.
//! Must not: escape by hand (maud does), read the clock: every time shown is
//! an input (a feed's last change, the news sitemap's), so the bytes, and the
//! ETag, change only when those do.

use super::directory::{labels, title};
use super::html::{self, words_of};
use super::page::FORMATS;
use super::words::long_date;
use super::{DocKind, Document, paths};
use crate::config::Site;
use crate::index::{FeedInfo, FeedKind};
use chrono::{DateTime, Utc};
use maud::html;

/// One feed as the directory shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The feed.
    pub info: FeedInfo,
    /// Visible articles in it.
    pub items: usize,
    /// Its documents' Last-Modified, when rendered.
    pub last_change: Option<DateTime<Utc>>,
}

/// What the directory says of the Google News sitemap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewsStatus {
    /// URLs it lists.
    pub urls: usize,
    /// Its Last-Modified: when its content last changed.
    pub regenerated: Option<DateTime<Utc>>,
}

/// `feeds/index.html`.
pub fn html_directory(site: &Site, feeds: &[DirectoryEntry], news: Option<NewsStatus>) -> Document {
    let w = words_of(site);
    let page_title = format!("{} — {}", site.title, w.feeds);
    let head = html! {
        meta name="description" content=(site.description.as_str());
        @for e in feeds.iter().filter(|e| matches!(e.info.key.kind, FeedKind::Global | FeedKind::Section)) {
            @for (file, mime, _) in FORMATS {
                link rel="alternate" type=(mime) title=(title(site, &e.info))
                    href=(paths::url(site, &paths::feed_doc(&e.info, file)));
            }
        }
    };
    let main = html! {
        h1 { (page_title) }
        p.lede { (site.description.as_str()) }
        p { a href={ "../" (paths::OPML) } type="text/x-opml" { (w.opml) } }
        @if let Some(news) = news {
            p {
                a href={ "../" (paths::NEWS_SITEMAP) } { (w.news[0]) } " " (news.urls) " " (w.news[1]) " "
                @if let Some(t) = news.regenerated {
                    time datetime=(crate::model::store_time(t)) data-local="" { (long_date(t, &site.language)) }
                } @else { "—" }
            }
        }
        form #filter role="search" hidden {
            label for="q" { (w.filter) } " "
            input #q type="search" autocomplete="off";
        }
        @for (i, (kind, label)) in labels(&site.language).into_iter().enumerate() {
            @let group: Vec<&DirectoryEntry> = feeds.iter().filter(|e| e.info.key.kind == kind).collect();
            @if !group.is_empty() {
                section aria-labelledby={ "g" (i) } {
                    h2 id={ "g" (i) } { (label) " (" (group.len()) ")" }
                    table {
                        thead { tr { th scope="col" { (w.columns[0]) } th scope="col" { (w.columns[1]) } th scope="col" { (w.columns[2]) } } }
                        tbody {
                            @for e in group {
                                tr {
                                    td { a href={ "../" (paths::feed_dir(&e.info)) } { (name(site, &e.info)) } }
                                    td { (e.items) }
                                    td { @if let Some(t) = e.last_change {
                                        time datetime=(crate::model::store_time(t)) data-local="day" { (super::page::day(site, t)) }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let last_modified = feeds
        .iter()
        .filter_map(|e| e.last_change)
        .chain(news.and_then(|n| n.regenerated))
        .max();
    Document {
        path: paths::DIRECTORY.into(),
        kind: DocKind::Html,
        body: html::page(site, "../", &page_title, head, main),
        last_modified,
        fingerprint: None,
        long_cache: false,
    }
}

/// A feed's name in the list: the site's title for the global feed.
fn name<'a>(site: &'a Site, info: &'a FeedInfo) -> &'a str {
    match info.key.kind {
        FeedKind::Global => &site.title,
        _ => &info.name,
    }
}
