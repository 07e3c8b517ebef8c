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
    month: OnceLock<UrlEntry>,
    news: OnceLock<UrlEntry>,
}

impl CachedLink {
    fn new(row: LinkRow) -> Arc<CachedLink> {
        Arc::new(CachedLink {
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

/// The cache: index slot → the row and entries of the article state in it.
#[derive(Debug, Default)]
pub(crate) struct LinkCache {
    links: Mutex<Vec<Option<Kept>>>,
    /// When [`LinkCache::expire`] last dropped links past the window.
    expired_at: Mutex<Option<DateTime<Utc>>>,
}

impl LinkCache {
    fn lock(&self) -> MutexGuard<'_, Vec<Option<Kept>>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops what is kept of an article state the index freed.
    pub(super) fn forget(&self, freed: ArticleKey) {
        let mut links = self.lock();
        if let Some(kept) = links.get_mut(freed.slot())
            && kept.as_ref().is_some_and(|k| k.is_of(freed))
        {
            *kept = None;
        }
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
        for kept in self.lock().iter_mut() {
            if kept
                .as_ref()
                .is_some_and(|k| k.link.row.published_at < cutoff)
            {
                *kept = None;
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
        let keep_after = sources.index.now() - LINK_CACHE_WINDOW;
        let mut found: Vec<Option<Arc<CachedLink>>> = Vec::with_capacity(items.len());
        let mut missing = Vec::new();
        {
            let links = self.lock();
            for &(key, id) in items {
                let kept = links.get(key.slot()).and_then(Option::as_ref);
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
                if links.len() <= key.slot() {
                    links.resize_with(key.slot() + 1, || None);
                }
                links[key.slot()] = Some(Kept::new(key, link.clone()));
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

    #[test]
    fn links_past_the_window_expire_at_most_once_an_hour() {
        let now: DateTime<Utc> = "2026-11-29T16:00:00Z".parse().unwrap();
        let cache = LinkCache::default();
        let old = now - LINK_CACHE_WINDOW - chrono::TimeDelta::minutes(1);
        *cache.lock() = vec![link("old", old), link("new", now)];
        cache.expire(now);
        let kept: Vec<bool> = cache.lock().iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, true]);
        cache.lock()[0] = link("old-again", old);
        cache.expire(now + chrono::TimeDelta::minutes(59));
        assert!(
            cache.lock()[0].is_some(),
            "within the hour nothing is walked"
        );
        cache.expire(now + chrono::TimeDelta::hours(1));
        assert!(cache.lock()[0].is_none());
    }

    #[test]
    fn a_link_is_found_by_its_key_only_and_forgotten_when_freed() {
        let now: DateTime<Utc> = "2026-11-29T16:00:00Z".parse().unwrap();
        let cache = LinkCache::default();
        *cache.lock() = vec![link("a", now)];
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
        let is_kept = |key| cache.lock()[0].as_ref().is_some_and(|k| k.is_of(key));
        assert!(is_kept(kept) && !is_kept(next) && !is_kept(other_index));
        cache.forget(next);
        assert!(is_kept(kept), "forgetting another state keeps this one");
        cache.forget(kept);
        assert!(cache.lock()[0].is_none());
    }
}
