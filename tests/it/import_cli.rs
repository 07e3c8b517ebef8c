//! `syndic import` through the real binary: every bad line reported as
//! `FILE:LINE: field: reason`, a summary, a non-zero exit when anything was
//! rejected, good records stored, re-imports counted as unchanged or updated,
//! `-` for stdin.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use syndic::store::{SqliteStore, Store};

/// A temporary folder with a configuration whose store and output live in it.
struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, common::config_text_in(dir.path())).expect("write config");
        Env { dir, config }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write input");
        path
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_syndic"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("SYNDIC_")) {
            cmd.env_remove(key);
        }
        cmd.arg("--config")
            .arg(&self.config)
            .current_dir(self.dir.path());
        cmd
    }

    fn import(&self, files: &[&Path]) -> Run {
        let output = self
            .command()
            .arg("import")
            .args(files)
            .stdin(Stdio::null())
            .output()
            .expect("run syndic import");
        Run::from(output)
    }

    fn import_stdin(&self, input: &[u8]) -> Run {
        let mut child = self
            .command()
            .args(["import", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn syndic import -");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("wait"))
    }

    /// The store the binary wrote (`sqlite:<dir>/db`).
    fn store(&self) -> SqliteStore {
        let path = self.dir.path().join("db");
        assert!(
            path.is_file(),
            "the binary did not create {}",
            path.display()
        );
        SqliteStore::open(path.to_str().expect("UTF-8")).expect("open the store")
    }
}

struct Run {
    success: bool,
    code: Option<i32>,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            success: o.status.success(),
            code: o.status.code(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// `(line, field, reason)` of every `SOURCE:LINE: field: reason` report line.
    fn reports(&self, source: &str) -> Vec<(usize, String, String)> {
        let prefix = format!("{source}:");
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|rest| {
                let (line, rest) = rest
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("malformed report line {rest:?}"));
                let (field, reason) = rest
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("report line without a reason: {rest:?}"));
                let line = line
                    .parse()
                    .unwrap_or_else(|_| panic!("{line:?} is not a line number"));
                (line, field.to_owned(), reason.to_owned())
            })
            .collect()
    }

    fn lines_reported(&self, source: &str) -> Vec<usize> {
        let mut lines: Vec<usize> = self.reports(source).iter().map(|r| r.0).collect();
        lines.dedup();
        lines
    }

    fn assert_summary(&self, imported: usize, updated: usize, rejected: usize, unchanged: usize) {
        let expected = format!(
            "imported {imported}, updated {updated}, rejected {rejected} (unchanged {unchanged})"
        );
        assert!(
            self.stderr.lines().any(|l| l.trim() == expected),
            "no summary line `{expected}` in stderr:\n{}",
            self.stderr
        );
    }
}

fn record(id: &str, title: &str) -> String {
    serde_json::json!({
        "id": id,
        "url": format!("https://www.actu.example.ma/maroc/{id}.html"),
        "title": title,
        "summary": "Un résumé « avec » des guillemets & une esperluette.",
        "section": "Maroc",
        "tags": ["États-Unis"],
        "published_at": "2026-11-28T10:00:00+01:00",
    })
    .to_string()
}

