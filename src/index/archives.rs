//! Archive pages (RFC 5005): which pages a feed has, what each holds, how they
//! link, and which pages a change dirties.
//!
//! A feed's *archived* articles are its visible articles that its current
//! document does not show (all but the newest `items`), so that the current
//! document and its archive pages hold every visible article exactly once.
//! They are partitioned by calendar month (UTC) of first publication; a month
//! holding more archived articles than a page may (`bound`) is split into one
//! page per day, and such a day holding more than `bound` into one page per
//! hour, so that the newest page, which every new article changes, stays
//! small (an hour is never split). A page's members and links therefore change only when an
//! article of its period is added, dropped or moved, when the newest archived
//! article crosses into or out of the current document (only the newest page),
//! when a neighbouring page appears or disappears, or when the feed's display
//! name changes. Must not: read the store or the clock.

use super::{Dirty, FeedKey, Index, Month, Period, Unit};
use std::collections::BTreeSet;
use std::ops::Range;

/// What a change may alter of one feed's archive pages, seen before it.
#[derive(Debug)]
pub(super) struct Near {
    key: FeedKey,
    months: BTreeSet<Month>,
    pages: BTreeSet<Period>,
    own: Option<Period>,
    shown: bool,
    newest: Option<Period>,
}

impl Near {
    /// The feed.
    pub(super) fn key(&self) -> FeedKey {
        self.key
    }
}

impl Index {
    /// Sets the most archived articles a page holds before its month is split
    /// by day; 0 turns archives off.
    pub(crate) fn set_archive_bound(&mut self, bound: usize) {
        self.archive_bound = bound;
    }

    /// The feed's archived articles, oldest first: all but the newest `items`.
    fn archived(&self, key: FeedKey) -> &[u32] {
        if self.archive_bound == 0 {
            return &[];
        }
        let members = self.members(key);
        &members[..members.len().saturating_sub(self.items)]
    }

    /// Positions in `list` of the articles first published in `period`.
    fn span(&self, list: &[u32], period: Period) -> Range<usize> {
        let (start, end) = period.bounds();
        let lo = list.partition_point(|&i| self.entry(i).published < start);
        let hi = lo + list[lo..].partition_point(|&i| self.entry(i).published < end);
        lo..hi
    }

    /// The page holding `list[pos]`: its month, else its day, else its hour,
    /// the first that holds no more than `bound` archived articles.
    fn page_at(&self, list: &[u32], pos: usize) -> Period {
        let t = self.entry(list[pos]).published;
        let fits = |p: Period| self.span(list, p).len() <= self.archive_bound;
        [Period::Month(Month::of(t)), Period::day_of(t)]
            .into_iter()
            .find(|&p| fits(p))
            .unwrap_or_else(|| Period::hour_of(t))
    }

    /// Positions of `period`'s articles if it is a page of `list` now.
    fn page_span(&self, list: &[u32], period: Period) -> Option<Range<usize>> {
        let range = self.span(list, period);
        (!range.is_empty() && self.page_at(list, range.start) == period).then_some(range)
    }

    /// The pages of `list[range]`, oldest first.
    fn pages_in(&self, list: &[u32], range: Range<usize>, out: &mut Vec<Period>) {
        let mut pos = range.start;
        while pos < range.end {
            let page = self.page_at(list, pos);
            out.push(page);
            pos = self.span(list, page).end;
        }
    }

    /// A feed's archive pages, oldest first.
    pub(crate) fn archive_pages(&self, key: FeedKey) -> Vec<Period> {
        let list = self.archived(key);
        let mut pages = Vec::new();
        self.pages_in(list, 0..list.len(), &mut pages);
        pages
    }

    /// Whether `period` is one of the feed's archive pages now (without
    /// listing them all: a restart asks this of every page it names).
    pub(crate) fn is_archive_page(&self, key: FeedKey, period: Period) -> bool {
        self.page_span(self.archived(key), period).is_some()
    }

    /// The newest archive page of a feed: the one its current document links to.
    pub(crate) fn newest_archive(&self, key: FeedKey) -> Option<Period> {
        let list = self.archived(key);
        (!list.is_empty()).then(|| self.page_at(list, list.len() - 1))
    }

    /// Keys and ids of an archive page's articles, newest first (empty when the
    /// feed has no such page).
    pub(crate) fn archive_slots(
        &self,
        key: FeedKey,
        period: Period,
    ) -> Vec<(super::ArticleKey, &str)> {
        let list = self.archived(key);
        let Some(range) = self.page_span(list, period) else {
            return Vec::new();
        };
        list[range]
            .iter()
            .rev()
            .map(|&i| self.key_and_id(i))
            .collect()
    }

