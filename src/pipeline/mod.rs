//! The pipeline: from a set of dirty units to a committed generation.
//!
//! Owns: reading from the store exactly what the dirty units show, calling the
//! pure renderers (in parallel for feeds and sitemap months), ordering units so
//! that indexes follow what they list, and staging + committing one generation.
//! A unit that fails keeps its last good documents; the failure is returned.
//! Also owns keeping its caches current: they hold what was rendered from an
//! article state under that state's [`ArticleKey`] (a replaced state never
//! matches), and [`apply_change`] applies a change to the index and drops what
//! the caches kept of the state it freed, in one step.
//! Must not: decide what is dirty (the index does), read back what publishing
//! holds (the sitemap index, robots.txt and news parts are made from the
//! [`SitemapFiles`] it records) or touch HTTP.

use crate::config::Config;
use crate::index::{ArticleKey, Dirty, FeedKey, Index, Period, Unit};
use crate::publish::{Published, Publisher, Staging};
use crate::render::{self, Document, RenderError, paths};
use crate::store::{MetaRow, Store, StoreError};
use thiserror::Error;

mod directory;
mod feeds;
mod heads;
mod items;
mod links;
mod parts;
mod sitemaps;
pub(crate) use directory::FeedTimes;
pub(crate) use heads::{FeedHeads, Head};
pub(crate) use items::{ItemCache, ItemError};
pub(crate) use links::LinkCache;
pub(crate) use parts::PartMemos;
pub(crate) use sitemaps::SitemapFiles;

/// Why one unit could not be rendered.
#[derive(Debug, Error)]
pub enum UnitError {
    /// Reading what it shows failed.
    #[error("{what}: {source}")]
    Store {
        unit: Unit,
        what: String,
        source: StoreError,
    },
    /// A renderer failed.
    #[error("{what}: {source}")]
    Render {
        unit: Unit,
        what: String,
        source: RenderError,
    },
}

impl UnitError {
    /// The unit that failed.
    pub(crate) fn unit(&self) -> Unit {
        match self {
            UnitError::Store { unit, .. } | UnitError::Render { unit, .. } => *unit,
        }
    }
}

/// The outcome of one pass.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What the commit changed.
    pub(crate) published: Published,
    /// Units rendered.
    pub(crate) rendered: usize,
    /// Units that failed (their last good documents stay).
    pub failures: Vec<UnitError>,
    /// The directory was rendered in this pass.
    pub(crate) directory_rendered: bool,
    /// The directory shows what this pass changed but was left for later
    /// (see [`run_live`]).
    pub(crate) directory_due: bool,
}

/// Every unit the index implies: a full build.
pub(crate) fn all_units(index: &Index) -> Dirty {
    let mut units: Dirty = index.feeds().into_iter().map(Unit::Feed).collect();
    units.extend(archive_units(index));
    units.extend(index.months().into_iter().map(Unit::Month));
    units.extend([
        Unit::SitemapIndex,
        Unit::News,
        Unit::Robots,
        Unit::Directory,
    ]);
    units
}

/// Every archive page of every feed, a period's pages of all feeds together
/// (oldest first), so that a pass meets an article's pages close together.
pub(crate) fn archive_units(index: &Index) -> Vec<Unit> {
    let mut pages: Vec<(Period, FeedKey)> = index
        .feeds()
        .into_iter()
        .flat_map(|key| index.archive_pages(key).into_iter().map(move |p| (p, key)))
        .collect();
    pages.sort_unstable_by_key(|&(p, key)| (p.month(), key, p));
    pages
        .into_iter()
        .map(|(p, key)| Unit::Archive(key, p))
        .collect()
}

/// What rendering reads from.
#[derive(Clone, Copy)]
pub(crate) struct Sources<'a> {
    /// Settings.
    pub(crate) config: &'a Config,
    /// Article bodies and sitemap rows.
    pub(crate) store: &'a dyn Store,
    /// Which articles each unit shows.
    pub(crate) index: &'a Index,
    /// What is kept between units and passes.
    pub(crate) caches: &'a Caches,
}

