//! Names of feeds and of render units: what a change can dirty.

/// The four kinds of feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKind {
    /// Every visible article.
    Global,
    /// Articles of one section.
    Section,
    /// Articles carrying one tag.
    Tag,
    /// Articles by one author.
    Author,
}

impl FeedKind {
    /// The URL folder of this kind's feeds (`None` for the global feed, at the root).
    pub(crate) fn folder(self) -> Option<&'static str> {
        match self {
            FeedKind::Global => None,
            FeedKind::Section => Some("sections"),
            FeedKind::Tag => Some("tags"),
            FeedKind::Author => Some("authors"),
        }
    }

    /// The kinds that have terms (all but global), in a fixed order.
    pub const TERMED: [FeedKind; 3] = [FeedKind::Section, FeedKind::Tag, FeedKind::Author];

    pub(crate) fn term_slot(self) -> usize {
        match self {
            FeedKind::Global | FeedKind::Section => 0,
            FeedKind::Tag => 1,
            FeedKind::Author => 2,
        }
    }
}

/// One feed: a kind and, for all but the global feed, a term (interned slug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedKey {
    /// Which kind of feed.
    pub kind: FeedKind,
    /// The term's number within its kind (0 for the global feed).
    pub term: u32,
}

impl FeedKey {
    /// The global feed.
    pub const GLOBAL: FeedKey = FeedKey {
        kind: FeedKind::Global,
        term: 0,
    };
}

/// A calendar month (UTC) of first publication, `year * 100 + month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(pub u32);

impl Month {
    /// The month of a UNIX time.
    pub fn of(unix: i64) -> Month {
        use chrono::Datelike;
        let t = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default();
        Month(t.year().max(0) as u32 * 100 + t.month())
    }

    /// `2026-11`.
    pub(crate) fn label(self) -> String {
        format!("{:04}-{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The period an archive page covers: a calendar month (UTC) of first
/// publication, one day of it when the month holds more archived articles
/// than a page may, or one hour of that day when the day does too (see
/// `index::archives`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// `YYYYMM`.
    Month(Month),
    /// `YYYYMMDD`.
    Day(u32),
    /// `YYYYMMDDHH`.
    Hour(u32),
}

impl Period {
    /// `2026-11`, `2026-11-29` or `2026-11-29T14`: the page's folder name.
    pub fn label(self) -> String {
        match self {
            Period::Month(m) => m.label(),
            Period::Day(d) => format!("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100),
            Period::Hour(h) => format!("{}T{:02}", Period::Day(h / 100).label(), h % 100),
        }
    }

    /// The month the period is in.
    pub(crate) fn month(self) -> Month {
        match self {
            Period::Month(m) => m,
            Period::Day(d) => Month(d / 100),
            Period::Hour(h) => Month(h / 10000),
        }
    }

    /// The first second of the period and the first after it (UNIX times).
    pub(crate) fn bounds(self) -> (i64, i64) {
        use chrono::{Days, Months, NaiveDate};
        let (start, next) = match self {
            Period::Month(Month(m)) => {
                let start = NaiveDate::from_ymd_opt((m / 100) as i32, m % 100, 1);
                (
                    start,
                    start.and_then(|s| s.checked_add_months(Months::new(1))),
                )
            }
            Period::Day(d) => {
                let start = NaiveDate::from_ymd_opt((d / 10000) as i32, d / 100 % 100, d % 100);
                (start, start.and_then(|s| s.checked_add_days(Days::new(1))))
            }
            Period::Hour(h) => {
                let (day, _) = Period::Day(h / 100).bounds();
                let start = day.saturating_add(i64::from(h % 100) * 3600);
                return (start, start.saturating_add(3600));
            }
        };
        let unix = |d: Option<NaiveDate>| {
            d.and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(i64::MAX, |t| t.and_utc().timestamp())
        };
        (unix(start), unix(next))
    }

    /// The day of a UNIX time.
    pub(crate) fn day_of(unix: i64) -> Period {
        use chrono::Datelike;
        let t = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default();
        Period::Day(t.year().max(0) as u32 * 10000 + t.month() * 100 + t.day())
    }

    /// The hour of a UNIX time.
    pub(crate) fn hour_of(unix: i64) -> Period {
        use chrono::{Datelike, Timelike};
        let t = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default();
        let day = t.year().max(0) as u32 * 10000 + t.month() * 100 + t.day();
        Period::Hour(day * 100 + t.hour())
    }
}

/// A piece of output rendered as one: a feed (three formats), a month of the
/// sitemap, the sitemap index, the news sitemap, robots.txt, or the directory
/// (OPML, HTML), which changes when the set of feeds changes. Units render in
/// this order, so that an index is rendered after what it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// A feed in RSS, Atom and JSON Feed.
    Feed(FeedKey),
    /// One archive page of a feed (RFC 5005), in the three formats.
    Archive(FeedKey, Period),
    /// The sitemap file(s) of one month.
    Month(Month),
    /// `sitemap.xml`.
    SitemapIndex,
    /// `news-sitemap.xml` (and its parts when over 1,000 URLs).
    News,
    /// `robots.txt`, which names the sitemap indexes that exist.
    Robots,
    /// `index.html` and `feeds.opml`, which list every feed.
    Directory,
}

/// One applied state of one stored article, as the caches of what is rendered
/// from it name it: the index it came from, its slot there and the slot's
/// generation. The index bumps a slot's generation whenever the article in it is
/// applied again or deleted, so a key stops matching once the state it was made
/// from is replaced; a slot reused by another article, or a key of another
/// (e.g. reloaded) index, never matches either. Generations wrap after 2³² changes
/// of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ArticleKey {
    /// The number of the [`Index`](super::Index) that made the key.
    pub(crate) index: u32,
    /// The article's place in that index's table (reused after a deletion).
    pub(crate) slot: u32,
    /// How many times the slot was refilled or freed before this state.
    pub(crate) generation: u32,
}

impl ArticleKey {
    /// The article's place in its index's table: dense, so a cache may be a `Vec`
    /// by slot (that keeps the rest of the key to check against).
    pub(crate) fn slot(self) -> usize {
        self.slot as usize
    }
}
