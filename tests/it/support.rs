//! Helpers shared by the HTTP integration tests (`tests/http_server.rs`,
//! `tests/http_api.rs`, `tests/http_live.rs`): a real `syndic::serve::serve` on
//! 127.0.0.1 in a temporary folder, a minimal HTTP/1.1 client over plain TCP
//! (so that tests control every byte sent and see every byte received), and
//! small parsers for the documents and the metrics.
//!
//! Every wait here is bounded; a test that would hang fails instead.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use syndic::config::Config;
use syndic::watch::{Clock, ManualClock, SystemClock};

/// `public_url` of every test server.
pub const PUBLIC_URL: &str = "https://feeds.example.ma/";
/// `guid_authority` of every test server.
pub const GUID_AUTHORITY: &str = "actu.example.ma,2026";
/// Bearer token of the ingest API when it is on.
pub const TOKEN: &str = "s3cret-test-token";
/// `[server] max_age` of every test server.
pub const MAX_AGE: u32 = 123;
/// The time `samples/articles.jsonl` was written for (12:00 in Rabat): with a
/// [`ManualClock`] at this time, actu-1040 is embargoed and actu-1030 is a draft.
pub const SAMPLES_AS_OF: &str = "2026-11-29T11:00:00Z";

/// How long a single HTTP exchange may take before the test fails: generous,
/// because a debug build parsing a 7 MB body on a loaded 2-core machine once
/// took over 10 s (hostile_api's many unknown keys).
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to answer its first `/healthz` (first full build).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `serve()` may take to return once asked to stop (grace is 10 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// [`SAMPLES_AS_OF`] parsed.
pub fn samples_as_of() -> DateTime<Utc> {
    SAMPLES_AS_OF.parse().expect("RFC 3339")
}

/// Parses an RFC 3339 time.
pub fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .with_timezone(&Utc)
}

/// The sitemap file of the UTC day `t` is in (its first file), as served.
pub fn day_sitemap(t: DateTime<Utc>) -> String {
    format!("/sitemaps/{}.xml", t.format("%Y-%m-%d"))
}

/// `samples/articles.jsonl`, absolute.
pub fn samples_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("articles.jsonl")
}

/// The records of `samples/articles.jsonl`.
pub fn samples() -> Vec<Value> {
    let text = std::fs::read_to_string(samples_path()).expect("read samples/articles.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("sample line is JSON"))
        .collect()
}

/// Where the server's time comes from.
#[derive(Debug, Clone, Copy)]
pub enum Time {
    /// A [`ManualClock`] showing this time until a test moves it.
    Manual(DateTime<Utc>),
    /// The system clock; the samples' dates are shifted by now − [`SAMPLES_AS_OF`].
    System,
}

/// How to start a test server.
#[derive(Debug, Clone)]
pub struct Options {
    /// The clock.
    pub time: Time,
    /// `[server] api_token` (the ingest API is off without it).
    pub api_token: Option<String>,
    /// `[server] max_body_bytes`.
    pub max_body_bytes: Option<usize>,
    /// `[server] body_cache_mb`.
    pub body_cache_mb: Option<usize>,
    /// `[server] max_connections`.
    pub max_connections: Option<usize>,
    /// `[server] max_connections_per_address`.
    pub max_connections_per_address: Option<usize>,
    /// `[feeds] items`.
    pub items: usize,
    /// Seed the empty store with `samples/articles.jsonl`.
    pub seed: bool,
    /// `[site] public_url` instead of [`PUBLIC_URL`].
    pub public_url: Option<String>,
    /// Port to listen on, on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// TOML appended to the configuration (whole sections, e.g. `[websub]`).
    pub extra_toml: String,
    /// `[site] public_url` is the server's own address (`http://127.0.0.1:port/`),
    /// so that a browser can follow every link; else [`PUBLIC_URL`].
    pub own_public_url: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            time: Time::Manual(samples_as_of()),
            api_token: Some(TOKEN.into()),
            max_body_bytes: None,
            body_cache_mb: None,
            max_connections: None,
            max_connections_per_address: None,
            items: 50,
            seed: true,
            public_url: None,
            port: 0,
            extra_toml: String::new(),
            own_public_url: false,
        }
    }
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The configuration text of a server whose files live in `dir`.
pub fn config_text(dir: &Path, opts: &Options) -> String {
    config_text_at(dir, opts, opts.public_url.as_deref().unwrap_or(PUBLIC_URL))
}