    /// The pages before (older) and after (newer) an existing page.
    pub(crate) fn archive_neighbours(
        &self,
        key: FeedKey,
        period: Period,
    ) -> (Option<Period>, Option<Period>) {
        let list = self.archived(key);
        let Some(range) = self.page_span(list, period) else {
            return (None, None);
        };
        let prev = (range.start > 0).then(|| self.page_at(list, range.start - 1));
        let next = (range.end < list.len()).then(|| self.page_at(list, range.end));
        (prev, next)
    }

    /// The pages of the given months and the pages next to them.
    fn pages_near(&self, list: &[u32], months: &BTreeSet<Month>) -> BTreeSet<Period> {
        let mut pages = Vec::new();
        for &month in months {
            let range = self.span(list, Period::Month(month));
            if range.start > 0 {
                pages.push(self.page_at(list, range.start - 1));
            }
            if range.end < list.len() {
                pages.push(self.page_at(list, range.end));
            }
            self.pages_in(list, range, &mut pages);
        }
        pages.into_iter().collect()
    }

    /// The months of the articles around the boundary between a feed's archive
    /// and its current document (a change moves it by one article at most).
    /// `reach` articles on each side: 4 before the change, 2 after it, so that
    /// the articles seen after it were all seen before (or are the one changed).
    fn boundary_months(&self, key: FeedKey, reach: usize, months: &mut BTreeSet<Month>) {
        let members = self.members(key);
        let boundary = members.len().saturating_sub(self.items);
        let window = boundary.saturating_sub(reach)..(boundary + reach).min(members.len());
        for &i in &members[window] {
            months.insert(Month::of(self.entry(i).published));
        }
    }

    /// What the change of article `idx` in feed `key` may alter, seen now (before it).
    pub(super) fn near(&self, key: FeedKey, idx: u32) -> Option<Near> {
        if self.archive_bound == 0 {
            return None;
        }
        let mut months = BTreeSet::from([Month::of(self.entry(idx).published)]);
        self.boundary_months(key, 4, &mut months);
        let mut near = Near {
            key,
            pages: BTreeSet::new(),
            months,
            own: None,
            shown: false,
            newest: None,
        };
        self.observe(idx, &mut near);
        near.pages = self.pages_near(self.archived(key), &near.months);
        Some(near)
    }

    /// Where `idx` is in the feed now (archived: its page; or shown), and the newest page.
    fn observe(&self, idx: u32, near: &mut Near) {
        let list = self.archived(near.key);
        let members = self.members(near.key);
        let entries = &self.entries;
        let pos = members
            .binary_search_by(|&p| super::order(entries, p, idx))
            .ok();
        near.own = pos
            .filter(|&p| p < list.len())
            .map(|p| self.page_at(list, p));
        near.shown = pos.is_some_and(|p| p >= list.len());
        near.newest = self.newest_archive(near.key);
    }

    /// Compares `before` with now (after the change) and notes the pages, and
    /// the feed, whose documents may differ; every page when the feed was renamed.
    pub(super) fn note_archives(&self, idx: u32, before: Near, renamed: bool, dirty: &mut Dirty) {
        let key = before.key;
        let mut after = Near {
            key,
            months: before.months.clone(),
            pages: BTreeSet::new(),
            own: None,
            shown: false,
            newest: None,
        };
        self.observe(idx, &mut after);
        self.boundary_months(key, 2, &mut after.months);
        let list = self.archived(key);
        after.pages = self.pages_near(list, &after.months);
        let page = |p: Period| Unit::Archive(key, p);
        dirty.extend([before.own, after.own].into_iter().flatten().map(page));
        if before.shown || after.shown {
            dirty.extend(
                [before.newest, after.newest]
                    .into_iter()
                    .flatten()
                    .map(page),
            );
        }
        if before.newest != after.newest {
            dirty.insert(Unit::Feed(key));
        }
        dirty.extend(reshaped(&before.pages, &after.pages).into_iter().map(page));
        if renamed {
            dirty.extend(self.archive_pages(key).into_iter().map(page));
        }
    }
}

/// The pages that appeared or vanished between `before` and `after` (pages
/// of the same months and their neighbours), and the pages next to them,
/// whose links change. A page next to one that vanished or appeared is in the
/// same sets: each month's pages come with the pages on either side.
fn reshaped(before: &BTreeSet<Period>, after: &BTreeSet<Period>) -> Vec<Period> {
    if before == after {
        return Vec::new();
    }
    let in_time = |set: &BTreeSet<Period>| {
        let mut pages: Vec<Period> = set.iter().copied().collect();
        pages.sort_by_cached_key(|p| p.bounds());
        pages
    };
    let mut out = Vec::new();
    for (pages, other) in [(in_time(before), after), (in_time(after), before)] {
        for (i, p) in pages.iter().enumerate() {
            if !other.contains(p) {
                out.extend(&pages[i.saturating_sub(1)..(i + 2).min(pages.len())]);
            }
        }
    }
    out
}
