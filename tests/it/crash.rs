//! kill -9, through the real binary (issue 11's suite): `serve` killed while
//! it takes writes and regenerates, `import` killed mid-file. After each kill
//! the store opens and is intact, every acknowledged write is served after a
//! restart, and no file under the output folder is torn or left behind.
//!
//! Rounds: `SYNDIC_CRASH_ROUNDS` (default 3 each; the full run uses 50:
//! `SYNDIC_CRASH_ROUNDS=50 cargo test --release --test it crash::`).

use crate::cluster::{free_port, record};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "crash-test-token";

fn rounds() -> usize {
    std::env::var("SYNDIC_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// A folder with a configuration on an SQLite store, and the binary run in it.
pub(crate) struct Site {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) port: u16,
}

impl Site {
    pub(crate) fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = crate::cluster::serve_config(
            &format!("sqlite:{}", dir.path().join("db").display()),
            &dir.path().join("feeds"),
            &format!("127.0.0.1:{port}"),
            TOKEN,
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Site { dir, port }
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_syndic"));
        cmd.arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .args(args)
            .env_remove("SYNDIC_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// Starts `serve` and waits until it answers.
    pub(crate) fn serve(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("serve.log"))
            .unwrap();
        let child = self
            .command(&["serve"])
            .env("SYNDIC_LOG", "info")
            .stderr(log)
            .spawn()
            .unwrap();
        let started = Instant::now();
        // Up and following the store (a start from the mirror serves before).
        let following = |r: (u16, String)| r.0 == 200 && crate::support::following(r.1.as_bytes());
        while !exchange(self.port, "GET", "/healthz", "").is_some_and(following) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "serve did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    fn feeds(&self) -> PathBuf {
        self.dir.path().join("feeds")
    }

    pub(crate) fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("db")).unwrap()
    }
}

/// One request; `None` when the connection failed or was cut (the server died).
pub(crate) fn exchange(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// Every file under `dir` is whole (it parses); temporary files (which a kill
/// leaves, and the next start removes) only where `temporary_allowed`.
fn assert_mirror_whole(dir: &Path, temporary_allowed: bool) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_mirror_whole(&path, temporary_allowed);
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{name}: not UTF-8"));
        match path.extension().and_then(|e| e.to_str()) {
            Some("xml" | "opml") => {
                roxmltree::Document::parse(&text)
                    .unwrap_or_else(|e| panic!("{}: torn: {e}", path.display()));
            }
            Some("json") => {
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap_or_else(|e| panic!("{}: torn: {e}", path.display()));
            }
            Some("txt") => {}
            // feed.css and pages.css are constants: whole when they end as they do
            Some("css") => assert!(text.trim_end().ends_with('}'), "{name}: torn"),
            Some("html") => assert!(text.trim_end().ends_with("</html>"), "{name}: torn"),
            _ if name.starts_with(".syndic-") => {
                assert!(temporary_allowed, "{} left behind", path.display())
            }
            _ => panic!("{}: not a file syndic writes", path.display()),
        }
    }
}

/// Writes articles (each with a tag of its own) until `stop`; the ids whose
/// write was acknowledged as served.
fn write_until(port: u16, round: usize, stop: Arc<AtomicBool>, acked: Arc<Mutex<Vec<String>>>) {
    for i in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let id = format!("k{round}-{i}");
        let body = record(&id, &format!("Article {id}"), &[&format!("t-{id}")]);
        match exchange(port, "PUT", &format!("/api/articles/{id}"), &body) {
            Some((201, answer)) if served(&answer) => acked.lock().unwrap().push(id),
            Some((201 | 200, _)) => {} // committed, not known to be served: not counted
            Some((status, answer)) => panic!("PUT {id}: {status} {answer}"),
            None => return, // the server was killed
        }
    }
}

fn served(answer: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(answer).is_ok_and(|v| v["served"] == true)
}

#[test]
fn serve_killed_during_writes_loses_no_acknowledged_write_and_tears_no_file() {
    let site = Site::new();
    let acked = Arc::new(Mutex::new(Vec::new()));
    for round in 0..rounds() {
        let mut child = site.serve();
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (stop, acked, port) = (stop.clone(), acked.clone(), site.port);
            std::thread::spawn(move || write_until(port, round, stop, acked))
        };
        // Killed at a moment that moves from round to round.
        std::thread::sleep(Duration::from_millis(150 + (round as u64 * 37) % 300));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_mirror_whole(&site.feeds(), true);
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= rounds(),
        "too few writes acknowledged: {acked:?}"
    );
    let integrity: String = site
        .sql()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let _child = KillOnDrop(site.serve());
    for id in &acked {
        let (status, feed) = exchange(site.port, "GET", &format!("/tags/t-{id}/feed.xml"), "")
            .unwrap_or_else(|| panic!("GET the feed of {id}"));
        assert_eq!(status, 200, "{id} acknowledged but its feed is not served");
        assert!(
            feed.contains(&format!("article/{id}<")),
            "{id} missing from its feed"
        );
    }
    assert_mirror_whole(&site.feeds(), false);
    eprintln!(
        "crash: {} kill -9 rounds of serve, {} acknowledged writes all served after restart",
        rounds(),
        acked.len()
    );
}

pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn import_killed_mid_file_leaves_whole_batches_and_a_sound_store() {
    let total = 12_000;
    let mut lines = String::new();
    for i in 0..total {
        lines.push_str(&record(&format!("imp-{i}"), "Titre", &["Iran"]));
        lines.push('\n');
    }
    for round in 0..rounds() {
        let site = Site::new();
        let input = site.dir.path().join("articles.jsonl");
        std::fs::write(&input, &lines).unwrap();
        let mut child = site
            .command(&["import", input.to_str().unwrap()])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + (round as u64 * 53) % 300));
        let _ = child.kill();
        child.wait().unwrap();
        let conn = site.sql();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let stored: i64 = conn
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
            .unwrap_or(0);
        let logged: i64 = conn
            .query_row("SELECT count(*) FROM change_log", [], |r| r.get(0))
            .unwrap_or(0);
        let batch = syndic::import::BATCH as i64;
        assert_eq!(
            stored % batch,
            0,
            "round {round}: {stored} stored: a batch was torn"
        );
        assert_eq!(
            logged, stored,
            "round {round}: change log and articles disagree"
        );
        // The same file again completes the import.
        let status = site
            .command(&["import", input.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success(), "round {round}: re-import failed");
        let stored: i64 = site
            .sql()
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, total as i64);
    }
}
