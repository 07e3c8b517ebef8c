//! Rendered feed items kept between feeds and between passes, within a budget.
//!
//! A feed is its header plus its items' fragments ([`RenderedItem`]); an article
//! shown in eight feeds is read from the store and rendered once, not eight
//! times. The watch loop calls [`ItemCache::forget`] for every changed article,
//! so a kept item is never older than the last change seen of its article.
//! Memory is bounded by two generations: new items go to the young one; when it
//! outgrows half the budget the old one is dropped and the young one becomes old;
//! a hit in the old generation moves the item back to the young one (an LRU
//! approximation with no per-hit bookkeeping).

use super::Sources;
use crate::model::Article;
use crate::render::{RenderError, RenderedItem};
use crate::store::StoreError;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What kept items may hold by default: the heads of the busiest feeds.
pub const DEFAULT_ITEM_BUDGET: usize = 32 << 20;

/// Why the items of a feed could not be had.
#[derive(Debug)]
pub enum ItemError {
    /// Reading articles failed.
    Store(StoreError),
    /// Rendering one failed.
    Render(RenderError),
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<Box<str>, Arc<RenderedItem>>,
    young_bytes: usize,
    old: HashMap<Box<str>, Arc<RenderedItem>>,
    /// For one pass known in advance: how many more times each article is asked for.
    plan: Option<HashMap<Box<str>, u32>>,
}

impl Generations {
    /// Counts one use of `id` against the plan: whether it will be asked for again.
    fn use_once(&mut self, id: &str) -> bool {
        let Some(plan) = &mut self.plan else {
            return true;
        };
        match plan.get_mut(id) {
            Some(left) => {
                *left = left.saturating_sub(1);
                *left > 0
            }
            None => false,
        }
    }

    fn get(&mut self, id: &str, budget: usize) -> Option<Arc<RenderedItem>> {
        if let Some(item) = self.young.get(id) {
            return Some(item.clone());
        }
        let item = self.old.remove(id)?;
        self.insert(item.clone(), budget);
        Some(item)
    }

    fn insert(&mut self, item: Arc<RenderedItem>, budget: usize) {
        let bytes = item.heap_bytes();
        if self.young_bytes + bytes > budget / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        self.young_bytes += bytes;
        if let Some(previous) = self.young.insert(item.id.clone(), item) {
            self.young_bytes -= previous.heap_bytes();
        }
    }

    fn take(&mut self, id: &str) -> Option<Arc<RenderedItem>> {
        if let Some(item) = self.young.remove(id) {
            self.young_bytes -= item.heap_bytes();
            return Some(item);
        }
        self.old.remove(id)
    }
}

/// The cache: article id → its rendered item.
#[derive(Debug)]
pub struct ItemCache {
    budget: usize,
    kept: Mutex<Generations>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for ItemCache {
    fn default() -> ItemCache {
        ItemCache::with_budget(DEFAULT_ITEM_BUDGET)
    }
}

impl ItemCache {
    /// A cache holding about `budget` bytes of items at most.
    pub fn with_budget(budget: usize) -> ItemCache {
        ItemCache {
            budget,
            kept: Mutex::new(Generations::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// A cache for one pass whose requests are known: `uses` says how many times
    /// each article will be asked for. An item is kept until its last use and
    /// an article asked for once is never kept (the budget still holds).
    pub fn planned(uses: HashMap<Box<str>, u32>, budget: usize) -> ItemCache {
        let cache = ItemCache::with_budget(budget);
        cache.lock().plan = Some(uses);
        cache
    }

    /// Items found kept and items read and rendered, so far.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops what is kept of these articles (they changed).
    pub fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut kept = self.lock();
        for id in ids {
            kept.take(id);
        }
    }

    /// The items of `ids`, in that order: kept ones, the rest read and rendered.
    /// Ids the store no longer has are skipped.
    pub(super) fn get(
        &self,
        sources: &Sources,
        ids: &[&str],
    ) -> Result<Vec<Arc<RenderedItem>>, ItemError> {
        let mut found: HashMap<Box<str>, Arc<RenderedItem>> = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let mut kept = self.lock();
            for &id in ids {
                let again = kept.use_once(id);
                let item = match again {
                    true => kept.get(id, self.budget),
                    false => kept.take(id),
                };
                match item {
                    Some(item) => drop(found.insert(id.into(), item)),
                    None => missing.push((id, again)),
                }
            }
        }
        self.hits
            .fetch_add((ids.len() - missing.len()) as u64, Ordering::Relaxed);
        self.misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            let wanted: Vec<&str> = missing.iter().map(|&(id, _)| id).collect();
            let keep: HashSet<&str> = missing.iter().filter(|m| m.1).map(|&(id, _)| id).collect();
            let articles = sources.store.articles(&wanted).map_err(ItemError::Store)?;
            let rendered = render_items(sources, &articles).map_err(ItemError::Render)?;
            let mut kept = self.lock();
            for item in rendered {
                if keep.contains(&*item.id) {
                    kept.insert(item.clone(), self.budget);
                }
                found.insert(item.id.clone(), item);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(*id)).collect())
    }
}

fn render_items(
    sources: &Sources,
    articles: &[Article],
) -> Result<Vec<Arc<RenderedItem>>, RenderError> {
    let site = &sources.config.site;
    articles
        .iter()
        .map(|a| RenderedItem::render(site, a).map(Arc::new))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn item(id: &str, size: usize) -> Arc<RenderedItem> {
        Arc::new(RenderedItem {
            id: id.into(),
            updated_at: Utc::now(),
            rss: vec![b'r'; size].into(),
            atom: Box::default(),
            json: Box::default(),
        })
    }

    #[test]
    fn generations_stay_within_the_budget_and_keep_what_is_used() {
        let mut g = Generations::default();
        let budget = 1000;
        for n in 0..20 {
            g.insert(item(&format!("a{n}"), 100), budget);
            // a0 is used all the time: it must survive every turnover.
            assert!(g.get("a0", budget).is_some(), "a0 lost after a{n}");
        }
        let held: usize = g
            .young
            .values()
            .chain(g.old.values())
            .map(|i| i.heap_bytes())
            .sum();
        assert!(held <= budget + 200, "held {held} bytes");
        assert!(g.get("a1", budget).is_none(), "a1 should have been dropped");
        g.take("a0");
        assert!(g.get("a0", budget).is_none());
        assert_eq!(
            g.young_bytes,
            g.young.values().map(|i| i.heap_bytes()).sum::<usize>()
        );
    }

    #[test]
    fn a_plan_keeps_an_item_until_its_last_use_only() {
        let mut g = Generations {
            plan: Some(HashMap::from([("a".into(), 2), ("b".into(), 1)])),
            ..Generations::default()
        };
        assert!(g.use_once("a"), "a is asked for again");
        g.insert(item("a", 10), 1000);
        assert!(!g.use_once("b"), "b is asked for once");
        assert!(!g.use_once("a"), "that was a's last use");
        assert!(g.take("a").is_some());
        assert!(!g.use_once("never-planned"));
    }
}
