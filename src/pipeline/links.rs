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
        let missing: Vec<&str> = {
            let links = self.lock();
            ids.iter()
                .copied()
                .filter(|id| !links.contains_key(*id))
                .collect()
        };
        let fetched = if missing.is_empty() {
            Vec::new()
        } else {
            sources.store.links(&missing)?
        };
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
            .filter_map(|id| fresh.remove(*id).or_else(|| links.get(*id).cloned()))
            .collect())
    }
}
