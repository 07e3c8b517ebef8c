//! Sitemap entries of recent articles, kept between passes.
//!
//! A change to a recent article used to re-read and re-render every row of its
//! month and of the news window. The watch loop keeps, for articles of the last
//! two months, the row and its rendered `<url>` entries; a pass then reads and
//! renders only what changed (the watch loop calls [`LinkCache::forget`] for
//! every changed article) and concatenates the rest. Kept links are found by
//! the article's index slot, not its id: a month or the news window of a big
//! site is tens of thousands of articles, looked up on every change.

use super::Sources;
use crate::config::Site;
use crate::model::LinkRow;
use crate::render::{self, RenderError, UrlEntry};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Articles first published this long before now have their entries kept.
pub const LINK_CACHE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(62);

/// An article's sitemap row and, once rendered, its entries.
#[derive(Debug)]
pub struct CachedLink {
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
    pub fn month_entry(&self) -> Result<&UrlEntry, RenderError> {
        if let Some(e) = self.month.get() {
            return Ok(e);
        }
        let entry = render::month_entry(&self.row)?;
        Ok(self.month.get_or_init(|| entry))
    }

    /// The entry in the news sitemap, rendered on first use.
    pub fn news_entry(&self, site: &Site) -> Result<&UrlEntry, RenderError> {
        if let Some(e) = self.news.get() {
            return Ok(e);
        }
        let entry = render::news_entry(site, &self.row)?;
        Ok(self.news.get_or_init(|| entry))
    }
}

/// A kept link, and where the index held its article's id when it was kept.
#[derive(Debug)]
struct Kept {
    id_at: usize,
    link: Arc<CachedLink>,
}

/// The cache: index slot → the row and entries of the article in it.
#[derive(Debug, Default)]
pub struct LinkCache {
    links: Mutex<Vec<Option<Kept>>>,
    /// When [`LinkCache::expire`] last dropped links past the window.
    expired_at: Mutex<Option<DateTime<Utc>>>,
}

impl LinkCache {
    fn lock(&self) -> MutexGuard<'_, Vec<Option<Kept>>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops what is kept of the articles in these slots (they changed or
    /// went; call it before the index reuses the slots).
    pub fn forget(&self, slots: impl IntoIterator<Item = u32>) {
        let mut links = self.lock();
        for slot in slots {
            if let Some(kept) = links.get_mut(slot as usize) {
                *kept = None;
            }
        }
    }

    /// Drops, at most once an hour of `now`, the links of articles that left
    /// the window in which links are kept. The watch loop calls it every pass.
    pub fn expire(&self, now: DateTime<Utc>) {
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

    /// The links of `items` (slot and id), in that order: kept ones, then the
    /// rest from the store. Ids the store no longer has are skipped.
    pub(super) fn get(
        &self,
        sources: &Sources,
        items: &[(u32, &str)],
    ) -> Result<Vec<Arc<CachedLink>>, StoreError> {
        let keep_after = sources.index.now() - LINK_CACHE_WINDOW;
        let mut found: Vec<Option<Arc<CachedLink>>> = Vec::with_capacity(items.len());
        let mut missing = Vec::new();
        {
            let links = self.lock();
            for &(slot, id) in items {
                let kept = links.get(slot as usize).and_then(Option::as_ref);
                // Guards the slot discipline without reading the id's bytes (a
                // cache miss per article): the index's id is where it was.
                let link = kept.filter(|k| k.id_at == id.as_ptr() as usize);
                let link = link.map(|k| k.link.clone());
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
        for (&(slot, id), kept) in items.iter().zip(found) {
            if let Some(link) = kept {
                out.push(link);
                continue;
            }
            let Some(link) = fresh.remove(id) else {
                continue; // no longer stored
            };
            if link.row.published_at >= keep_after {
                if links.len() <= slot as usize {
                    links.resize_with(slot as usize + 1, || None);
                }
                links[slot as usize] = Some(Kept {
                    id_at: id.as_ptr() as usize,
                    link: link.clone(),
                });
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
        Some(Kept { id_at: 0, link })
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
}
