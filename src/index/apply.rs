//! Changing the index: one article at a time, or the clock moving on.

use super::{
    ArticleKey, Dirty, FeedKey, Index, Month, NEWS_WINDOW_SECS, Unit, insert_sorted, remove_sorted,
};
use crate::store::MetaRow;
use chrono::{DateTime, Utc};

/// What applying one article's state did.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Units whose output may differ.
    pub(crate) dirty: Dirty,
    /// The key of the state replaced or deleted, if the article was stored: it
    /// names nothing any more, and what was kept under it can be dropped.
    pub(crate) freed: Option<ArticleKey>,
}

impl Index {
    /// Applies the store's current state of article `id` (`None`: it is gone):
    /// returns the units whose output may differ and the key it freed. The
    /// article's new state, if any, gets a new key (see [`Index::key_of`]).
    pub(crate) fn apply(&mut self, id: &str, row: Option<MetaRow>) -> Applied {
        let mut applied = Applied::default();
        if let Some(idx) = self.by_id.get(&self.entries, id) {
            self.unlink(idx, &mut applied.dirty);
            self.by_id.remove(&self.entries, id);
            let freed = self.key(idx);
            self.entries[idx as usize] = None;
            self.free.push((idx, freed.generation.wrapping_add(1)));
            applied.freed = Some(freed);
        }
        if let Some(row) = row {
            let idx = self.store_entry(row);
            self.link(idx, &mut applied.dirty);
        }
        applied
    }

    /// Moves the clock to `now`: embargoes that end are lifted, articles older than
    /// the news window leave it. Returns the units that changed. Time never goes back.
    pub(crate) fn advance(&mut self, now: DateTime<Utc>) -> Dirty {
        let mut dirty = Dirty::new();
        let (before, now) = (self.now, now.timestamp());
        if now <= before {
            return dirty;
        }
        let entries = &self.entries;
        let first_after = |t: i64| {
            self.global
                .partition_point(|&i| super::entry(entries, i).published <= t)
        };
        if first_after(now - NEWS_WINDOW_SECS) != first_after(before - NEWS_WINDOW_SECS) {
            dirty.insert(Unit::News);
        }
        self.now = now;
        while let Some(&(published, idx)) = self.embargoed.first() {
            if published > now {
                break;
            }
            self.embargoed.pop_first();
            self.link(idx, &mut dirty);
        }
        dirty
    }

    /// The next time at which time alone changes some document: an embargo lifts or
    /// the oldest article of the news sitemap leaves it.
    pub(crate) fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let embargo = self.embargoed.first().map(|&(t, _)| t);
        let cutoff = self.now - NEWS_WINDOW_SECS;
        let pos = self
            .global
            .partition_point(|&i| self.entry(i).published <= cutoff);
        let oldest_news = self
            .global
            .get(pos)
            .map(|&i| self.entry(i).published + NEWS_WINDOW_SECS);
        [embargo, oldest_news]
            .into_iter()
            .flatten()
            .min()
            .and_then(|t| DateTime::from_timestamp(t, 0))
    }

    /// Adds a stored entry to every list it belongs in, noting what that dirties.
    fn link(&mut self, idx: u32, dirty: &mut Dirty) {
        if self.is_embargoed(idx) {
            self.embargoed.insert((self.entry(idx).published, idx));
            return;
        }
        if !self.is_live(idx) {
            return;
        }
        let near = self.archives_near(idx);
        let mut renamed_feeds = Vec::new();
        let items = self.items;
        let entries = &self.entries;
        let e = super::entry(entries, idx);
        let rank = insert_sorted(entries, &mut self.global, idx);
        note_feed(dirty, FeedKey::GLOBAL, rank < items, self.global.len() == 1);
        for (kind, spelling) in e.terms() {
            let terms = &mut self.terms[kind.term_slot()];
            let renamed = terms.count_use(spelling, 1);
            let term = terms.term_of(spelling);
            let members = &mut terms.get_mut(term).members;
            let rank = insert_sorted(entries, members, idx);
            note_feed(
                dirty,
                FeedKey { kind, term },
                rank < items || renamed,
                members.len() == 1 || renamed,
            );
            if renamed {
                renamed_feeds.push(FeedKey { kind, term });
            }
        }
        let month = Month::of(e.published);
        insert_sorted(entries, self.months.entry(month).or_default(), idx);
        self.stamps.touch(e.published);
        dirty.extend([Unit::Month(month), Unit::SitemapIndex]);
        self.note_archives_near(idx, near, &renamed_feeds, dirty);
        if self.in_news(idx) {
            dirty.insert(Unit::News);
        }
    }

    /// Removes an entry from every list it is in, noting what that dirties.
    fn unlink(&mut self, idx: u32, dirty: &mut Dirty) {
        if self.is_embargoed(idx) {
            self.embargoed.remove(&(self.entry(idx).published, idx));
            return;
        }
        if !self.is_live(idx) {
            return;
        }
        if self.in_news(idx) {
            dirty.insert(Unit::News);
        }
        let near = self.archives_near(idx);
        let mut renamed_feeds = Vec::new();
        let items = self.items;
        let entries = &self.entries;
        let e = super::entry(entries, idx);
        let rank = remove_sorted(entries, &mut self.global, idx);
        note_feed(
            dirty,
            FeedKey::GLOBAL,
            rank.is_some_and(|r| r < items),
            self.global.is_empty(),
        );
        for (kind, spelling) in e.terms() {
            let terms = &mut self.terms[kind.term_slot()];
            let renamed = terms.count_use(spelling, -1);
            let term = terms.term_of(spelling);
            let members = &mut terms.get_mut(term).members;
            let rank = remove_sorted(entries, members, idx);
            let shown = rank.is_some_and(|r| r < items) || renamed;
            note_feed(
                dirty,
                FeedKey { kind, term },
                shown,
                members.is_empty() || renamed,
            );
            if renamed {
                renamed_feeds.push(FeedKey { kind, term });
            }
        }
        let month = Month::of(e.published);
        if let Some(list) = self.months.get_mut(&month) {
            remove_sorted(entries, list, idx);
            if list.is_empty() {
                self.months.remove(&month);
            }
        }
        self.stamps.touch(e.published);
        dirty.extend([Unit::Month(month), Unit::SitemapIndex]);
        self.note_archives_near(idx, near, &renamed_feeds, dirty);
    }

    /// Every feed of a live entry, seen before it is linked or unlinked (see `archives`).
    fn archives_near(&self, idx: u32) -> Vec<super::archives::Near> {
        let e = self.entry(idx);
        let terms = e.terms().map(|(kind, spelling)| FeedKey {
            kind,
            term: self.terms[kind.term_slot()].term_of(spelling),
        });
        std::iter::once(FeedKey::GLOBAL)
            .chain(terms)
            .filter_map(|key| self.near(key, idx))
            .collect()
    }

    /// Notes the archive pages a link or unlink dirtied.
    fn note_archives_near(
        &self,
        idx: u32,
        near: Vec<super::archives::Near>,
        renamed: &[FeedKey],
        dirty: &mut Dirty,
    ) {
        for before in near {
            let was_renamed = renamed.contains(&before.key());
            self.note_archives(idx, before, was_renamed, dirty);
        }
    }
}

/// A feed is dirty when the article is (or was) among its shown items; the
/// directory is dirty when a feed appears, disappears or is renamed.
fn note_feed(dirty: &mut Dirty, key: FeedKey, shown: bool, directory: bool) {
    if shown {
        dirty.insert(Unit::Feed(key));
    }
    if directory {
        dirty.insert(Unit::Feed(key));
        dirty.insert(Unit::Directory);
    }
}
