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
use std::collections::HashSet;
use std::path::Path;

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

/// Renders every document into `publisher`.
pub fn render_all(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    publisher: &Publisher,
) -> Outcome {
    render_all_with(
        config,
        store,
        index,
        publisher,
        &pipeline::LinkCache::default(),
    )
}

/// Like [`render_all`], filling `links` with the rows of recent articles.
pub fn render_all_with(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    publisher: &Publisher,
    links: &pipeline::LinkCache,
) -> Outcome {
    let sources = pipeline::Sources {
        config,
        store,
        index,
        links,
    };
    let outcome = pipeline::run(&sources, publisher, &pipeline::all_units(index));
    for failure in &outcome.failures {
        tracing::error!(%failure, "document not rendered");
    }
    outcome
}

/// Writes every document of `snapshot` under `dir` and removes files of documents
/// that no longer exist. Returns (written, removed).
pub fn mirror(dir: &Path, snapshot: &Snapshot) -> Result<(usize, usize), DiskError> {
    let mut keep = HashSet::with_capacity(snapshot.len());
    write_snapshot(dir, snapshot, &mut keep)?;
    let removed = prune_dir(dir, &keep)?;
    Ok((keep.len(), removed))
}

fn write_snapshot(
    dir: &Path,
    snapshot: &Snapshot,
    written: &mut HashSet<String>,
) -> Result<(), DiskError> {
    for artifact in snapshot.artifacts() {
        write_atomically(dir, &artifact.path, &artifact.body)?;
        written.insert(artifact.path.clone());
    }
    Ok(())
}

/// Feeds rendered (and held in memory) at a time by [`build_to_disk`].
const FEEDS_PER_BATCH: usize = 64;

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

/// Renders every document straight to `dir`, a batch of feeds at a time, so that
/// memory stays bounded whatever the corpus (the same bytes as [`render_all`]).
pub fn build_to_disk(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    dir: &Path,
) -> Result<BuildReport, DiskError> {
    let (feeds, others): (Vec<Unit>, Vec<Unit>) = pipeline::all_units(index)
        .into_iter()
        .partition(|u| matches!(u, Unit::Feed(_)));
    let mut written = HashSet::new();
    let mut report = BuildReport::default();
    let links = pipeline::LinkCache::default();
    let sources = pipeline::Sources {
        config,
        store,
        index,
        links: &links,
    };
    let batches = feeds
        .chunks(FEEDS_PER_BATCH)
        .map(|c| c.iter().copied().collect::<Dirty>());
    for units in batches.chain([others.into_iter().collect()]) {
        let publisher = Publisher::new();
        let outcome = pipeline::run(&sources, &publisher, &units);
        for failure in &outcome.failures {
            tracing::error!(%failure, "document not rendered");
        }
        report.failures += outcome.failures.len();
        write_snapshot(dir, &publisher.snapshot(), &mut written)?;
    }
    report.written = written.len();
    report.removed = prune_dir(dir, &written)?;
    Ok(report)
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