/// [`config_text`] with another public URL.
fn config_text_at(dir: &Path, opts: &Options, public_url: &str) -> String {
    let db = dir.join("db");
    let feeds = dir.join("feeds");
    let mut text = format!(
        r#"[site]
title = "Actu.ma"
description = "L’actualité du Maroc et du monde"
language = "fr"
home_url = "https://www.actu.example.ma/"
public_url = "{public_url}"
publication_name = "Actu.ma"
guid_authority = "{GUID_AUTHORITY}"

[store]
url = {store}

[output]
dir = {feeds}

[feeds]
items = {items}

[server]
listen = "127.0.0.1:0"
max_age = {MAX_AGE}
"#,
        store = toml_string(&format!("sqlite:{}", db.display())),
        feeds = toml_string(&feeds.display().to_string()),
        items = opts.items,
    );
    if let Some(token) = &opts.api_token {
        text.push_str(&format!("api_token = {}\n", toml_string(token)));
    }
    if let Some(max) = opts.max_body_bytes {
        text.push_str(&format!("max_body_bytes = {max}\n"));
    }
    if let Some(max) = opts.max_connections {
        text.push_str(&format!("max_connections = {max}\n"));
    }
    if let Some(max) = opts.max_connections_per_address {
        text.push_str(&format!("max_connections_per_address = {max}\n"));
    }
    if let Some(mb) = opts.body_cache_mb {
        text.push_str(&format!("body_cache_mb = {mb}\n"));
    }
    if opts.seed {
        text.push_str(&format!(
            "\n[demo]\nseed_file = {}\n",
            toml_string(&samples_path().display().to_string())
        ));
        if matches!(opts.time, Time::System) {
            text.push_str(&format!("seed_as_of = \"{SAMPLES_AS_OF}\"\n"));
        }
    }
    text.push('\n');
    text.push_str(&opts.extra_toml);
    text
}

