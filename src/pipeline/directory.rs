//! The directory unit: `feeds.opml`, `feeds/index.html` and `feed.css`, made
//! from the index (which feeds exist, how many articles each has) and from what
//! this pipeline rendered (each feed's Last-Modified, the news sitemap's): data
//! flows one way, nothing is read back from publish.
//!
//! The HTML directory shows every feed's count and last change and the news
//! sitemap's: it is rendered again with any change to a feed or to the news
//! sitemap ([`follows`]: applied to every live pass and to every pass rendering
//! the news sitemap, not to a full pass's batches of feeds, whose last batch
//! renders it once), and its bytes change only when what it shows does.

use super::{Sources, UnitError};
use crate::index::{FeedKey, Index, Unit};
use crate::render::{self, DirectoryEntry, Document, NewsStatus, paths};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Each feed's Last-Modified as last rendered (a feed no longer rendered, or
/// gone, has none).
#[derive(Debug, Default)]
pub(crate) struct FeedTimes {
    feeds: Mutex<HashMap<FeedKey, Option<DateTime<Utc>>>>,
}

impl FeedTimes {
    fn lock(&self) -> MutexGuard<'_, HashMap<FeedKey, Option<DateTime<Utc>>>> {
        self.feeds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what a feed unit rendered (other units: ignored).
    pub(crate) fn record(&self, unit: Unit, docs: &[Document]) {
        let Unit::Feed(key) = unit else { return };
        let mut feeds = self.lock();
        match docs.iter().map(|d| d.last_modified).max() {
            Some(time) => feeds.insert(key, time),
            None => feeds.remove(&key),
        };
    }

    /// Records a feed unit restored from the mirror (documents' Last-Modified).
    pub(crate) fn restore(&self, unit: Unit, times: impl Iterator<Item = Option<DateTime<Utc>>>) {
        let Unit::Feed(key) = unit else { return };
        self.lock().insert(key, times.max().flatten());
    }

    fn get(&self, key: FeedKey) -> Option<DateTime<Utc>> {
        self.lock().get(&key).copied().flatten()
    }
}

/// Adds the directory to `units` when it shows something they change:
/// `feeds` says whether feeds count (a live pass) or only the news sitemap.
/// A month's sitemap changes with every article that comes, goes or moves,
/// which may change a feed's count without dirtying the feed (an article
/// below its window): the live path follows months too.
pub(crate) fn follows(units: &mut crate::index::Dirty, feeds: bool) {
    let live = |u: &Unit| matches!(u, Unit::Feed(_) | Unit::Month(_));
    let shown = |u: &Unit| matches!(u, Unit::News) || (feeds && live(u));
    if units.iter().any(shown) {
        units.insert(Unit::Directory);
    }
}

/// The directory unit's documents.
pub(crate) fn render(sources: &Sources, unit: Unit) -> Result<Vec<Document>, UnitError> {
    let Sources { config, index, .. } = *sources;
    let site = &config.site;
    let entries = entries(index, &sources.caches.feed_times);
    let infos: Vec<_> = entries.iter().map(|e| e.info.clone()).collect();
    let opml = render::opml(site, &infos).map_err(|source| UnitError::Render {
        unit,
        what: super::describe(index, unit),
        source,
    })?;
    let sitemaps = &sources.caches.sitemaps;
    let news = sitemaps
        .has(Unit::News, paths::NEWS_SITEMAP)
        .then(|| NewsStatus {
            urls: index.news_slots().len(),
            regenerated: sitemaps.last_modified(Unit::News, paths::NEWS_SITEMAP),
        });
    Ok(vec![
        opml,
        render::html_directory(site, &entries, news),
        render::feed_stylesheet(),
        render::pages_stylesheet(),
    ])
}

fn entries(index: &Index, times: &FeedTimes) -> Vec<DirectoryEntry> {
    index
        .feeds()
        .into_iter()
        .map(|key| DirectoryEntry {
            info: index.feed_info(key),
            items: index.feed_len(key),
            last_change: times.get(key),
        })
        .collect()
}
