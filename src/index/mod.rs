//! The index: in memory, what deciding needs and no more.
//!
//! Owns: per article its id, dates, status and term spellings; per feed (global,
//! each section, tag and author) and per sitemap month the ordered list of its
//! visible articles; the embargo queue; the [`ArticleKey`] of each article's
//! current state; per document the last time an article left it (folded from
//! the change log, see `changes`); the partition of each feed's older articles
//! into archive pages (see `archives`). Applying a change returns the [`Unit`]s it
//! dirtied and the key it freed (see [`Applied`]); moving the clock returns the
//! units it dirtied, and [`Index::next_deadline`] says when time alone will next
//! change something. Must not: read the store, the clock (time is passed in) or
//! article text.

mod archives;
mod buckets;
mod changes;
mod ids;
mod keys;
mod terms;
#[cfg(test)]
mod tests;

pub(crate) use buckets::{Bucket, Stamp};
pub use keys::Period;
pub(crate) use keys::{ArticleKey, Unit};
pub use keys::{FeedKey, FeedKind, Month};
pub(crate) use terms::Terms;

use crate::store::MetaRow;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

/// How long an article stays in the Google News sitemap.
pub(crate) const NEWS_WINDOW_SECS: i64 = 48 * 3600;

/// Units dirtied by a change, in a fixed order.
pub(crate) type Dirty = BTreeSet<Unit>;

#[derive(Debug)]
struct Entry {
    id: Box<str>,
    published: i64,
    draft: bool,
    /// The slot's generation: see [`ArticleKey`].
    generation: u32,
    /// Spelling numbers, in `Terms` of their kind.
    section: Option<u32>,
    authors: Box<[u32]>,
    tags: Box<[u32]>,
}

// The generation fits in the entry's padding: the index stays ~175 bytes/article.
const _: () = assert!(std::mem::size_of::<Option<Entry>>() <= 72);

impl Entry {
    /// (kind, spelling) of every term feed the article belongs to.
    fn terms(&self) -> impl Iterator<Item = (FeedKind, u32)> + '_ {
        let section = self.section.map(|s| (FeedKind::Section, s));
        section
            .into_iter()
            .chain(self.tags.iter().map(|&s| (FeedKind::Tag, s)))
            .chain(self.authors.iter().map(|&s| (FeedKind::Author, s)))
    }
}

/// The in-memory index of every stored article.
#[derive(Debug)]
pub struct Index {
    /// This index's number, in every [`ArticleKey`] it makes.
    number: u32,
    items: usize,
    now: i64,
    entries: Vec<Option<Entry>>,
    /// Empty slots and the generation the next article in each gets.
    free: Vec<(u32, u32)>,
    by_id: ids::IdMap,
    /// Visible articles, oldest first (`order`).
    global: Vec<u32>,
    terms: [Terms; 3],
    months: BTreeMap<Month, Vec<u32>>,
    embargoed: BTreeSet<(i64, u32)>,
    changed: changes::ChangeTimes,
    /// When each hour of first publication last gained or lost an article.
    stamps: buckets::Stamps,
    /// Most archived articles on a page before its month is split by day; 0:
    /// no archives (see `archives`).
    archive_bound: usize,
}

/// Oldest first; among equal times, greater id first, so that reading a list
/// backwards gives "published desc, id asc".
fn order(entries: &[Option<Entry>], a: u32, b: u32) -> Ordering {
    let (ea, eb) = (entry(entries, a), entry(entries, b));
    ea.published
        .cmp(&eb.published)
        .then_with(|| eb.id.cmp(&ea.id))
}

fn entry(entries: &[Option<Entry>], idx: u32) -> &Entry {
    entries[idx as usize]
        .as_ref()
        .expect("lists hold only live slots")
}

/// Inserts `idx` in order; its rank from the newest (0 = newest).
fn insert_sorted(entries: &[Option<Entry>], list: &mut Vec<u32>, idx: u32) -> usize {
    let pos = list
        .binary_search_by(|&p| order(entries, p, idx))
        .unwrap_or_else(|p| p);
    list.insert(pos, idx);
    list.len() - 1 - pos
}

/// Removes `idx`; the rank it had from the newest.
fn remove_sorted(entries: &[Option<Entry>], list: &mut Vec<u32>, idx: u32) -> Option<usize> {
    let pos = list.binary_search_by(|&p| order(entries, p, idx)).ok()?;
    let rank = list.len() - 1 - pos;
    list.remove(pos);
    Some(rank)
}

