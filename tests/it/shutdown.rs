//! The real `syndic serve` binary stopped the way orchestrators stop it
//! (SIGTERM from systemd, Kubernetes, `docker stop`; SIGINT from a terminal),
//! on SQLite and on PostgreSQL: it finishes the request in flight, then exits 0
//! with no panic on stderr (issue 9: a PostgreSQL client dropped inside the
//! runtime aborted with status 134).

use crate::support::{TOKEN, record, samples_path};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// A `syndic serve` process listening on 127.0.0.1:0, its stderr read line by line.
struct Process {
    child: Child,
    lines: Receiver<String>,
    stderr: Vec<String>,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Process {
    fn start(store_url: &str) -> Process {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "{}[demo]\nseed_file = \"{}\"\nseed_as_of = \"2026-11-29T11:00:00Z\"\n",
            crate::cluster::serve_config(
                store_url,
                &dir.path().join("feeds"),
                "127.0.0.1:0",
                TOKEN
            ),
            samples_path().display(),
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_syndic"))
            .arg("--config")
            .arg(&path)
            .arg("serve")
            .env("SYNDIC_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut process = Process {
            child,
            lines,
            stderr: Vec::new(),
            addr: "127.0.0.1:0".parse().unwrap(),
            _dir: dir,
        };
        let line = process.wait_for_line("serving http://");
        let rest = &line[line.find("serving http://").unwrap() + "serving http://".len()..];
        process.addr = rest[..rest.find('/').unwrap()].parse().unwrap();
        process
    }

    /// Waits (bounded) for a stderr line containing `text`; panics with the log otherwise.
    fn wait_for_line(&mut self, text: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {text:?} on stderr; got:\n{}", self.stderr.join("\n"));
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits (bounded) for the exit; the status, the whole stderr and the
    /// global RSS feed as mirrored on disk.
    fn wait_exit(mut self) -> (ExitStatus, String, String) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "still running 30 s after the signal:\n{}",
                    self.stderr.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reading thread ends at end of file, so every line is in by then.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.stderr.push(line);
        }
        let feed = std::fs::read_to_string(self._dir.path().join("feeds/feed.xml")).unwrap();
        (status, self.stderr.join("\n"), feed)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_clean_exit(status: ExitStatus, stderr: &str) {
    assert!(
        status.success(),
        "exit status {status:?} (0 expected); stderr:\n{stderr}"
    );
    assert!(
        !stderr.to_lowercase().contains("panic"),
        "a panic on stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("stopped"),
        "no orderly stop logged:\n{stderr}"
    );
}

/// Starts a PUT whose body is not all sent yet: a request in flight.
fn start_put(addr: SocketAddr, id: &str) -> (TcpStream, Vec<u8>) {
    let body = record(id, "Maroc", &["Shutdown"], &["S.A"], chrono::Utc::now())
        .to_string()
        .into_bytes();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "PUT /api/articles/{id} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).unwrap();
    stream.flush().unwrap();
    (stream, body[half..].to_vec())
}

/// SIGTERM (or SIGINT) with a PUT in flight: the PUT completes, then exit 0.
fn stops_cleanly(store_url: &str, signal: &str) {
    let mut process = Process::start(store_url);
    let (mut stream, rest) = start_put(process.addr, "shutdown-1");
    // A whole exchange on a later connection: connections are accepted in order,
    // so by its answer the PUT's connection is accepted and its head read.
    let (status, _, _) = crate::cluster::request(process.addr.port(), "GET", "/healthz", &[], None);
    assert_eq!(status, 200);
    process.signal(signal);
    process.wait_for_line("shutting down");
    if let Err(e) = stream.write_all(&rest) {
        let (status, stderr, _) = process.wait_exit();
        panic!("the request in flight was dropped ({e}); exit {status:?}, log:\n{stderr}");
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight was not finished: {answer:?}"
    );
    let (status, stderr, feed) = process.wait_exit();
    assert_clean_exit(status, &stderr);
    assert!(
        feed.contains("shutdown-1"),
        "the mirror was not flushed before exit: feeds/feed.xml lacks the last write"
    );
}

#[test]
fn sigterm_on_sqlite_finishes_the_request_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("db").display());
    stops_cleanly(&url, "TERM");
}

#[test]
fn sigint_on_sqlite_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("db").display());
    stops_cleanly(&url, "INT");
}

/// A schema of its own on the local PostgreSQL (127.0.0.1:5432, database test),
/// dropped afterwards.
struct PgSchema {
    name: String,
}

const PG_BASE: &str = "postgres://postgres@127.0.0.1:5432/test";

impl PgSchema {
    fn new() -> PgSchema {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "syndic_shutdown_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = postgres::Client::connect(PG_BASE, postgres::NoTls).unwrap_or_else(|e| {
            panic!("PostgreSQL is required at {PG_BASE} ({e}); start it (see scripts/test.sh)")
        });
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        PgSchema { name }
    }

    fn url(&self) -> String {
        format!("{PG_BASE}?options=-csearch_path%3D{}", self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(PG_BASE, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

#[test]
fn sigterm_on_postgres_finishes_the_request_and_exits_0() {
    let schema = PgSchema::new();
    stops_cleanly(&schema.url(), "TERM");
}

#[test]
fn sigint_on_postgres_exits_0() {
    let schema = PgSchema::new();
    stops_cleanly(&schema.url(), "INT");
}