/// What is kept between units and passes: sitemap rows of recent articles and
/// rendered feed items, each under the [`ArticleKey`] of the article state it
/// was made from (the index gives an article a new key at every change, so a
/// kept entry is never returned stale, whatever order changes are applied in;
/// [`apply_change`] also drops it at once, so the budgets hold live entries),
/// and the sitemap files rendered.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    /// Sitemap rows and entries of recent articles.
    pub(crate) links: LinkCache,
    /// Rendered feed items.
    pub(crate) items: ItemCache,
    /// What each sitemap day and news hour was last rendered from.
    pub(crate) parts: PartMemos,
    /// The sitemap files rendered so far: not a cache that may be dropped (the
    /// sitemap index and robots.txt are made from it); it goes with the
    /// publisher whose documents these passes rendered.
    pub(crate) sitemaps: SitemapFiles,
    /// Each feed's Last-Modified as last rendered, which the directory shows;
    /// like `sitemaps`, a record of what was rendered, not a cache.
    pub(crate) feed_times: FeedTimes,
    /// What each feed shows, for the built-in WebSub hub's diffs (kept only
    /// when the hub is on; shared with it).
    pub(crate) heads: std::sync::Arc<FeedHeads>,
}

impl Caches {
    /// Drops what is kept of an article state the index freed.
    fn forget(&self, freed: ArticleKey) {
        self.links.forget(freed);
        self.items.forget(freed);
    }
}

/// Applies the store's current state of article `id` (`None`: it is gone) to
/// the index and drops what `caches` kept of the state it replaced; returns
/// the units dirtied. The live path changes the index through here.
pub(crate) fn apply_change(
    index: &mut Index,
    caches: &Caches,
    id: &str,
    row: Option<MetaRow>,
) -> Dirty {
    let applied = index.apply(id, row);
    if let Some(freed) = applied.freed {
        caches.forget(freed);
    }
    applied.dirty
}

/// A pass of the live path: [`run`], with the directory rendered again
/// whenever a feed is (it shows each feed's count and last change). A full
/// pass renders the directory once, in its last batch.
///
/// The directory (every feed with its count: O(feeds) to render, 60 ms at a
/// million articles) is rendered with them only when `with_directory`; else
/// it is left out and [`Outcome::directory_due`] says it is owed.
pub(crate) fn run_live(
    sources: &Sources,
    publisher: &Publisher,
    units: &Dirty,
    with_directory: bool,
) -> Outcome {
    let mut units = with_indexes(units, true);
    let deferred = !with_directory && units.remove(&Unit::Directory);
    let mut outcome = run_units(sources, publisher, &units);
    outcome.directory_rendered = units.contains(&Unit::Directory);
    outcome.directory_due = deferred;
    outcome
}

/// Renders `units` and commits them as one generation.
pub(crate) fn run(sources: &Sources, publisher: &Publisher, units: &Dirty) -> Outcome {
    run_units(sources, publisher, &with_indexes(units, false))
}

/// `units` and the indexes that list what they are: the sitemap index,
/// robots.txt and the directory (see [`directory::follows`] for `feeds`).
/// Indexes follow what they list, whoever asked for the unit (a change or a retry).
fn with_indexes(units: &Dirty, feeds: bool) -> Dirty {
    let mut units = units.clone();
    if units.iter().any(|u| matches!(u, Unit::Month(_))) {
        units.insert(Unit::SitemapIndex);
    }
    if units.contains(&Unit::News) || units.contains(&Unit::SitemapIndex) {
        units.insert(Unit::Robots);
    }
    directory::follows(&mut units, feeds);
    units
}

/// Renders exactly `units` and commits them as one generation.
fn run_units(sources: &Sources, publisher: &Publisher, units: &Dirty) -> Outcome {
    let (parallel, ordered): (Vec<Unit>, Vec<Unit>) = units
        .iter()
        .partition(|u| matches!(u, Unit::Feed(_) | Unit::Archive(..) | Unit::Month(_)));
    let mut outcome = Outcome::default();
    let mut staging = publisher.stage();
    for (unit, result) in render_parallel(sources, &parallel) {
        settle(&mut staging, sources.caches, &mut outcome, unit, result);
    }
    for unit in ordered {
        let result = stamp(sources.index, unit, render_unit(sources, unit));
        settle(&mut staging, sources.caches, &mut outcome, unit, result);
    }
    outcome.published = publisher.commit(staging);
    outcome
}

