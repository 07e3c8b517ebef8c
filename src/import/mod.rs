//! Import: JSON Lines records into the store, streaming, in batched transactions.
//!
//! Owns: the import's threads. The calling thread reads and parses the lines
//! ([`lines`]), reports every invalid record as `FILE:LINE: field: reason`,
//! and batches the valid ones for the store's writers ([`lanes`]): one for
//! SQLite, several for PostgreSQL. At most two batches wait for each writer,
//! so memory stays bounded for an input of any size. Must not: render or
//! publish (a running service sees the import through the change log).

mod lanes;
mod lines;

pub use lanes::BATCH;

use crate::store::{Store, StoreError, UpsertCounts};
use chrono::TimeDelta;
use lanes::{Batch, Lanes};
use lines::{LineReader, Parsed};
use std::io::{BufRead, Write};
use std::sync::mpsc;

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Inserted, updated, unchanged.
    pub counts: UpsertCounts,
    /// Records reported and skipped.
    pub rejected: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {}, updated {}, rejected {} (unchanged {})",
            self.counts.inserted, self.counts.updated, self.rejected, self.counts.unchanged
        )
    }
}

/// How to import.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Moves every date by this much (the demo seed).
    pub(crate) shift: Option<TimeDelta>,
}

/// Imports every line of `input`, named `source` in reports, which go to `report`.
/// `progress` is told how many bytes were read so far.
pub fn import(
    store: &dyn Store,
    input: &mut dyn BufRead,
    source: &str,
    options: Options,
    report: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, ImportError> {
    // This thread reads and parses; writers upsert the batches.
    std::thread::scope(|scope| {
        let (lanes, writers) = start_writers(scope, store)?;
        let read = read_records(input, source, options, report, progress, lanes);
        let mut counts = UpsertCounts::default();
        for writer in writers {
            counts += writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        }
        let rejected = read?;
        store.settle()?;
        Ok(Summary { counts, rejected })
    })
}

type Writer<'scope> = std::thread::ScopedJoinHandle<'scope, Result<UpsertCounts, StoreError>>;

/// The store's writers, each upserting the batches of its queue; at most two
/// batches wait for each. With several (a server store), an id always goes to
/// the same one, so the records of one id are written in input order.
fn start_writers<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    store: &'scope dyn Store,
) -> Result<(Lanes, Vec<Writer<'scope>>), ImportError> {
    let mut senders = Vec::new();
    let mut writers = Vec::new();
    for n in 0..store.bulk_writers().max(1) {
        let (sender, received) = mpsc::sync_channel::<Batch>(2);
        let write = move || {
            let mut counts = UpsertCounts::default();
            for batch in received {
                counts += store.upsert_digested(&batch.articles, &batch.digests)?;
            }
            Ok::<_, StoreError>(counts)
        };
        let writer = std::thread::Builder::new()
            .name(format!("syndic-import-write-{n}"))
            .spawn_scoped(scope, write)
            .map_err(|e| thread_error("writer", &e))?;
        senders.push(sender);
        writers.push(writer);
    }
    Ok((Lanes::new(senders), writers))
}

fn thread_error(what: &str, e: &std::io::Error) -> ImportError {
    ImportError::Store(StoreError::Unavailable(format!(
        "cannot start an import {what} thread: {e}"
    )))
}

/// Reads and parses every line, reports the invalid ones and sends the valid
/// ones to the writers; returns the number rejected. Stops early if a writer
/// has stopped (its error is the one reported).
fn read_records(
    input: &mut dyn BufRead,
    source: &str,
    options: Options,
    report: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
    mut lanes: Lanes,
) -> Result<usize, ImportError> {
    let mut reader = LineReader::new(input);
    let (mut rejected, mut lines) = (0usize, 0usize);
    while let Some(line) = reader.next(source, options)? {
        let writer_stopped = match line {
            Parsed::Article(article, digest) => !lanes.push(article, digest),
            Parsed::Rejected(reports) => {
                rejected += 1;
                for text in reports {
                    let _ = writeln!(report, "{text}");
                }
                false
            }
            Parsed::Blank => false,
        };
        if writer_stopped {
            return Ok(rejected);
        }
        lines += 1;
        if lines % PROGRESS_EVERY == 0 {
            progress(reader.read());
        }
    }
    lanes.finish();
    progress(reader.read());
    Ok(rejected)
}

/// Lines between two reports of progress.
const PROGRESS_EVERY: usize = 1_000;

/// An import that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input could not be read.
    #[error("{source_name}:{line}: cannot read: {error}")]
    Read {
        source_name: String,
        line: usize,
        error: std::io::Error,
    },
    /// The store refused a batch.
    #[error(transparent)]
    Store(#[from] StoreError),
}
