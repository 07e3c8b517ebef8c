//! Rendered feed items kept between feeds and between passes, within a budget.
//!
//! A feed is its header plus its items' fragments ([`RenderedItem`]); an article
//! shown in eight feeds is read from the store and rendered once, not eight
//! times. Items are kept under the [`ArticleKey`] of the article state they were
//! rendered from, which the index replaces at every change of the article: a
//! kept item is never older than the last change the index saw of its article,
//! whoever applies changes, and [`super::apply_change`] drops it at once.
//! Memory is bounded by two generations: new items go to the young one; when it
//! outgrows half the budget the old one is dropped and the young one becomes old;
//! a hit in the old generation moves the item back to the young one (an LRU
//! approximation with no per-hit bookkeeping).

use super::Sources;
use crate::index::ArticleKey;
use crate::model::Article;
use crate::render::{RenderError, RenderedItem};
use crate::store::StoreError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What kept items may hold by default: the heads of the busiest feeds.
pub(crate) const DEFAULT_ITEM_BUDGET: usize = 32 << 20;

/// Why the items of a feed could not be had.
#[derive(Debug)]
pub(crate) enum ItemError {
    /// Reading articles failed.
    Store(StoreError),
    /// Rendering one failed.
    Render(RenderError),
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<ArticleKey, Arc<RenderedItem>>,
    young_bytes: usize,
    old: HashMap<ArticleKey, Arc<RenderedItem>>,
    /// For one pass known in advance: how many more times each article is asked for.
    plan: Option<HashMap<ArticleKey, u32>>,
}

impl Generations {
    /// Counts one use of `key` against the plan: whether it will be asked for again.
    fn use_once(&mut self, key: ArticleKey) -> bool {
        let Some(plan) = &mut self.plan else {
            return true;
        };
        match plan.get_mut(&key) {
            Some(left) => {
                *left = left.saturating_sub(1);
                *left > 0
            }
            None => false,
        }
    }

    fn get(&mut self, key: ArticleKey, budget: usize) -> Option<Arc<RenderedItem>> {
        if let Some(item) = self.young.get(&key) {
            return Some(item.clone());
        }
        let item = self.old.remove(&key)?;
        self.insert(key, item.clone(), budget);
        Some(item)
    }

    fn insert(&mut self, key: ArticleKey, item: Arc<RenderedItem>, budget: usize) {
        let bytes = item.heap_bytes();
        if self.young_bytes + bytes > budget / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        self.young_bytes += bytes;
        if let Some(previous) = self.young.insert(key, item) {
            self.young_bytes -= previous.heap_bytes();
        }
    }

    fn take(&mut self, key: ArticleKey) -> Option<Arc<RenderedItem>> {
        if let Some(item) = self.young.remove(&key) {
            self.young_bytes -= item.heap_bytes();
            return Some(item);
        }
        self.old.remove(&key)
    }
}

/// The cache: article state → its rendered item.
#[derive(Debug)]
pub(crate) struct ItemCache {
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
    pub(crate) fn with_budget(budget: usize) -> ItemCache {
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
    pub(crate) fn planned(uses: HashMap<ArticleKey, u32>, budget: usize) -> ItemCache {
        let cache = ItemCache::with_budget(budget);
        cache.lock().plan = Some(uses);
        cache
    }

    /// Items found kept and items read and rendered, so far.
    pub(crate) fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops what is kept of an article state the index freed.
    pub(super) fn forget(&self, freed: ArticleKey) {
        self.lock().take(freed);
    }

    /// The items of `articles` (key and id), in that order: kept ones, the rest
    /// read and rendered. Articles the store no longer has are skipped.
    pub(super) fn get(
        &self,
        sources: &Sources,
        articles: &[(ArticleKey, &str)],
    ) -> Result<Vec<Arc<RenderedItem>>, ItemError> {
        let mut found: HashMap<ArticleKey, Arc<RenderedItem>> =
            HashMap::with_capacity(articles.len());
        // (key, id, whether it is asked for again)
        let mut missing = Vec::new();
        {
            let mut kept = self.lock();
            for &(key, id) in articles {
                let again = kept.use_once(key);
                let item = match again {
                    true => kept.get(key, self.budget),
                    false => kept.take(key),
                };
                match item {
                    Some(item) => drop(found.insert(key, item)),
                    None => missing.push((key, id, again)),
                }
            }
        }
        self.hits
            .fetch_add((articles.len() - missing.len()) as u64, Ordering::Relaxed);
        self.misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            let wanted: Vec<&str> = missing.iter().map(|&(_, id, _)| id).collect();
            let missing: HashMap<&str, (ArticleKey, bool)> = missing
                .into_iter()
                .map(|(key, id, again)| (id, (key, again)))
                .collect();
            let stored = sources.store.articles(&wanted).map_err(ItemError::Store)?;
            let rendered = render_items(sources, &stored).map_err(ItemError::Render)?;
            let mut kept = self.lock();
            for item in rendered {
                let Some(&(key, again)) = missing.get(&*item.id) else {
                    continue;
                };
                if again {
                    kept.insert(key, item.clone(), self.budget);
                }
                found.insert(key, item);
            }
        }
        Ok(articles
            .iter()
            .filter_map(|(key, _)| found.remove(key))
            .collect())
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
            html: Box::default(),
        })
    }

    fn key(slot: u32) -> ArticleKey {
        ArticleKey {
            index: 0,
            slot,
            generation: 0,
        }
    }

    #[test]
    fn generations_stay_within_the_budget_and_keep_what_is_used() {
        let mut g = Generations::default();
        let budget = 1000;
        for n in 0..20 {
            g.insert(key(n), item(&format!("a{n}"), 100), budget);
            // a0 is used all the time: it must survive every turnover.
            assert!(g.get(key(0), budget).is_some(), "a0 lost after a{n}");
        }
        let held: usize = g
            .young
            .values()
            .chain(g.old.values())
            .map(|i| i.heap_bytes())
            .sum();
        assert!(held <= budget + 200, "held {held} bytes");
        assert!(
            g.get(key(1), budget).is_none(),
            "a1 should have been dropped"
        );
        g.take(key(0));
        assert!(g.get(key(0), budget).is_none());
        assert_eq!(
            g.young_bytes,
            g.young.values().map(|i| i.heap_bytes()).sum::<usize>()
        );
    }

    #[test]
    fn a_plan_keeps_an_item_until_its_last_use_only() {
        let (a, b) = (key(0), key(1));
        let mut g = Generations {
            plan: Some(HashMap::from([(a, 2), (b, 1)])),
            ..Generations::default()
        };
        assert!(g.use_once(a), "a is asked for again");
        g.insert(a, item("a", 10), 1000);
        assert!(!g.use_once(b), "b is asked for once");
        assert!(!g.use_once(a), "that was a's last use");
        assert!(g.take(a).is_some());
        assert!(!g.use_once(key(2)), "never planned");
    }

    #[test]
    fn an_item_of_a_replaced_state_is_never_found() {
        let mut g = Generations::default();
        g.insert(key(0), item("a", 10), 1000);
        let next = ArticleKey {
            generation: 1,
            ..key(0)
        };
        assert!(g.get(next, 1000).is_none(), "same slot, next generation");
        let elsewhere = ArticleKey { index: 1, ..key(0) };
        assert!(g.get(elsewhere, 1000).is_none(), "same slot, another index");
        assert!(g.get(key(0), 1000).is_some());
    }
}
