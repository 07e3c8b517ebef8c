//! The one-shot build: load the index, render every unit, mirror to disk.
//!
//! Owns: the sequence of a full build and the demo seeding of an empty store.
//! Must not: serve or watch (see `serve`).

use crate::config::Config;
use crate::import::{self, ImportError, Options, Summary};
use crate::index::Index;
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
    let outcome = pipeline::run(config, store, index, publisher, &pipeline::all_units(index));
    for failure in &outcome.failures {
        tracing::error!(%failure, "document not rendered");
    }
    outcome
}

/// Writes every document of `snapshot` under `dir` and removes files of documents
/// that no longer exist. Returns (written, removed).
pub fn mirror(dir: &Path, snapshot: &Snapshot) -> Result<(usize, usize), DiskError> {
    let mut keep = HashSet::with_capacity(snapshot.len());
    for artifact in snapshot.artifacts() {
        write_atomically(dir, &artifact.path, &artifact.body)?;
        keep.insert(artifact.path.clone());
    }
    let removed = prune_dir(dir, &keep)?;
    Ok((keep.len(), removed))
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
