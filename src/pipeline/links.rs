//! Sitemap entries of recent articles, kept between passes.
//!
//! A change to a recent article used to re-read and re-render every row of its
//! month and of the news window. The watch loop keeps, for articles of the last
//! two months, the row and its rendered `<url>` entries; a pass then reads and
//! renders only what changed and concatenates the rest. Kept links are found
//! by the article's [`ArticleKey`], not its id: a month or the news window of a
//! big site is tens of thousands of articles, looked up on every change, so the
//! cache is a table by slot holding the rest of the key it was kept under; a
//! key the index has replaced (the article changed or went, the slot was
//! reused) never matches, and [`super::apply_change`] drops it at once.
//!
//! The cache also counts the kept links of each URL: while no two kept links
//! share one, the sitemap files of recent days and hours list each URL once
//! without a set of their URLs being built at every render.

use super::Sources;
use crate::config::Site;
use crate::index::ArticleKey;
use crate::model::LinkRow;
use crate::render::{self, RenderError, UrlEntry};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Articles first published this long before now have their entries kept.
pub(crate) const LINK_CACHE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(62);

/// An article's sitemap row and, once rendered, its entries.
#[derive(Debug)]
pub(crate) struct CachedLink {
    row: LinkRow,
    /// A hash of the URL (two articles at one URL are listed once).
    url_key: u64,
    month: OnceLock<UrlEntry>,
    news: OnceLock<UrlEntry>,
}

impl CachedLink {
    fn new(row: LinkRow) -> Arc<CachedLink> {
        let hash = blake3::hash(row.url.as_bytes());
        let mut url_key = [0; 8];
        url_key.copy_from_slice(&hash.as_bytes()[..8]);
        Arc::new(CachedLink {
            url_key: u64::from_le_bytes(url_key),
            row,
            month: OnceLock::new(),
            news: OnceLock::new(),
        })
    }

    /// The entry in its month's sitemap, rendered on first use.
    pub(crate) fn month_entry(&self) -> Result<&UrlEntry, RenderError> {
        if let Some(e) = self.month.get() {
            return Ok(e);
        }
        let entry = render::month_entry(&self.row)?;
        Ok(self.month.get_or_init(|| entry))
    }

    /// The entry in the news sitemap, rendered on first use.
    pub(crate) fn news_entry(&self, site: &Site) -> Result<&UrlEntry, RenderError> {
        if let Some(e) = self.news.get() {
            return Ok(e);
        }
        let entry = render::news_entry(site, &self.row)?;
        Ok(self.news.get_or_init(|| entry))
    }
}

/// A kept link, and the key (but its slot) of the article state it is of.
#[derive(Debug)]
struct Kept {
    index: u32,
    generation: u32,
    link: Arc<CachedLink>,
}

// A slot of the table costs 16 bytes, kept or not: it is as long as the index.
const _: () = assert!(std::mem::size_of::<Option<Kept>>() == 16);

impl Kept {
    fn new(key: ArticleKey, link: Arc<CachedLink>) -> Kept {
        Kept {
            index: key.index,
            generation: key.generation,
            link,
        }
    }

    /// Whether this is the link of `key` (found at its slot).
    fn is_of(&self, key: ArticleKey) -> bool {
        self.generation == key.generation && self.index == key.index
    }
}

/// Index slot → the row and entries of the article state in it, and how many
/// kept links have each URL.
#[derive(Debug, Default)]
struct Table {
    slots: Vec<Option<Kept>>,
    urls: HashMap<u64, u32>,
    /// URLs with more than one kept link.
    shared: usize,
}

impl Table {
    /// Puts `kept` in `slot`, counting URLs in and out.
    fn put(&mut self, slot: usize, kept: Option<Kept>) {
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, || None);
        }
        if let Some(new) = &kept {
            let count = self.urls.entry(new.link.url_key).or_default();
            *count += 1;
            if *count == 2 {
                self.shared += 1;
            }
        }
        if let Some(old) = std::mem::replace(&mut self.slots[slot], kept) {
            let std::collections::hash_map::Entry::Occupied(mut count) =
                self.urls.entry(old.link.url_key)
            else {
                unreachable!("a kept link's URL is counted");
            };
            *count.get_mut() -= 1;
            match *count.get() {
                0 => drop(count.remove()),
                1 => self.shared -= 1,
                _ => {}
            }
        }
    }
}

/// The cache: index slot → the row and entries of the article state in it.
#[derive(Debug, Default)]
pub(crate) struct LinkCache {
    links: Mutex<Table>,
    /// When [`LinkCache::expire`] last dropped links past the window.
    expired_at: Mutex<Option<DateTime<Utc>>>,
}

impl LinkCache {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether no two kept links have one URL: then the links of articles
    /// published since `keep_after` (all kept once read, see [`LinkCache::get`])
    /// have distinct URLs.
    pub(super) fn urls_distinct(&self) -> bool {
        self.lock().shared == 0
    }

    /// Drops what is kept of an article state the index freed.
    pub(super) fn forget(&self, freed: ArticleKey) {
        let mut links = self.lock();
        let slot = freed.slot();
        if let Some(kept) = links.slots.get(slot)
            && kept.as_ref().is_some_and(|k| k.is_of(freed))
        {
            links.put(slot, None);
        }
    }

    /// The first second of which articles have their links kept once read.
    pub(super) fn keep_after(&self, sources: &Sources) -> DateTime<Utc> {
        sources.index.now() - LINK_CACHE_WINDOW
    }