/// Stages what a unit rendered and records its sitemap files and feed times;
/// a failure keeps all three.
fn settle(
    staging: &mut Staging,
    caches: &Caches,
    outcome: &mut Outcome,
    unit: Unit,
    result: Result<Vec<Document>, UnitError>,
) {
    outcome.rendered += 1;
    match result {
        Ok(docs) => {
            caches.sitemaps.record(unit, &docs);
            caches.feed_times.record(unit, &docs);
            staging.replace_unit(unit, docs);
        }
        Err(e) => outcome.failures.push(e),
    }
}

type Rendered = (Unit, Result<Vec<Document>, UnitError>);

/// Renders on rayon's pool: threads that live as long as the process, so that a
/// pass of a few feeds pays no thread start-up and the allocator keeps its
/// per-thread heaps (threads spawned per pass left their heaps to be reclaimed).
fn render_parallel(sources: &Sources, units: &[Unit]) -> Vec<Rendered> {
    use rayon::prelude::*;
    units
        .par_iter()
        .map(|&unit| (unit, stamp(sources.index, unit, render_unit(sources, unit))))
        .collect()
}

/// A unit's `Last-Modified` never falls below the last time an article left it
/// ([`Index::change_time`]). Sitemaps take that floor while they render (it is
/// part of a sitemap file's fingerprint); the other units are raised here.
fn stamp(
    index: &Index,
    unit: Unit,
    result: Result<Vec<Document>, UnitError>,
) -> Result<Vec<Document>, UnitError> {
    let Some(changed) = index.change_time(unit) else {
        return result;
    };
    if matches!(unit, Unit::Month(_) | Unit::News) {
        return result;
    }
    result.map(|mut docs| {
        docs.iter_mut()
            .for_each(|d| d.last_modified = d.last_modified.max(Some(changed)));
        docs
    })
}

fn render_unit(sources: &Sources, unit: Unit) -> Result<Vec<Document>, UnitError> {
    let Sources { config, index, .. } = *sources;
    let sitemaps = &sources.caches.sitemaps;
    let site = &config.site;
    let render_err = |source| UnitError::Render {
        unit,
        what: describe(index, unit),
        source,
    };
    match unit {
        Unit::Feed(key) => feeds::render_feed(sources, key, unit),
        Unit::Archive(key, period) => feeds::render_archive(sources, key, period, unit),
        Unit::Month(month) => parts::render_month(sources, unit, month),
        Unit::SitemapIndex => Ok(sitemaps
            .sitemap_index(site)
            .map_err(render_err)?
            .into_iter()
            .collect()),
        Unit::News => parts::render_news(sources, unit),
        Unit::Robots => {
            let robots = render::robots(
                site,
                sitemaps.has(Unit::SitemapIndex, paths::SITEMAP_INDEX),
                sitemaps.has(Unit::News, paths::NEWS_SITEMAP),
            );
            // The IndexNow key file goes with robots.txt: both are for crawlers.
            let key = config.indexnow.as_ref().map(|i| i.key.as_str());
            Ok([robots]
                .into_iter()
                .chain(key.map(render::indexnow_key_file))
                .collect())
        }
        Unit::Directory => directory::render(sources, unit),
    }
}

/// The folders of the feeds among `units` (for the built-in WebSub hub).
pub(crate) fn feed_dirs(index: &Index, units: &Dirty) -> Vec<String> {
    units
        .iter()
        .filter_map(|u| match u {
            Unit::Feed(key) => Some(paths::feed_dir(&index.feed_info(*key))),
            _ => None,
        })
        .collect()
}

/// The documents of a unit, as a reader of the logs would look for them.
pub(super) fn describe(index: &Index, unit: Unit) -> String {
    match unit {
        Unit::Feed(key) => {
            let dir = paths::feed_dir(&index.feed_info(key));
            let files = [paths::ATOM, paths::JSON, paths::PAGE].join(", ");
            format!("{dir}{} ({files})", paths::RSS)
        }
        Unit::Archive(key, period) => {
            let dir = paths::feed_dir(&index.feed_info(key));
            format!("{dir}archive/{}/ (3 formats)", period.label())
        }
        Unit::Month(month) => format!("sitemaps/{}-*.xml", month.label()),
        Unit::SitemapIndex => paths::SITEMAP_INDEX.into(),
        Unit::News => paths::NEWS_SITEMAP.into(),
        Unit::Robots => paths::ROBOTS.into(),
        Unit::Directory => format!(
            "{}, {} and {}",
            paths::DIRECTORY,
            paths::OPML,
            paths::FEED_CSS
        ),
    }
}