/// A file mixing good and bad records, with the line numbers of the bad ones
/// and the field each one must name.
fn mixed_file() -> (Vec<u8>, Vec<(usize, &'static str)>, Vec<&'static str>) {
    let mut lines: Vec<Vec<u8>> = vec![
        record("good-1", "Premier article").into_bytes(), // 1
        b"".to_vec(),                                    // 2: blank, skipped
        br#"{"id": "bad-json", "url": "#.to_vec(),       // 3: not JSON
        br#"{"url": "https://www.actu.example.ma/x.html", "title": "Sans id", "published_at": "2026-11-28T10:00:00Z"}"#.to_vec(), // 4: id missing
        b"   \t ".to_vec(),                              // 5: blank, skipped
        br#"{"id": "bad-url", "url": "ftp://www.actu.example.ma/x.html", "title": "URL", "published_at": "2026-11-28T10:00:00Z"}"#.to_vec(), // 6
        record("good-2", "Deuxième article").into_bytes(), // 7
        br#"{"id": "bad-date", "url": "https://www.actu.example.ma/d.html", "title": "Date", "published_at": "28/11/2026 10:00"}"#.to_vec(), // 8
        br#"{"id": "unknown", "url": "https://www.actu.example.ma/u.html", "title": "Champ", "published_at": "2026-11-28T10:00:00Z", "subtitle": "?"}"#.to_vec(), // 9
        br#"{"id": "wrong-type", "url": "https://www.actu.example.ma/w.html", "title": 42, "published_at": "2026-11-28T10:00:00Z"}"#.to_vec(), // 10
        b"{\"id\": \"bad-utf8\", \"url\": \"https://www.actu.example.ma/b.html\", \"title\": \"\xff\xfe caf\xe9\", \"published_at\": \"2026-11-28T10:00:00Z\"}".to_vec(), // 11
        format!("{}\r", record("good-3", "Troisième article, fin de ligne CRLF")).into_bytes(), // 12
        b"[1, 2, 3]".to_vec(),                           // 13: not an object
        record("good-4", "Dernier article, sans fin de ligne").into_bytes(), // 14
    ];
    let last = lines.pop().expect("last");
    let mut bytes = lines.join(&b'\n');
    bytes.push(b'\n');
    bytes.extend_from_slice(&last); // no newline at the end of the file
    let bad = vec![
        (3, "(record)"),
        (4, "id"),
        (6, "url"),
        (8, "published_at"),
        (9, "subtitle"),
        (10, "title"),
        (11, "(record)"),
        (13, "(record)"),
    ];
    (bytes, bad, vec!["good-1", "good-2", "good-3", "good-4"])
}

#[test]
fn a_mixed_file_reports_exactly_the_bad_lines_and_stores_the_good_ones() {
    let env = Env::new();
    let (bytes, bad, good) = mixed_file();
    let file = env.file("mixed.jsonl", &bytes);
    let source = file.display().to_string();
    let run = env.import(&[&file]);

    assert!(
        !run.success,
        "rejections must fail the command:\n{}",
        run.stderr
    );
    assert_ne!(run.code, Some(0));
    let reports = run.reports(&source);
    let lines = run.lines_reported(&source);
    assert_eq!(
        lines,
        bad.iter().map(|b| b.0).collect::<Vec<_>>(),
        "stderr:\n{}",
        run.stderr
    );
    for (line, field) in &bad {
        assert!(
            reports.iter().any(|(l, f, _)| l == line && f == field),
            "line {line} should name field `{field}`; reports: {reports:#?}"
        );
    }
    for (line, field, reason) in &reports {
        assert!(
            !reason.trim().is_empty(),
            "line {line} {field}: empty reason"
        );
    }
    let reason = |line: usize| -> String {
        reports
            .iter()
            .filter(|r| r.0 == line)
            .map(|r| r.2.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(reason(3).contains("not valid JSON"), "{}", reason(3));
    assert!(reason(4).contains("required"), "{}", reason(4));
    assert!(reason(6).contains("http"), "{}", reason(6));
    assert!(reason(8).contains("RFC 3339"), "{}", reason(8));
    assert!(reason(9).contains("unknown field"), "{}", reason(9));
    assert!(reason(10).contains("string"), "{}", reason(10));
    assert!(reason(11).contains("UTF-8"), "{}", reason(11));
    assert!(reason(13).contains("object"), "{}", reason(13));
    run.assert_summary(4, 0, bad.len(), 0);

    let store = env.store();
    assert_eq!(store.count().expect("count"), 4);
    let stored = store.articles(&good).expect("articles");
    let mut ids: Vec<&str> = stored.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, good);
    let crlf = stored.iter().find(|a| a.id == "good-3").expect("good-3");
    assert_eq!(crlf.title, "Troisième article, fin de ligne CRLF");
    drop(store);

    // The same file again: nothing written.
    let again = env.import(&[&file]);
    assert!(!again.success);
    assert_eq!(again.lines_reported(&source), lines);
    again.assert_summary(0, 0, bad.len(), 4);

    // One record changed: one update.
    let changed = {
        // Keep the invalid UTF-8 line as it is: edit the bytes, not the lossy text.
        let needle = b"Deuxi\xc3\xa8me article\"";
        let pos = bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("record good-2");
        let mut b = bytes[..pos + needle.len() - 1].to_vec();
        b.extend_from_slice(" (corrigé)".as_bytes());
        b.extend_from_slice(&bytes[pos + needle.len() - 1..]);
        b
    };
    std::fs::write(&file, &changed).expect("rewrite");
    let updated = env.import(&[&file]);
    updated.assert_summary(0, 1, bad.len(), 3);
    let store = env.store();
    let good2 = store.articles(&["good-2"]).expect("articles");
    assert_eq!(good2[0].title, "Deuxième article (corrigé)");
}

#[test]
fn dash_reads_stdin() {
    let env = Env::new();
    let input = format!(
        "{}\n{{\"id\": \"x\"}}\n\n{}\n",
        record("stdin-1", "Depuis l’entrée standard"),
        record("stdin-2", "Deuxième")
    );
    let run = env.import_stdin(input.as_bytes());
    assert!(!run.success, "{}", run.stderr);
    let reports = run.reports("-");
    assert_eq!(run.lines_reported("-"), [2], "stderr:\n{}", run.stderr);
    for field in ["url", "title", "published_at"] {
        assert!(
            reports
                .iter()
                .any(|(_, f, r)| f == field && r.contains("required")),
            "{field}: {reports:#?}"
        );
    }
    run.assert_summary(2, 0, 1, 0);
    assert_eq!(env.store().count().expect("count"), 2);

    // All good through stdin: success.
    let ok = env.import_stdin(format!("{}\n", record("stdin-3", "Trois")).as_bytes());
    assert!(ok.success, "{}", ok.stderr);
    ok.assert_summary(1, 0, 0, 0);
}

#[test]
fn an_all_good_file_exits_zero_and_reimports_as_unchanged() {
    let env = Env::new();
    let file = env.file(
        "good.jsonl",
        common::fixture_text("articles.jsonl").as_bytes(),
    );
    let run = env.import(&[&file]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.code, Some(0));
    assert!(
        run.reports(&file.display().to_string()).is_empty(),
        "{}",
        run.stderr
    );
    run.assert_summary(11, 0, 0, 0);
    assert_eq!(env.store().count().expect("count"), 11);

    let again = env.import(&[&file]);
    assert!(again.success, "{}", again.stderr);
    again.assert_summary(0, 0, 0, 11);
}

#[test]
fn several_files_are_reported_by_name_and_summed() {
    let env = Env::new();
    let a = env.file(
        "a.jsonl",
        format!("{}\n{}\n", record("a-1", "A1"), record("a-2", "A2")).as_bytes(),
    );
    let b = env.file(
        "b.jsonl",
        format!("{}\nnot json\n", record("b-1", "B1")).as_bytes(),
    );
    let run = env.import(&[&a, &b]);
    assert!(!run.success);
    assert!(
        run.reports(&a.display().to_string()).is_empty(),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.lines_reported(&b.display().to_string()),
        [2],
        "{}",
        run.stderr
    );
    run.assert_summary(3, 0, 1, 0);
}

#[test]
fn a_missing_file_is_named_in_the_error() {
    let env = Env::new();
    let missing = env.dir.path().join("absent.jsonl");
    let run = env.import(&[&missing]);
    assert!(!run.success);
    assert!(
        run.stderr.contains("absent.jsonl"),
        "the error should name the file:\n{}",
        run.stderr
    );
}

#[test]
fn a_line_over_the_record_limit_is_refused_without_buffering_it() {
    let env = Env::new();
    let mut child = env
        .command()
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn syndic import -");
    let mut stdin = child.stdin.take().expect("stdin");
    // 96 MB on one line, then a good record.
    let chunk = vec![b'x'; 1 << 20];
    stdin
        .write_all(b"{\"id\": \"huge\", \"title\": \"")
        .expect("write");
    for _ in 0..96 {
        stdin.write_all(&chunk).expect("write");
    }
    stdin.write_all(b"\"}\n").expect("write");
    stdin
        .write_all(format!("{}\n", record("after-huge", "Après")).as_bytes())
        .expect("write");
    // The line has been read (all but a pipe's worth): its high-water mark now
    // says whether it was kept in memory.
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("status");
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    drop(stdin);
    let run = Run::from(child.wait_with_output().expect("wait"));
    let limit = syndic::model::MAX_RECORD_BYTES;
    assert!(
        run.stderr
            .contains(&format!("-:1: record is over {limit} bytes")),
        "{}",
        run.stderr
    );
    run.assert_summary(1, 0, 1, 0);
    assert!(
        peak_kb < 64 * 1024,
        "peak resident {peak_kb} kB while reading a 96 MB line: it was buffered"
    );
}
