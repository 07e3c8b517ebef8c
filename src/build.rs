//! The one-shot build: load the index, render every unit, mirror to disk.
//!
//! Owns: the sequence of a full build and the demo seeding of an empty store.
//! Must not: serve or watch (see `serve`).

use crate::config::Config;
use crate::import::{self, ImportError, Options, Summary};
use crate::index::{Dirty, Index, Unit};
use crate::pipeline::{self, Outcome};
use crate::publish::{DiskError, Publisher, Snapshot, prune_dir, write_atomically};
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
    let mut rows = Vec::new();
    let cursor = store.scan_meta(&mut |row| rows.push(row), &mut |bad| {
        tracing::warn!(id = %bad.id, errors = ?bad.errors, "stored article is invalid; left out of every document");
    })?;
    Ok((Index::load(config.feeds.items, now, rows), cursor))
}

/// Renders every document into `publisher`, in memory (tests and tools; the
/// build and serve commands render in batches, see [`build_to_disk`] and [`publish_all`]).
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

fn write_snapshot(
    dir: &Path,
    snapshot: &Snapshot,
    written: &mut HashSet<String>,
) -> Result<(), DiskError> {
    for artifact in snapshot.artifacts() {
        // Nothing writes a body out of a build's publisher: it is in memory.
        if let Some(body) = artifact.resident_body() {
            write_atomically(dir, &artifact.path, &body)?;
        }
        written.insert(artifact.path.clone());
    }
    Ok(())
}

/// Feeds rendered (and held in memory) at a time by [`build_to_disk`].
const FEEDS_PER_BATCH: usize = 16;

/// Rendered items [`build_to_disk`] keeps for the feeds that show them again.
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

/// Every unit of a full pass, in batches: feeds a batch at a time in
/// [`Index::feeds_by_reach`] order, then everything else (sitemaps, robots,
/// directory) in one last batch, so that indexes see every sitemap.
fn full_pass_batches(index: &Index) -> Vec<Dirty> {
    let feeds: Vec<Unit> = index.feeds_by_reach().into_iter().map(Unit::Feed).collect();
    let others: Dirty = pipeline::all_units(index)
        .into_iter()
        .filter(|u| !matches!(u, Unit::Feed(_)))
        .collect();
    let batches = feeds
        .chunks(FEEDS_PER_BATCH)
        .map(|c| c.iter().copied().collect::<Dirty>());
    batches.chain([others]).collect()
}

/// Caches for a full pass: each article's item is rendered once and kept until
/// the last feed showing it.
pub fn full_pass_caches(index: &Index) -> pipeline::Caches {
    pipeline::Caches {
        links: pipeline::LinkCache::default(),
        items: pipeline::ItemCache::planned(planned_uses(index), BUILD_ITEM_BUDGET),
    }
}

/// Renders every document straight to `dir`, a batch at a time, so that memory
/// stays bounded whatever the corpus (the same bytes as [`render_all`]); a
/// writer thread puts one batch on disk while the next one renders.
pub fn build_to_disk(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    dir: &Path,
) -> Result<BuildReport, DiskError> {
    let caches = full_pass_caches(index);
    let sources = pipeline::Sources {
        config,
        store,
        index,
        caches: &caches,
    };
    let mut failures = 0;
    let (to_writer, batches_rendered) = std::sync::mpsc::sync_channel::<Arc<Snapshot>>(1);
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_batches(dir, batches_rendered));
        for units in full_pass_batches(index) {
            let publisher = Publisher::new();
            failures += log_failures(pipeline::run(&sources, &publisher, &units)).len();
            if to_writer.send(publisher.snapshot()).is_err() {
                break; // the writer stopped on an error, which join returns
            }
        }
        drop(to_writer);
        writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })?;
    let (hits, misses) = caches.items.hits_and_misses();
    tracing::info!(hits, misses, "feed items: rendered once, reused");
    Ok(BuildReport {
        written: written.len(),
        removed: prune_dir(dir, &written)?,
        failures,
    })
}

/// Renders every document into the live `publisher` a batch at a time, mirrors
/// each batch under `dir` and lets the written bodies leave memory (within the
/// publisher's budget), then removes stale files: start-up memory stays bounded
/// whatever the corpus. Returns the units that failed (their retry is the
/// caller's) and the sitemap rows kept for the passes that follow.
pub fn publish_all(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    publisher: &Publisher,
    dir: &Path,
) -> (Vec<Unit>, pipeline::LinkCache) {
    let caches = full_pass_caches(index);
    let sources = pipeline::Sources {
        config,
        store,
        index,
        caches: &caches,
    };
    let mut failed = Vec::new();
    for units in full_pass_batches(index) {
        let outcome = pipeline::run(&sources, publisher, &units);
        crate::publish::mirror_commit(dir, &outcome.published);
        publisher.trim();
        failed.extend(log_failures(outcome).iter().map(|f| f.unit()));
    }
    let keep: HashSet<String> = publisher
        .snapshot()
        .artifacts()
        .map(|a| a.path.clone())
        .collect();
    match prune_dir(dir, &keep) {
        Ok(removed) => {
            tracing::info!(removed, dir = %dir.display(), "stale documents removed from disk")
        }
        Err(e) => tracing::error!(error = %e, "could not remove stale documents from disk"),
    }
    (failed, caches.links)
}

fn log_failures(outcome: Outcome) -> Vec<pipeline::UnitError> {
    for failure in &outcome.failures {
        tracing::error!(%failure, "document not rendered");
    }
    outcome.failures
}

/// How many feeds show each article: the build's plan for its item cache.
fn planned_uses(index: &Index) -> HashMap<Box<str>, u32> {
    let mut uses: HashMap<Box<str>, u32> = HashMap::new();
    for key in index.feeds() {
        for id in index.feed_items(key) {
            *uses.entry(id.into()).or_default() += 1;
        }
    }
    uses
}

fn write_batches(
    dir: &Path,
    batches: std::sync::mpsc::Receiver<Arc<Snapshot>>,
) -> Result<HashSet<String>, DiskError> {
    let mut written = HashSet::new();
    for snapshot in batches {
        write_snapshot(dir, &snapshot, &mut written)?;
    }
    Ok(written)
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