/// A running `syndic::serve::serve` on 127.0.0.1, in its own runtime and thread.
/// Dropping it stops it (bounded).
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The manual clock, when the server has one.
    manual: Option<Arc<ManualClock>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Receiver<Result<(), String>>,
    thread: Option<JoinHandle<()>>,
    config_path: PathBuf,
    /// The temporary folder (store, output, config); removed last, unless
    /// taken back by [`Server::stop_keeping_dir`].
    dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server and waits until it answers `/healthz`.
    pub fn start(opts: Options) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        Server::start_in(dir, opts, |text| text)
    }

    /// Starts a server on the store, output and configuration of `dir` (a
    /// restart), its configuration text changed by `edit`.
    pub fn start_in(
        dir: tempfile::TempDir,
        opts: Options,
        edit: impl FnOnce(String) -> String,
    ) -> Server {
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:{}: {e}", opts.port));
        let own = format!("http://{}/", listener.local_addr().expect("local address"));
        let public_url = match (&opts.public_url, opts.own_public_url) {
            (_, true) => own.as_str(),
            (Some(url), false) => url.as_str(),
            (None, false) => PUBLIC_URL,
        };
        let text = edit(config_text_at(dir.path(), &opts, public_url));
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, &text).expect("write config.toml");
        let config = Config::from_toml(&config_path, &text, std::iter::empty())
            .unwrap_or_else(|e| panic!("test configuration: {e}\n{text}"));
        let (manual, clock): (Option<Arc<ManualClock>>, Arc<dyn Clock>) = match opts.time {
            Time::Manual(at) => {
                let c = Arc::new(ManualClock::new(at));
                (Some(c.clone()), c)
            }
            Time::System => (None, Arc::new(SystemClock)),
        };
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("syndic-test-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                let result = runtime.block_on(async move {
                    listener
                        .set_nonblocking(true)
                        .map_err(|e| format!("listener: {e}"))?;
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .map_err(|e| format!("listener: {e}"))?;
                    let addr = listener.local_addr().map_err(|e| e.to_string())?;
                    let _ = addr_tx.send(addr);
                    // Stops when told to, or when the `Server` is dropped.
                    let shutdown = async move {
                        let _ = stop_rx.await;
                    };
                    syndic::serve::serve(config, listener, clock, shutdown)
                        .await
                        .map_err(|e| e.to_string())
                });
                runtime.shutdown_timeout(Duration::from_secs(5));
                let _ = done_tx.send(result);
            })
            .expect("spawn the server thread");
        let addr = match addr_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => panic!(
                "the server never bound: {:?}",
                done.recv_timeout(Duration::from_secs(1))
            ),
        };
        let server = Server {
            addr,
            manual,
            stop: Some(stop_tx),
            done,
            thread: Some(thread),
            config_path,
            dir: Some(dir),
        };
        server.wait_healthy();
        server
    }

    /// A server with default options (manual clock at [`SAMPLES_AS_OF`], samples, API on).
    pub fn with_samples() -> Server {
        Server::start(Options::default())
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            // A start from the mirror serves before it follows the store:
            // tests begin once it does.
            if let Ok(r) = try_exchange(self.addr, &request_bytes("GET", "/healthz", &[], b""))
                && r.status == 200
                && following(&r.body)
            {
                return;
            }
            if let Ok(result) = self.done.try_recv() {
                panic!("serve() returned before answering /healthz: {result:?}");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer /healthz within {STARTUP_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The manual clock (panics for a system-clock server).
    pub fn clock(&self) -> &ManualClock {
        self.manual
            .as_deref()
            .expect("this server runs on the system clock")
    }

    /// The test's temporary folder.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the folder is kept").path()
    }

    /// Stops the server (it must stop cleanly) and gives its folder back, for a restart.
    pub fn stop_keeping_dir(mut self) -> tempfile::TempDir {
        self.stop_and_wait().expect("a clean stop");
        self.dir.take().expect("the folder is kept")
    }

    /// The SQLite file of the store.
    pub fn db_path(&self) -> PathBuf {
        self.dir().join("db")
    }

    /// The configuration file the server was started with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Sends one request (with `Connection: close`) and reads the whole answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        exchange(self.addr, &request_bytes(method, path, headers, body))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// `GET path` with headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("GET", path, headers, b"")
    }

    /// `HEAD path` with headers.
    pub fn head_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("HEAD", path, headers, b"")
    }

    /// `GET path`, which must answer 200; its body as text.
    pub fn text(&self, path: &str) -> String {
        let r = self.get(path);
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.text()
    }

    /// An ingest API call with the right token.
    pub fn api(&self, method: &str, path: &str, body: &[u8]) -> Response {
        api_request(self.addr, method, path, body)
    }

    /// `PUT /api/articles/{id}` of a record.
    pub fn put(&self, record: &Value) -> Response {
        let id = record["id"].as_str().expect("record has an id");
        self.api(
            "PUT",
            &format!("/api/articles/{id}"),
            record.to_string().as_bytes(),
        )
    }

    /// `/healthz` as JSON.
    pub fn health(&self) -> Value {
        let r = self.get("/healthz");
        assert_eq!(r.status, 200);
        r.json()
    }

    /// `/metrics`, parsed.
    pub fn metrics(&self) -> Metrics {
        let r = self.get("/metrics");
        assert_eq!(r.status, 200);
        Metrics::parse(&r.text())
    }

    /// Stops the server and waits (bounded) for `serve()` to return; its result.
    pub fn shutdown(mut self) -> Result<(), String> {
        self.stop_and_wait()
    }

    fn stop_and_wait(&mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = match self.done.recv_timeout(STOP_TIMEOUT) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!("serve() did not return within {STOP_TIMEOUT:?}"));
            }
            Err(RecvTimeoutError::Disconnected) => Err("the server thread died".into()),
        };
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        result
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.stop.is_some() || self.thread.is_some() {
            let _ = self.stop_and_wait();
        }
    }
}

/// An ingest API call with the right token to the server at `addr` (usable
/// from other threads: [`Server`] itself is not `Sync`).
pub fn api_request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Response {
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    exchange(addr, &request_bytes(method, path, &headers, body))
}

/// An HTTP response as received.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, as sent (chunked framing removed).
    pub body: Vec<u8>,
}

impl Response {
    /// The value of a header (the first one).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header that must be present.
    pub fn must(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    /// The header fields except those that may differ between two identical requests.
    pub fn stable_headers(&self) -> Vec<(String, String)> {
        let mut h: Vec<_> = self
            .headers
            .iter()
            .filter(|(n, _)| n != "date")
            .cloned()
            .collect();
        h.sort();
        h
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// The bytes of a request: `Host` and `Connection: close` first, then `headers`,
/// then `Content-Length` when there is a body (or the method carries one).
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if !body.is_empty() || matches!(method, "PUT" | "POST") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Connects to `addr` with bounded timeouts.
pub fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// Sends raw request bytes on a new connection and reads one response, then
/// checks that the server sends nothing after it and closes the connection.
pub fn try_exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Response> {
    let stream = connect(addr)?;
    let head_only = request.starts_with(b"HEAD ");
    (&stream).write_all(request)?;
    let mut reader = BufReader::new(stream);
    let response = read_response(&mut reader, head_only)?;
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(std::io::Error::other(format!(
            "{} bytes after the response (status {}): {:?}",
            rest.len(),
            response.status,
            String::from_utf8_lossy(&rest[..rest.len().min(200)])
        )));
    }
    Ok(response)
}

/// [`try_exchange`], which must succeed.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    try_exchange(addr, request).unwrap_or_else(|e| {
        panic!(
            "request {:?} failed: {e}",
            String::from_utf8_lossy(&request[..request.len().min(120)])
        )
    })
}

