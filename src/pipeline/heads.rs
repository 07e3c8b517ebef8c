//! The items each feed shows, as last rendered: what the built-in WebSub hub
//! makes its diffs from.
//!
//! Owns: a map from a feed's folder (`tags/x/`, `""` for the global feed) to
//! its identity and rendered items, replaced each time the feed is rendered
//! (the items are shared with the item cache, not copied). Off unless the hub
//! is on: then nothing is kept. Must not: render, or read the store.

use crate::index::FeedInfo;
use crate::render::RenderedItem;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A feed as last rendered.
#[derive(Debug)]
pub(crate) struct Head {
    /// The feed.
    pub(crate) info: FeedInfo,
    /// Its items, newest first.
    pub(crate) items: Vec<Arc<RenderedItem>>,
}

/// Every feed's [`Head`], when kept.
#[derive(Debug, Default)]
pub(crate) struct FeedHeads {
    /// `None`: not kept (no hub).
    kept: Option<Mutex<HashMap<String, Arc<Head>>>>,
}

impl FeedHeads {
    /// A registry that keeps heads.
    pub(crate) fn kept() -> FeedHeads {
        FeedHeads {
            kept: Some(Mutex::default()),
        }
    }

    fn map(&self) -> Option<std::sync::MutexGuard<'_, HashMap<String, Arc<Head>>>> {
        self.kept
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Records what the feed in folder `dir` now shows.
    pub(crate) fn record(&self, dir: String, info: FeedInfo, items: &[Arc<RenderedItem>]) {
        if let Some(mut map) = self.map() {
            let head = Head {
                info,
                items: items.to_vec(),
            };
            map.insert(dir, Arc::new(head));
        }
    }

    /// The folders of every feed kept.
    pub(crate) fn dirs(&self) -> Vec<String> {
        self.map()
            .map_or_else(Vec::new, |m| m.keys().cloned().collect())
    }

    /// The feed in folder `dir`, as last rendered.
    pub(crate) fn get(&self, dir: &str) -> Option<Arc<Head>> {
        self.map().and_then(|m| m.get(dir).cloned())
    }
}