    /// Drops, at most once an hour of `now`, the links of articles that left
    /// the window in which links are kept. The watch loop calls it every pass.
    pub(crate) fn expire(&self, now: DateTime<Utc>) {
        {
            let mut expired_at = self.expired_at.lock().unwrap_or_else(|p| p.into_inner());
            if expired_at.is_some_and(|t| now - t < chrono::TimeDelta::hours(1)) {
                return;
            }
            *expired_at = Some(now);
        }
        let cutoff = now - LINK_CACHE_WINDOW;
        let mut links = self.lock();
        for slot in 0..links.slots.len() {
            if links.slots[slot]
                .as_ref()
                .is_some_and(|k| k.link.row.published_at < cutoff)
            {
                links.put(slot, None);
            }
        }
    }

    /// The links of `items` (key and id), in that order: kept ones, then the
    /// rest from the store. Ids the store no longer has are skipped.
    pub(super) fn get(
        &self,
        sources: &Sources,
        items: &[(ArticleKey, &str)],
    ) -> Result<Vec<Arc<CachedLink>>, StoreError> {
        let keep_after = self.keep_after(sources);
        let mut found: Vec<Option<Arc<CachedLink>>> = Vec::with_capacity(items.len());
        let mut missing = Vec::new();
        {
            let links = self.lock();
            for &(key, id) in items {
                let kept = links.slots.get(key.slot()).and_then(Option::as_ref);
                let link = kept.filter(|k| k.is_of(key)).map(|k| k.link.clone());
                if link.is_none() {
                    missing.push(id);
                }
                found.push(link);
            }
        }
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        let mut fresh: HashMap<String, Arc<CachedLink>> = sources
            .store
            .links(&missing)?
            .into_iter()
            .map(|row| (row.id.clone(), CachedLink::new(row)))
            .collect();
        let mut links = self.lock();
        let mut out = Vec::with_capacity(items.len());
        for (&(key, id), kept) in items.iter().zip(found) {
            if let Some(link) = kept {
                out.push(link);
                continue;
            }
            let Some(link) = fresh.remove(id) else {
                continue; // no longer stored
            };
            if link.row.published_at >= keep_after {
                links.put(key.slot(), Some(Kept::new(key, link.clone())));
            }
            out.push(link);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: &str, published_at: DateTime<Utc>) -> Option<Kept> {
        let link = CachedLink::new(LinkRow {
            id: id.into(),
            url: format!("https://www.actu.example.ma/{id}.html"),
            title: id.into(),
            language: None,
            published_at,
            updated_at: published_at,
            image_url: None,
        });
        let key = ArticleKey {
            index: 0,
            slot: 0,
            generation: 0,
        };
        Some(Kept::new(key, link))
    }

    fn link_at(id: &str, url: &str, published_at: DateTime<Utc>) -> Option<Kept> {
        let mut kept = link(id, published_at)?;
        let mut row = kept.link.row.clone();
        row.url = url.into();
        kept.link = CachedLink::new(row);
        Some(kept)
    }

    #[test]
    fn links_past_the_window_expire_at_most_once_an_hour() {
        let now: DateTime<Utc> = "2026-11-29T16:00:00Z".parse().unwrap();
        let cache = LinkCache::default();
        let old = now - LINK_CACHE_WINDOW - chrono::TimeDelta::minutes(1);
        cache.lock().put(0, link("old", old));
        cache.lock().put(1, link("new", now));
        cache.expire(now);
        let kept: Vec<bool> = cache.lock().slots.iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, true]);
        cache.lock().put(0, link("old-again", old));
        cache.expire(now + chrono::TimeDelta::minutes(59));
        assert!(
            cache.lock().slots[0].is_some(),
            "within the hour nothing is walked"
        );
        cache.expire(now + chrono::TimeDelta::hours(1));
        assert!(cache.lock().slots[0].is_none());
        assert_eq!(
            cache.lock().urls.len(),
            1,
            "an expired link's URL is not counted"
        );
    }

    #[test]
    fn urls_are_counted_as_links_come_and_go() {
        let now: DateTime<Utc> = "2026-11-29T16:00:00Z".parse().unwrap();
        let cache = LinkCache::default();
        let url = "https://www.actu.example.ma/same.html";
        cache.lock().put(0, link_at("a", url, now));
        cache.lock().put(1, link("b", now));
        assert!(cache.urls_distinct());
        cache.lock().put(2, link_at("c", url, now));
        assert!(!cache.urls_distinct(), "two kept links at one URL");
        // Replacing a slot counts the old link out and the new one in.
        cache.lock().put(2, link("c", now));
        assert!(cache.urls_distinct());
        cache.lock().put(1, link_at("b", url, now));
        assert!(!cache.urls_distinct());
        cache.forget(ArticleKey {
            index: 0,
            slot: 1,
            generation: 0,
        });
        assert!(cache.urls_distinct(), "a forgotten link is counted out");
        assert_eq!(cache.lock().urls.len(), 2);
    }

    #[test]
    fn a_link_is_found_by_its_key_only_and_forgotten_when_freed() {
        let now: DateTime<Utc> = "2026-11-29T16:00:00Z".parse().unwrap();
        let cache = LinkCache::default();
        cache.lock().put(0, link("a", now));
        let kept = ArticleKey {
            index: 0,
            slot: 0,
            generation: 0,
        };
        let next = ArticleKey {
            generation: 1,
            ..kept
        };
        let other_index = ArticleKey { index: 1, ..kept };
        let is_kept = |key| cache.lock().slots[0].as_ref().is_some_and(|k| k.is_of(key));
        assert!(is_kept(kept) && !is_kept(next) && !is_kept(other_index));
        cache.forget(next);
        assert!(is_kept(kept), "forgetting another state keeps this one");
        cache.forget(kept);
        assert!(cache.lock().slots[0].is_none());
    }
}