/// Reads one response: head, then a body framed by `Content-Length`, chunked
/// encoding or the end of the connection (none for HEAD, 1xx, 204 and 304).
pub fn read_response(reader: &mut impl BufRead, head_only: bool) -> std::io::Result<Response> {
    let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before any response",
        ));
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("not an HTTP/1 status line: {line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("connection closed inside the response head".into()));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (name, value) = l
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line {l:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only || status < 200 || status == 204 || status == 304 {
        return Ok(response);
    }
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|e| bad(format!("bad chunk size {line:?}: {e}")))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            response.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|e| bad(format!("bad Content-Length {len:?}: {e}")))?;
        response.body = vec![0; len];
        reader.read_exact(&mut response.body)?;
    } else {
        reader.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

/// Calls `probe` every 20 ms until it returns `Some`, for at most `within`.
pub fn wait_for<T>(what: &str, within: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A record for the ingest API or an import file.
pub fn record(
    id: &str,
    section: &str,
    tags: &[&str],
    authors: &[&str],
    published: DateTime<Utc>,
) -> Value {
    json!({
        "id": id,
        "url": format!("https://www.actu.example.ma/test/{id}.html"),
        "title": format!("Article de test {id}"),
        "summary": format!("Résumé de {id}"),
        "content_html": format!("<p>Corps de {id}</p>"),
        "authors": authors,
        "section": section,
        "tags": tags,
        "published_at": published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// The permalink [`record`] gives `id`.
pub fn record_url(id: &str) -> String {
    format!("https://www.actu.example.ma/test/{id}.html")
}

/// The GUID of an article id (ids of the tests need no percent-encoding).
pub fn guid(id: &str) -> String {
    format!("tag:{GUID_AUTHORITY}:article/{id}")
}

/// Inserts a row the way another program would: plain SQL on its own connection.
pub fn sql_insert(conn: &rusqlite::Connection, rec: &Value) {
    let s = |k: &str| rec.get(k).and_then(Value::as_str).map(str::to_owned);
    let list = |k: &str| rec.get(k).cloned().unwrap_or(json!([])).to_string();
    conn.execute(
        "INSERT INTO articles (id, url, title, summary, content_html, authors, section, tags, \
         published_at, updated_at, language, image, status) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, 'published')",
        rusqlite::params![
            s("id"),
            s("url"),
            s("title"),
            s("summary"),
            s("content_html"),
            list("authors"),
            s("section"),
            list("tags"),
            s("published_at"),
            s("updated_at"),
            s("language"),
        ],
    )
    .expect("INSERT INTO articles");
}

/// A connection to the server's store, as another program would open it.
pub fn sql_connection(server: &Server) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(server.db_path()).expect("open the store file");
    conn.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    conn
}

/// Items of an RSS feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RssItem {
    pub guid: String,
    pub link: String,
    pub title: String,
    pub pub_date: String,
}

fn child_text(node: roxmltree::Node, name: &str) -> String {
    node.children()
        .find(|c| c.tag_name().name() == name)
        .and_then(|c| c.text())
        .unwrap_or_default()
        .to_owned()
}

/// Parses the items of an RSS 2.0 document.
pub fn rss_items(xml: &str) -> Vec<RssItem> {
    let doc = roxmltree::Document::parse(xml).expect("RSS is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("item"))
        .map(|item| RssItem {
            guid: child_text(item, "guid"),
            link: child_text(item, "link"),
            title: child_text(item, "title"),
            pub_date: child_text(item, "pubDate"),
        })
        .collect()
}

/// Entries of an Atom feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomEntry {
    pub id: String,
    pub updated: String,
    pub published: String,
    pub title: String,
}

/// Parses the entries of an Atom document.
pub fn atom_entries(xml: &str) -> Vec<AtomEntry> {
    let doc = roxmltree::Document::parse(xml).expect("Atom is well-formed XML");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "entry")
        .map(|e| AtomEntry {
            id: child_text(e, "id"),
            updated: child_text(e, "updated"),
            published: child_text(e, "published"),
            title: child_text(e, "title"),
        })
        .collect()
}

/// Item ids of a JSON Feed document.
pub fn json_feed_ids(text: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(text).expect("JSON Feed is JSON");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every `<loc>` of a sitemap, sitemap index or news sitemap.
pub fn locs(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("sitemap is well-formed XML");
    doc.descendants()
        .filter(|n| {
            n.tag_name().name() == "loc"
                && n.parent().is_some_and(|p| p.tag_name().name() != "image")
        })
        .filter_map(|n| n.text().map(str::to_owned))
        .collect()
}

/// The path (with a leading `/`) of an absolute URL under [`PUBLIC_URL`].
pub fn path_of(url: &str) -> String {
    let rest = url
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is not under {PUBLIC_URL}"));
    format!("/{rest}")
}

/// The paths of every feed folder the OPML lists (`/`, `/sections/sport/`, …).
pub fn feed_dirs(server: &Server) -> Vec<String> {
    let opml = server.text("/feeds.opml");
    let doc = roxmltree::Document::parse(&opml).expect("OPML is well-formed XML");
    doc.descendants()
        .filter_map(|n| n.attribute("xmlUrl"))
        .map(|u| {
            path_of(u)
                .strip_suffix("feed.xml")
                .unwrap_or_else(|| panic!("{u}: not a feed.xml URL"))
                .to_owned()
        })
        .collect()
}

/// The path of every document the server publishes, found the way a client
/// would: the OPML's feeds in their three formats, the sitemap index and what
/// it lists, the news sitemap when there is one, robots.txt, the OPML and `/`.
pub fn all_documents(server: &Server) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for dir in feed_dirs(server) {
        for name in ["feed.xml", "atom.xml", "feed.json"] {
            paths.insert(format!("{dir}{name}"));
        }
        // the feed's page (the global feed's is `/`)
        paths.insert(dir.clone());
    }
    paths.insert("/sitemap.xml".to_owned());
    paths.extend(
        locs(&server.text("/sitemap.xml"))
            .iter()
            .map(|u| path_of(u)),
    );
    if server.get("/news-sitemap.xml").status == 200 {
        paths.insert("/news-sitemap.xml".to_owned());
    }
    paths.extend(
        [
            "/robots.txt",
            "/feeds.opml",
            "/",
            "/feeds/",
            "/feed.css",
            "/pages.css",
        ]
        .map(str::to_owned),
    );
    paths
}

/// The identity ETag of every path.
pub fn etags(server: &Server, paths: &BTreeSet<String>) -> BTreeMap<String, String> {
    paths
        .iter()
        .map(|p| {
            let r = server.get(p);
            assert_eq!(r.status, 200, "GET {p}");
            (p.clone(), r.must("etag").to_owned())
        })
        .collect()
}

/// A parsed `/metrics` exposition.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The text as served.
    pub text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Metrics {
    /// Parses `name{label="value",…} number` lines; comments are kept only in `text`.
    pub fn parse(text: &str) -> Metrics {
        let mut samples = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("bad metrics line {line:?}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|e| panic!("bad metrics value in {line:?}: {e}"));
            let (name, labels) = match series.split_once('{') {
                None => (series.to_owned(), BTreeMap::new()),
                Some((name, rest)) => {
                    let inner = rest
                        .strip_suffix('}')
                        .unwrap_or_else(|| panic!("bad labels in {line:?}"));
                    let labels = inner
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair
                                .split_once('=')
                                .unwrap_or_else(|| panic!("bad label in {line:?}"));
                            (k.to_owned(), v.trim_matches('"').to_owned())
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
            };
            samples.push((name, labels, value));
        }
        Metrics {
            text: text.to_owned(),
            samples,
        }
    }

    /// The value of the series `name` with exactly these labels, if exposed.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|(n, l, _)| n == name && *l == want)
            .map(|(_, _, v)| *v)
    }

    /// Like [`Metrics::get`], 0 when the series is not exposed (a counter not yet used).
    pub fn count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }
}

/// Whether a `/healthz` body says the server follows the store (a start from
/// the mirror serves before it does).
pub fn following(healthz: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(healthz)
        .is_ok_and(|h| h["catching_up"] == serde_json::Value::Bool(false))
}
