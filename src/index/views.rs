//! Reading the index: which feeds exist, what they show, sitemap months, news.

use super::{ArticleKey, FeedKey, FeedKind, Index, Month, NEWS_WINDOW_SECS, Terms};
use chrono::{DateTime, Utc};

/// The identity of a feed as documents show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// The feed.
    pub key: FeedKey,
    /// Slug (empty for the global feed).
    pub slug: String,
    /// Display name (empty for the global feed).
    pub name: String,
}

impl Index {
    /// The time the index was last moved to.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.now, 0).unwrap_or_default()
    }

    /// Stored articles (drafts and embargoed included).
    pub fn article_count(&self) -> usize {
        self.by_id.len()
    }

    /// An estimate of the heap the index holds, in bytes (capacities, not lengths;
    /// allocator overhead not counted).
    pub(crate) fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let ids: usize = self.entries.iter().flatten().map(|e| e.id.len()).sum();
        let term_refs: usize = self
            .entries
            .iter()
            .flatten()
            .map(|e| (e.authors.len() + e.tags.len()) * size_of::<u32>())
            .sum();
        let entries = self.entries.capacity() * size_of::<Option<super::Entry>>() + ids + term_refs;
        let by_id = self.by_id.table_bytes();
        let lists = (self.global.capacity()
            + self.months.values().map(Vec::capacity).sum::<usize>()
            + self.terms.iter().map(Terms::member_capacity).sum::<usize>())
            * size_of::<u32>();
        let terms: usize = self.terms.iter().map(Terms::own_bytes).sum();
        let stamps = self.stamps.capacity() * size_of::<(i64, u64)>();
        entries + by_id + lists + terms + stamps + self.free.capacity() * size_of::<(u32, u32)>()
    }

    /// Visible articles.
    pub fn visible_count(&self) -> usize {
        self.global.len()
    }

    pub(super) fn members(&self, key: FeedKey) -> &[u32] {
        match key.kind {
            FeedKind::Global => &self.global,
            kind => {
                let terms = &self.terms[kind.term_slot()];
                match (key.term as usize) < terms.len() {
                    true => &terms.get(key.term).members,
                    false => &[],
                }
            }
        }
    }

    /// How many feeds there may be, in constant time: the global feed and a
    /// feed per section, tag and author ever named (some may be empty).
    pub(crate) fn feeds_at_most(&self) -> usize {
        let terms: usize = (FeedKind::TERMED.iter())
            .map(|kind| self.terms[kind.term_slot()].len())
            .sum();
        1 + terms
    }

    /// The global feed (always, even empty) and every other feed with at least
    /// one visible article: sections, tags, authors, each by slug.
    pub fn feeds(&self) -> Vec<FeedKey> {
        let mut keys = vec![FeedKey::GLOBAL];
        for kind in FeedKind::TERMED {
            let terms = &self.terms[kind.term_slot()];
            let mut found: Vec<(&str, FeedKey)> = (0..terms.len() as u32)
                .map(|term| FeedKey { kind, term })
                .filter(|&k| !self.members(k).is_empty())
                .map(|k| (&*terms.get(k.term).slug, k))
                .collect();
            // By slug: the order must not depend on the order articles arrived in.
            found.sort_unstable_by_key(|&(slug, _)| slug);
            keys.extend(found.into_iter().map(|(_, k)| k));
        }
        keys
    }

    /// Whether the feed has documents: the global feed always, others while they
    /// have visible articles.
    pub(crate) fn feed_exists(&self, key: FeedKey) -> bool {
        key == FeedKey::GLOBAL || !self.members(key).is_empty()
    }

    /// Visible articles in a feed (it shows the newest of them).
    pub(crate) fn feed_len(&self, key: FeedKey) -> usize {
        self.members(key).len()
    }

    /// Slug and display name of a feed.
    pub fn feed_info(&self, key: FeedKey) -> FeedInfo {
        let (slug, name) = match key.kind {
            FeedKind::Global => (String::new(), String::new()),
            kind => {
                let terms = &self.terms[kind.term_slot()];
                (
                    terms.get(key.term).slug.to_string(),
                    terms.name(key.term).to_owned(),
                )
            }
        };
        FeedInfo { key, slug, name }
    }

    /// The feed with this kind and slug, if it exists.
    pub(crate) fn find_feed(&self, kind: FeedKind, slug: &str) -> Option<FeedKey> {
        let key = match kind {
            FeedKind::Global => FeedKey::GLOBAL,
            kind => FeedKey {
                kind,
                term: self.terms[kind.term_slot()].find(slug)?,
            },
        };
        self.feed_exists(key).then_some(key)
    }

    /// Every feed, those showing the same articles close together: by the
    /// publication of the oldest article shown, newest first (ties by key). A
    /// full build in this order finds an article's rendered item still kept
    /// when the next feed showing it comes.
    pub(crate) fn feeds_by_reach(&self) -> Vec<FeedKey> {
        let mut keys: Vec<(i64, FeedKey)> = self
            .feeds()
            .into_iter()
            .map(|key| {
                let members = self.members(key);
                let oldest_shown = members.len().saturating_sub(self.items);
                let reach = members
                    .get(oldest_shown)
                    .map_or(i64::MIN, |&i| self.entry(i).published);
                (reach, key)
            })
            .collect();
        keys.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        keys.into_iter().map(|(_, key)| key).collect()
    }

    /// Ids of the articles a feed shows, newest first.
    #[cfg(test)]
    pub(crate) fn feed_items(&self, key: FeedKey) -> Vec<&str> {
        self.feed_slots(key).into_iter().map(|(_, id)| id).collect()
    }

    /// Keys and ids of the articles a feed shows, newest first.
    pub(crate) fn feed_slots(&self, key: FeedKey) -> Vec<(ArticleKey, &str)> {
        self.members(key)
            .iter()
            .rev()
            .take(self.items)
            .map(|&i| self.key_and_id(i))
            .collect()
    }

    pub(super) fn key_and_id(&self, idx: u32) -> (ArticleKey, &str) {
        (self.key(idx), &*self.entry(idx).id)
    }

    /// Months with visible articles, oldest first.
    pub(crate) fn months(&self) -> Vec<Month> {
        self.months.keys().copied().collect()
    }

    /// Keys and ids of a month's visible articles, newest first.
    #[cfg(test)]
    pub(crate) fn month_slots(&self, month: Month) -> Vec<(ArticleKey, &str)> {
        self.months.get(&month).map_or_else(Vec::new, |l| {
            l.iter().rev().map(|&i| self.key_and_id(i)).collect()
        })
    }

    /// Ids of the articles first published in the news window before now, newest first.
    #[cfg(test)]
    pub(crate) fn news_items(&self) -> Vec<&str> {
        self.news_slots().into_iter().map(|(_, id)| id).collect()
    }

    /// Keys and ids of the articles in the news window, newest first.
    pub(crate) fn news_slots(&self) -> Vec<(ArticleKey, &str)> {
        let cutoff = self.now - NEWS_WINDOW_SECS;
        let start = self
            .global
            .partition_point(|&i| self.entry(i).published <= cutoff);
        self.global[start..]
            .iter()
            .rev()
            .map(|&i| self.key_and_id(i))
            .collect()
    }

    /// The key of a stored article's current state.
    #[cfg(test)]
    pub(crate) fn key_of(&self, id: &str) -> Option<ArticleKey> {
        self.by_id.get(&self.entries, id).map(|i| self.key(i))
    }
}
