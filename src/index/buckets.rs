//! Sitemap buckets: the UTC days of a month and the hours of the news window,
//! each with a [`Stamp`] that changes whenever an article enters or leaves it.
//!
//! A sitemap file is made of one bucket's articles, so a pass compares stamps
//! and renders again only the buckets a change touched: the cost of a change is
//! that of its day and hour, not of its month and the whole news window. A
//! bucket's articles are a range of a sorted list, found by binary search.

use super::{ArticleKey, Index, Month, NEWS_WINDOW_SECS};
use std::collections::HashMap;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// Per UTC hour of first publication, the stamp of the last change that put an
/// article in it or took one out; an hour never touched has stamp 0 (as the
/// index was loaded).
#[derive(Debug, Default)]
pub(super) struct Stamps {
    by_hour: HashMap<i64, u64>,
    last: u64,
}

impl Stamps {
    /// Notes that an article first published at `published` entered or left.
    pub(super) fn touch(&mut self, published: i64) {
        self.last += 1;
        self.by_hour.insert(published.div_euclid(HOUR), self.last);
    }

    fn hour(&self, hour: i64) -> u64 {
        self.by_hour.get(&hour).copied().unwrap_or(0)
    }

    /// Stamps only grow, so a day's is the greatest of its hours'.
    fn day(&self, day: i64) -> u64 {
        (day * 24..(day + 1) * 24)
            .map(|h| self.hour(h))
            .max()
            .unwrap_or(0)
    }

    pub(super) fn capacity(&self) -> usize {
        self.by_hour.capacity()
    }
}

/// Which state of a bucket a file was rendered from: two equal stamps of a
/// bucket (the same index, no change since) mean the same articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    index: u32,
    value: u64,
    /// Articles in the bucket: the oldest hour of the news window loses
    /// articles as time passes without a change.
    len: usize,
}

impl Stamp {
    /// Articles in the bucket.
    pub(crate) fn articles(&self) -> usize {
        self.len
    }
}

/// One day of a month or one hour of the news window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    /// Its first second (UNIX time): the bucket's name.
    pub(crate) start: i64,
    /// Its state.
    pub(crate) stamp: Stamp,
    /// Its range in the list it was cut from (oldest first).
    range: (usize, usize),
    list: List,
}

#[derive(Debug, Clone, Copy)]
enum List {
    Month(Month),
    Global,
}

impl Index {
    /// The UTC days of a month that have visible articles, newest first.
    pub(crate) fn month_days(&self, month: Month) -> Vec<Bucket> {
        let list = self.months.get(&month).map_or(&[][..], Vec::as_slice);
        self.buckets(list, 0, DAY, List::Month(month))
    }

    /// The UTC hours of the news window that have articles, newest first.
    pub(crate) fn news_hours(&self) -> Vec<Bucket> {
        let cutoff = self.now - NEWS_WINDOW_SECS;
        let start = self
            .global
            .partition_point(|&i| self.entry(i).published <= cutoff);
        self.buckets(&self.global, start, HOUR, List::Global)
    }

    /// Keys and ids of a bucket's articles, newest first.
    pub(crate) fn bucket_slots(&self, bucket: &Bucket) -> Vec<(ArticleKey, &str)> {
        let list = match bucket.list {
            List::Month(m) => self.months.get(&m).map_or(&[][..], Vec::as_slice),
            List::Global => &self.global,
        };
        let (from, to) = bucket.range;
        list.get(from..to)
            .unwrap_or_default()
            .iter()
            .rev()
            .map(|&i| self.key_and_id(i))
            .collect()
    }

    /// `list[from..]` (oldest first) cut at multiples of `len` seconds, newest
    /// first: a binary search per bucket, not a walk of the list.
    fn buckets(&self, list: &[u32], from: usize, len: i64, of: List) -> Vec<Bucket> {
        let mut out = Vec::new();
        let mut pos = from;
        while let Some(&first) = list.get(pos) {
            let n = self.entry(first).published.div_euclid(len);
            let end =
                pos + list[pos..].partition_point(|&i| self.entry(i).published < (n + 1) * len);
            let value = match len {
                HOUR => self.stamps.hour(n),
                _ => self.stamps.day(n),
            };
            let stamp = Stamp {
                index: self.number,
                value,
                len: end - pos,
            };
            out.push(Bucket {
                start: n * len,
                stamp,
                range: (pos, end),
                list: of,
            });
            pos = end;
        }
        out.reverse();
        out
    }
}
