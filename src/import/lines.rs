//! The reading side of an import.
//!
//! Owns: reading lines (of any length, without keeping an over-long one) and
//! turning a line into an article with its digest or into the reports of why
//! not (`FILE:LINE: field: reason`). Must not: batch for the writers or write
//! the store.

use super::{ImportError, Options};
use crate::model::{self, Article};
use chrono::TimeDelta;
use std::io::BufRead;

/// What a line was. Moved once, into a batch or the report: boxing the
/// article would cost an allocation a record for nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Parsed {
    /// A valid record, with its digest (made on the reading thread: the
    /// SQLite writer, the other busy thread, has no time to spare).
    Article(Article, String),
    /// An invalid one: the reports, one a line.
    Rejected(Vec<String>),
    /// A blank line, skipped.
    Blank,
}

/// Reads the input a line at a time, into one buffer.
pub(super) struct LineReader<'a> {
    input: &'a mut dyn BufRead,
    line: Vec<u8>,
    number: usize,
    read: u64,
}

impl<'a> LineReader<'a> {
    pub(super) fn new(input: &'a mut dyn BufRead) -> LineReader<'a> {
        LineReader {
            input,
            line: Vec::new(),
            number: 0,
            read: 0,
        }
    }

    /// Bytes of the input read so far.
    pub(super) fn read(&self) -> u64 {
        self.read
    }

    /// The next line parsed, `None` at the end of the input.
    pub(super) fn next(
        &mut self,
        source: &str,
        options: Options,
    ) -> Result<Option<Parsed>, ImportError> {
        self.line.clear();
        let max = model::MAX_RECORD_BYTES;
        let (n, whole) = read_line_within(self.input, &mut self.line, max).map_err(|error| {
            ImportError::Read {
                source_name: source.into(),
                line: self.number + 1,
                error,
            }
        })?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        self.read += n as u64;
        Ok(Some(parse_line(
            self.number,
            &self.line,
            whole,
            source,
            options,
        )))
    }
}

fn parse_line(number: usize, bytes: &[u8], whole: bool, source: &str, options: Options) -> Parsed {
    let rejected = |why: String| Parsed::Rejected(vec![format!("{source}:{number}: {why}")]);
    if !whole {
        let max = model::MAX_RECORD_BYTES;
        return rejected(format!("record is over {max} bytes"));
    }
    let mut content = bytes;
    if number == 1 {
        content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content); // a UTF-8 byte-order mark
    }
    let Ok(line) = simdutf8::basic::from_utf8(content) else {
        return rejected("(record): not valid UTF-8".into());
    };
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return Parsed::Blank;
    }
    match model::from_json_str(line) {
        Ok(article) => {
            let article = shifted(article, options.shift);
            let digest = article.digest();
            Parsed::Article(article, digest)
        }
        Err(errors) => Parsed::Rejected(
            errors
                .into_iter()
                .map(|e| format!("{source}:{number}: {e}"))
                .collect(),
        ),
    }
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
        let end = memchr::memchr(b'\n', available);
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

fn shifted(mut a: Article, shift: Option<TimeDelta>) -> Article {
    if let Some(d) = shift {
        a.published_at += d;
        a.updated_at += d;
    }
    a
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
