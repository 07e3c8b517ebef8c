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

/// A piece of output rendered as one: a feed (three formats), a month of the
/// sitemap, the sitemap index, the news sitemap, robots.txt, or the directory
/// (OPML, HTML), which changes when the set of feeds changes. Units render in
/// this order, so that an index is rendered after what it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// A feed in RSS, Atom and JSON Feed.
    Feed(FeedKey),
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
