//! Import: JSON Lines records into the store, streaming, in batched transactions.
//!
//! Owns: reading records line by line (a file of any size, or stdin), reporting
//! every invalid record as `FILE:LINE: field: reason`, batching valid ones into
//! upserts, and the progress bar. Must not: render or publish (a running
//! service sees the import through the change log).

use crate::model::{self, Article};
use crate::store::{Store, StoreError, UpsertCounts};
use chrono::TimeDelta;
use std::io::{BufRead, Write};

/// Records per transaction.
pub const BATCH: usize = 5_000;

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
    pub shift: Option<TimeDelta>,
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
    // Two stages on two threads: this one reads and validates, a writer upserts
    // the batches; at most two batches wait between them, so memory stays bounded.
    let (batches, received) = std::sync::mpsc::sync_channel::<Batch>(2);
    std::thread::scope(|scope| {
        let write = move || {
            let mut counts = UpsertCounts::default();
            for batch in received {
                counts += store.upsert_digested(&batch.articles, &batch.digests)?;
            }
            Ok::<_, StoreError>(counts)
        };
        let writer = std::thread::Builder::new()
            .name("syndic-import-write".into())
            .spawn_scoped(scope, write)
            .map_err(|e| {
                ImportError::Store(StoreError::Unavailable(format!(
                    "cannot start the writer thread: {e}"
                )))
            })?;
        let read = read_records(input, source, options, report, progress, &batches);
        drop(batches);
        let counts = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let rejected = read?;
        store.settle()?;
        Ok(Summary { counts, rejected })
    })
}

/// Reads and validates every line, sending valid records in batches; returns the
/// number rejected. Stops early if the writer has stopped (its error is reported).
fn read_records(
    input: &mut dyn BufRead,
    source: &str,
    options: Options,
    report: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
    batches: &std::sync::mpsc::SyncSender<Batch>,
) -> Result<usize, ImportError> {
    let mut rejected = 0;
    let mut batch = Batch::default();
    let mut bytes = Vec::new();
    let (mut number, mut read) = (0usize, 0u64);
    loop {
        bytes.clear();
        let n = input
            .read_until(b'\n', &mut bytes)
            .map_err(|e| ImportError::Read {
                source_name: source.into(),
                line: number + 1,
                error: e,
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        read += n as u64;
        let mut content = bytes.as_slice();
        if number == 1 {
            content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content); // a UTF-8 byte-order mark
        }
        let Ok(line) = std::str::from_utf8(content) else {
            rejected += 1;
            let _ = writeln!(report, "{source}:{number}: (record): not valid UTF-8");
            continue;
        };
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        match model::from_json_str(line) {
            Ok(article) => batch.push(shifted(article, options.shift)),
            Err(errors) => {
                rejected += 1;
                for e in errors {
                    let _ = writeln!(report, "{source}:{number}: {e}");
                }
            }
        }
        if batch.articles.len() == BATCH {
            if batches.send(std::mem::take(&mut batch)).is_err() {
                return Ok(rejected); // the writer failed; its error is the one to report
            }
            progress(read);
        }
    }
    if !batch.articles.is_empty() {
        let _ = batches.send(batch);
    }
    progress(read);
    Ok(rejected)
}

/// Articles on their way to the writer, each with its digest: hashed here, on
/// the reading thread, because the one writer is what bounds an import.
#[derive(Default)]
struct Batch {
    articles: Vec<Article>,
    digests: Vec<String>,
}

impl Batch {
    fn push(&mut self, article: Article) {
        self.digests.push(article.digest());
        self.articles.push(article);
    }
}

fn shifted(mut a: Article, shift: Option<TimeDelta>) -> Article {
    if let Some(d) = shift {
        a.published_at += d;
        a.updated_at += d;
    }
    a
}

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
