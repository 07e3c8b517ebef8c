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
        let (n, whole) =
            read_line_within(input, &mut bytes, model::MAX_RECORD_BYTES).map_err(|e| {
                ImportError::Read {
                    source_name: source.into(),
                    line: number + 1,
                    error: e,
                }
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        read += n as u64;
        if !whole {
            rejected += 1;
            let max = model::MAX_RECORD_BYTES;
            let _ = writeln!(report, "{source}:{number}: record is over {max} bytes");
            continue;
        }
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

/// Reads one line (through its `\n`) into `line`, keeping at most `max` bytes of
/// it: the rest of a longer line is read past without being kept, so one huge
/// line costs no memory. Returns the bytes read and whether the line was kept.
fn read_line_within(
    input: &mut dyn BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let (mut read, mut whole) = (0, true);
    loop {
        let available = match input.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((read, whole && line.len() <= max));
        }
        let end = available.iter().position(|&b| b == b'\n');
        let chunk = &available[..end.map_or(available.len(), |i| i + 1)];
        // `max` bytes of content, plus room for the line's own "\r\n".
        if whole && line.len() + chunk.len() <= max + 2 {
            line.extend_from_slice(chunk);
        } else {
            whole = false;
            line.clear();
        }
        let n = chunk.len();
        input.consume(n);
        read += n;
        if end.is_some() {
            let content = line.strip_suffix(b"\n").unwrap_or(line);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            return Ok((read, whole && content.len() <= max));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::read_line_within;
    use std::io::BufReader;

    fn lines(input: &[u8], max: usize) -> Vec<(usize, bool, Vec<u8>)> {
        // A tiny buffer, so that lines span many reads.
        let mut reader = BufReader::with_capacity(3, input);
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            let (n, whole) = read_line_within(&mut reader, &mut line, max).unwrap();
            if n == 0 {
                return out;
            }
            out.push((n, whole, if whole { line } else { Vec::new() }));
        }
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_whole_and_the_next_one_read() {
        let input = b"12345\n1234567890123\n\r\n123456\r\nabc";
        let got = lines(input, 6);
        assert_eq!(
            got,
            vec![
                (6, true, b"12345\n".to_vec()),
                (14, false, vec![]),
                (2, true, b"\r\n".to_vec()),
                (8, true, b"123456\r\n".to_vec()),
                (3, true, b"abc".to_vec()),
            ]
        );
        assert_eq!(lines(b"1234567", 6), vec![(7, false, vec![])]);
    }
}