impl Index {
    /// An empty index showing `items` articles per feed, at time `now`.
    pub(crate) fn new(items: usize, now: DateTime<Utc>) -> Index {
        static INDEXES: AtomicU32 = AtomicU32::new(0);
        Index {
            number: INDEXES.fetch_add(1, AtomicOrdering::Relaxed),
            items,
            now: now.timestamp(),
            entries: Vec::new(),
            free: Vec::new(),
            by_id: ids::IdMap::default(),
            global: Vec::new(),
            terms: Default::default(),
            months: BTreeMap::new(),
            embargoed: BTreeSet::new(),
            changed: Default::default(),
            stamps: Default::default(),
            archive_bound: 0,
        }
    }

    /// Builds the index from every row at once (faster than applying them one by one).
    #[cfg(test)]
    pub(crate) fn load(
        items: usize,
        now: DateTime<Utc>,
        rows: impl IntoIterator<Item = MetaRow>,
    ) -> Index {
        let mut loader = Loader(Index::new(items, now));
        rows.into_iter().for_each(|row| loader.add(row));
        loader.finish()
    }

    fn push_unsorted(&mut self, idx: u32) {
        self.global.push(idx);
        let e = entry(&self.entries, idx);
        let month = Month::of(e.published);
        for (kind, spelling) in e.terms() {
            let terms = &mut self.terms[kind.term_slot()];
            terms.count_use(spelling, 1);
            let term = terms.term_of(spelling);
            terms.get_mut(term).members.push(idx);
        }
        self.months.entry(month).or_default().push(idx);
    }

    fn sort_lists(&mut self) {
        let entries = &self.entries;
        let sort = |list: &mut Vec<u32>| list.sort_unstable_by(|&a, &b| order(entries, a, b));
        sort(&mut self.global);
        for terms in &mut self.terms {
            for t in 0..terms.len() as u32 {
                sort(&mut terms.get_mut(t).members);
            }
        }
        self.months.values_mut().for_each(sort);
    }

    fn entry(&self, idx: u32) -> &Entry {
        entry(&self.entries, idx)
    }

    /// The key of the state now in slot `idx`.
    fn key(&self, idx: u32) -> ArticleKey {
        ArticleKey {
            index: self.number,
            slot: idx,
            generation: self.entry(idx).generation,
        }
    }

    fn is_live(&self, idx: u32) -> bool {
        let e = self.entry(idx);
        !e.draft && e.published <= self.now
    }

    fn is_embargoed(&self, idx: u32) -> bool {
        let e = self.entry(idx);
        !e.draft && e.published > self.now
    }

    fn in_news(&self, idx: u32) -> bool {
        self.is_live(idx) && self.entry(idx).published > self.now - NEWS_WINDOW_SECS
    }

    fn store_entry(&mut self, row: MetaRow) -> u32 {
        let [sections, tags, authors] = &mut self.terms;
        let e = Entry {
            id: row.id.as_str().into(),
            published: row.published_at.timestamp(),
            draft: row.draft,
            generation: 0,
            section: row.section.as_deref().map(|s| sections.intern(s)),
            authors: row.authors.iter().map(|a| authors.intern(a)).collect(),
            tags: row.tags.iter().map(|t| tags.intern(t)).collect(),
        };
        let idx = match self.free.pop() {
            Some((idx, generation)) => {
                self.entries[idx as usize] = Some(Entry { generation, ..e });
                idx
            }
            None => {
                self.entries.push(Some(e));
                (self.entries.len() - 1) as u32
            }
        };
        self.by_id.insert(&self.entries, idx);
        idx
    }
}

/// Loads an index row by row (for a store scan that visits rows rather than
/// returning them): lists are sorted once, at [`Loader::finish`].
#[derive(Debug)]
pub(crate) struct Loader(Index);

impl Loader {
    /// An empty index of `items`-item feeds as of `now`.
    pub(crate) fn new(items: usize, now: DateTime<Utc>) -> Loader {
        Loader(Index::new(items, now))
    }

    /// An empty index that numbers terms as `old` does (see [`Terms::emptied`]).
    pub(crate) fn numbered_like(old: &Index, now: DateTime<Utc>) -> Loader {
        let mut index = Index::new(old.items, now);
        index.archive_bound = old.archive_bound;
        index.terms = [0, 1, 2].map(|i| old.terms[i].emptied());
        Loader(index)
    }

    /// Archive pages of at most `bound` articles before a month is split by
    /// day; 0 (the default) turns archives off.
    pub(crate) fn archives(mut self, bound: usize) -> Loader {
        self.0.set_archive_bound(bound);
        self
    }

    /// Adds one article.
    pub(crate) fn add(&mut self, row: MetaRow) {
        let index = &mut self.0;
        let idx = index.store_entry(row);
        if index.is_live(idx) {
            index.push_unsorted(idx);
        } else if index.is_embargoed(idx) {
            index.embargoed.insert((index.entry(idx).published, idx));
        }
    }

    /// The index, its lists sorted.
    pub(crate) fn finish(mut self) -> Index {
        self.0.sort_lists();
        self.0
    }
}

mod apply;
mod views;
pub use views::FeedInfo;
