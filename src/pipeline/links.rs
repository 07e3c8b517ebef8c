//! Sitemap entries of recent articles, kept between passes.
//!
//! A change to a recent article used to re-read and re-render every row of its
//! month and of the news window. The watch loop keeps, for articles of the last
//! two months, the row and its rendered `<url>` entries; a pass then reads and
//! renders only what changed (the watch loop calls [`LinkCache::forget`] for
//! every changed article) and concatenates the rest.

use super::Sources;
use crate::config::Site;
use crate::model::LinkRow;
use crate::render::{self, RenderError, UrlEntry};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
// foldhash (hashbrown's default, seeded per process): ids are hashed tens of
// thousands of times a pass, where SipHash cost a tenth of the CPU (perf).
use hashbrown::HashMap;
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

/// The cache: article id → its row and entries.
#[derive(Debug, Default)]
pub struct LinkCache {
    links: Mutex<HashMap<String, Arc<CachedLink>>>,
}

impl LinkCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<CachedLink>>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops what is kept of these articles (they changed).
    pub fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut links = self.lock();
        for id in ids {
            links.remove(id);
        }
    }

    /// Drops articles that fell out of the window.
    pub fn evict_older_than(&self, cutoff: DateTime<Utc>) {
        self.lock().retain(|_, l| l.row.published_at >= cutoff);
    }

    /// The links of `ids`, in that order: kept ones, then the rest from the store.
    pub(super) fn get(
        &self,
        sources: &Sources,
        ids: &[&str],
    ) -> Result<Vec<Arc<CachedLink>>, StoreError> {
        let keep_after = sources.index.now() - LINK_CACHE_WINDOW;
        // One lookup an id: at a million articles a month or the news window
        // holds some 30,000 of them, and this runs on every change.
        let mut found: Vec<Option<Arc<CachedLink>>> = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let links = self.lock();
            for &id in ids {
                let link = links.get(id).cloned();
                if link.is_none() {
                    missing.push(id);
                }
                found.push(link);
            }
        }
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        let fetched = sources.store.links(&missing)?;
        let mut links = self.lock();
        let mut fresh: HashMap<String, Arc<CachedLink>> = HashMap::with_capacity(fetched.len());
        for row in fetched {
            let link = CachedLink::new(row);
            if link.row.published_at >= keep_after {
                links.insert(link.row.id.clone(), link.clone());
            }
            fresh.insert(link.row.id.clone(), link);
        }
        Ok(ids
            .iter()
            .zip(found)
            .filter_map(|(id, kept)| kept.or_else(|| fresh.remove(*id)))
            .collect())
    }
}
