//! The one-shot build: load the index, render every unit, mirror to disk.
//!
//! Owns: the sequence of a full build and the demo seeding of an empty store.
//! Must not: serve or watch (see `serve`).

use crate::config::Config;
use crate::import::{self, ImportError, Options, Summary};
use crate::index::{ArticleKey, Dirty, Index, Unit};
use crate::pipeline::{self, Outcome};
use crate::publish::{DiskError, Publisher, prune_dir};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// A full build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output folder failed.
    #[error(transparent)]
    Disk(#[from] DiskError),
    /// Seeding the demo data failed.
    #[error("demo seed {path}: {source}")]
    Seed { path: String, source: ImportError },
    /// The seed file could not be opened.
    #[error("demo seed {path}: cannot open ({source}); fix [demo] seed_file")]
    SeedOpen {
        path: String,
        source: std::io::Error,
    },
}

/// Loads the index of every stored article as of `now`. Rows that are not valid
/// articles are logged and left out.
pub fn load_index(
    config: &Config,
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<(Index, u64), StoreError> {
    let loader =
        crate::index::Loader::new(config.feeds.items, now).archives(config.archives.bound());
    load_into(loader, store)
}

/// [`load_index`] into `loader` (a fresh one, or one numbering terms as a
/// previous index did: see [`crate::index::Loader::numbered_like`]).
pub(crate) fn load_into(
    mut loader: crate::index::Loader,
    store: &dyn Store,
) -> Result<(Index, u64), StoreError> {
    let cursor = store.scan_meta(&mut |row| loader.add(row), &mut |bad| {
        tracing::warn!(id = %bad.id, errors = ?bad.errors, "stored article is invalid; left out of every document");
    })?;
    let mut index = loader.finish();
    // Documents' change times: the same fold a running service makes entry by entry.
    for change in store.departures(cursor)? {
        index.note_departure(&change);
    }
    Ok((index, cursor))
}

/// Renders every document into `publisher`, in memory (tests and tools; the
/// build and serve commands render in batches, see [`build_to_disk`] and [`publish_all`]).
#[cfg(any(test, feature = "test-util"))]
pub fn render_all(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    publisher: &Publisher,
) -> Outcome {
    let caches = pipeline::Caches::default();
    let sources = pipeline::Sources {
        config,
        store,
        index,
        caches: &caches,
    };
    let outcome = pipeline::run(&sources, publisher, &pipeline::all_units(index));
    for failure in &outcome.failures {
        tracing::error!(%failure, "document not rendered");
    }
    outcome
}

/// Every unit of a full pass, in batches: feeds a batch at a time in
/// [`Index::feeds_by_reach`] order, sitemap months a batch at a time, then the
/// news sitemap, robots.txt and the directory.
fn full_pass_batches(index: &Index) -> Vec<Dirty> {
    let feeds: Vec<Unit> = index.feeds_by_reach().into_iter().map(Unit::Feed).collect();
    let months: Vec<Unit> = index.months().into_iter().map(Unit::Month).collect();
    let archives = pipeline::archive_units(index);
    let feed_batches = feeds.chunks(FEEDS_PER_BATCH);
    let archive_batches = archives.chunks(FEEDS_PER_BATCH);
    let month_batches = months.chunks(MONTHS_PER_BATCH);
    feed_batches
        .chain(archive_batches)
        .chain(month_batches)
        .map(|c| c.iter().copied().collect::<Dirty>())
        .chain([Dirty::from([Unit::News, Unit::Robots, Unit::Directory])])
        .collect()
}

/// Caches for a full pass: each article's item is rendered once and kept until
/// the last feed showing it.
fn full_pass_caches(index: &Index, heads: Arc<pipeline::FeedHeads>) -> pipeline::Caches {
    pipeline::Caches {
        heads,
        links: pipeline::LinkCache::default(),
        items: pipeline::ItemCache::planned(planned_uses(index), BUILD_ITEM_BUDGET),
        parts: pipeline::PartMemos::default(),
        sitemaps: pipeline::SitemapFiles::default(),
        feed_times: pipeline::FeedTimes::default(),
    }
}

/// Renders every document straight to `dir` (the same bytes as [`render_all`]),
/// with memory bounded whatever the corpus: see [`publish_all`].
pub fn build_to_disk(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    dir: &Path,
) -> Result<BuildReport, DiskError> {
    let publisher = Publisher::with_bodies_on_disk(dir.to_owned(), 0);
    let report = publish_all(config, store, index, &publisher, dir)?;
    if let Some(e) = report.disk_error {
        return Err(e);
    }
    Ok(BuildReport {
        written: publisher.snapshot().len(),
        removed: report.removed,
        failures: report.failed.len(),
    })
}

/// What [`publish_all`] did.
#[derive(Debug, Default)]
pub struct FullPass {
    /// Units that failed (their last good documents stay; retrying is the caller's).
    pub failed: Vec<Unit>,
    /// Stale files removed from the output folder.
    pub(crate) removed: usize,
    /// Sitemap rows of recent articles, kept for the passes that follow.
    pub(crate) links: pipeline::LinkCache,
    /// What each sitemap day and news hour was rendered from: the passes that
    /// follow render only those that change.
    pub(crate) parts: pipeline::PartMemos,
    /// The sitemap files rendered, kept for the passes that follow.
    pub(crate) sitemaps: pipeline::SitemapFiles,
    /// Each feed's Last-Modified as rendered, which the directory shows.
    pub(crate) feed_times: pipeline::FeedTimes,
    /// The first document that could not be written (it stays in memory).
    pub(crate) disk_error: Option<DiskError>,
}

/// Renders every document into `publisher` a batch at a time; a writer thread
/// mirrors each batch under `dir` (letting the written bodies leave memory,
/// within the publisher's budget) while the next one renders; then stale files
/// are removed. Each batch is committed: the publisher ends with every document.
/// A document that cannot be written stays in memory and is reported; only
/// failing to list the output folder for stale files is an error.
pub fn publish_all(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    publisher: &Publisher,
    dir: &Path,
) -> Result<FullPass, DiskError> {
    let heads = Arc::default();
    publish_all_keeping(config, store, index, publisher, dir, heads)
}

/// [`publish_all`], keeping what each feed shows in `heads` (the built-in
/// WebSub hub's diffs start from it).
pub(crate) fn publish_all_keeping(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    publisher: &Publisher,
    dir: &Path,
    heads: Arc<pipeline::FeedHeads>,
) -> Result<FullPass, DiskError> {
    let caches = full_pass_caches(index, heads);
    let sources = pipeline::Sources {
        config,
        store,
        index,
        caches: &caches,
    };
    let mut failed = Vec::new();
    let (to_writer, commits) = std::sync::mpsc::sync_channel(1);
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(move || crate::publish::mirror_loop(dir, publisher, commits));
        for units in full_pass_batches(index) {
            let outcome = pipeline::run(&sources, publisher, &units);
            failed.extend(log_failures(&outcome).iter().map(|f| f.unit()));
            if to_writer.send(outcome.published).is_err() {
                break; // the writer panicked: join says so
            }
        }
        drop(to_writer);
        writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    let disk_error = written.err();
    let (hits, misses) = caches.items.hits_and_misses();
    tracing::debug!(hits, misses, "feed items: rendered once, reused");
    let keep: HashSet<String> = publisher
        .snapshot()
        .artifacts()
        .map(|a| a.path.clone())
        .collect();
    Ok(FullPass {
        failed,
        removed: prune_dir(dir, &keep)?,
        links: caches.links,
        parts: caches.parts,
        sitemaps: caches.sitemaps,
        feed_times: caches.feed_times,
        disk_error,
    })
}

fn log_failures(outcome: &Outcome) -> &[pipeline::UnitError] {
    for failure in &outcome.failures {
        tracing::error!(%failure, "document not rendered");
    }
    &outcome.failures
}

/// How many feeds and archive pages show each article: the build's plan for
/// its item cache.
fn planned_uses(index: &Index) -> HashMap<ArticleKey, u32> {
    let mut uses: HashMap<ArticleKey, u32> = HashMap::new();
    for key in index.feeds() {
        for (article, _) in index.feed_slots(key) {
            *uses.entry(article).or_default() += 1;
        }
    }
    for unit in pipeline::archive_units(index) {
        if let Unit::Archive(key, period) = unit {
            for (article, _) in index.archive_slots(key, period) {
                *uses.entry(article).or_default() += 1;
            }
        }
    }
    uses
}

/// Feeds rendered (and held in memory) at a time by [`publish_all`].
const FEEDS_PER_BATCH: usize = 16;

/// Sitemap months rendered at a time by [`publish_all`] (a month of a big site
/// is a few MB of XML).
const MONTHS_PER_BATCH: usize = 12;

/// Rendered items a full pass keeps for the feeds that show them again.
const BUILD_ITEM_BUDGET: usize = 128 << 20;

/// What [`build_to_disk`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuildReport {
    /// Documents written.
    pub written: usize,
    /// Stale files removed.
    pub removed: usize,
    /// Units that failed to render.
    pub failures: usize,
}

/// Imports the demo seed into an empty store, dates moved by (now − seed_as_of).
/// Does nothing when no seed is configured or the store has articles.
pub fn seed_if_empty(
    config: &Config,
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<Option<Summary>, BuildError> {
    let Some(path) = &config.demo.seed_file else {
        return Ok(None);
    };
    if store.count()? > 0 {
        return Ok(None);
    }
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| BuildError::SeedOpen {
        path: name.clone(),
        source,
    })?;
    let shift = config
        .demo
        .seed_as_of
        .map(|as_of| now - as_of.with_timezone(&Utc));
    let mut reader = std::io::BufReader::new(file);
    let mut report = Vec::new();
    let summary = import::import(
        store,
        &mut reader,
        &name,
        Options { shift },
        &mut report,
        &mut |_| {},
    )
    .map_err(|source| BuildError::Seed {
        path: name.clone(),
        source,
    })?;
    for line in String::from_utf8_lossy(&report).lines() {
        tracing::warn!("{line}");
    }
    tracing::info!(%summary, seed = %name, "seeded the empty store with the demo articles");
    Ok(Some(summary))
}
