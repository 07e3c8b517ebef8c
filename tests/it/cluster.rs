//! Real processes for replica tests: a private PostgreSQL cluster that a test may
//! stop and start (so it cannot disturb other tests), `syndic serve` replicas,
//! and a minimal HTTP/1.1 client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A PostgreSQL server of its own, in a temporary folder, on a free port.
pub struct PgCluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
}

fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.flatten()
                .map(|e| e.path().join("bin"))
                .filter(|b| b.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("PostgreSQL server binaries are required (initdb, pg_ctl under /usr/lib/postgresql/*/bin); \
                apt-get install postgresql")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

impl PgCluster {
    /// initdb + start, trust auth on 127.0.0.1.
    pub fn start() -> PgCluster {
        PgCluster::start_with(|_| {})
    }

    /// initdb, then `configure` on the data folder (files, settings) before the
    /// first start.
    pub fn start_with(configure: impl FnOnce(&Path)) -> PgCluster {
        let dir = tempfile::Builder::new()
            .prefix("syndic-pg-")
            .tempdir()
            .unwrap();
        if is_root() {
            // initdb refuses to run as root: the cluster belongs to postgres.
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
        }
        let port = free_port();
        let cluster = PgCluster {
            dir,
            port,
            bin: pg_bin(),
        };
        let data = cluster.data();
        let ok = cluster
            .pg(
                &cluster.bin.join("initdb"),
                &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
            )
            .status()
            .unwrap()
            .success();
        assert!(ok, "initdb failed");
        configure(Path::new(&data));
        if is_root() {
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&data)
                .status()
                .unwrap();
        }
        cluster.up();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        c
    }

    /// Starts the server (again).
    pub fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        let ok = self
            .pg(
                &self.bin.join("pg_ctl"),
                &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
            )
            .status()
            .unwrap()
            .success();
        assert!(
            ok,
            "pg_ctl start failed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server, closing every connection.
    pub fn down(&self) {
        let ok = self
            .pg(
                &self.bin.join("pg_ctl"),
                &["-D", &self.data(), "-m", "fast", "-w", "stop"],
            )
            .status()
            .unwrap()
            .success();
        assert!(ok, "pg_ctl stop failed");
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs SQL as another program would.
    pub fn sql(&self, sql: &str) {
        let mut c = postgres::Client::connect(&self.url(), postgres::NoTls).unwrap();
        c.batch_execute(sql).unwrap();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .pg(
                &self.bin.join("pg_ctl"),
                &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
            )
            .status();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `syndic serve` process.
pub struct Replica {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Replica {
    /// Starts a replica on `store_url` with the API token `token`.
    pub fn start(store_url: &str, token: &str) -> Replica {
        Replica::start_with(store_url, token, "")
    }

    /// [`Replica::start`] with more configuration appended (a `[websub]` section).
    pub fn start_with(store_url: &str, token: &str, extra: &str) -> Replica {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = serve_config(
            store_url,
            &dir.path().join("feeds"),
            &format!("127.0.0.1:{port}"),
            token,
        );
        config.push_str(extra);
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_syndic"))
            .arg("--config")
            .arg(&path)
            .arg("serve")
            .env("SYNDIC_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let replica = Replica { port, dir, child };
        // Up and following the store (a start from the mirror serves before).
        replica.wait_until(Duration::from_secs(30), |r| {
            let (status, _, body) = r.get("/healthz");
            status == 200 && crate::support::following(&body)
        });
        replica
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// (status, headers lower-cased, body).
    pub fn get(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        request(self.port, "GET", path, &[], None)
    }

    pub fn text(&self, path: &str) -> String {
        String::from_utf8_lossy(&self.get(path).2).into_owned()
    }

    pub fn put(&self, id: &str, token: &str, body: &str) -> u16 {
        let auth = format!("Bearer {token}");
        request(
            self.port,
            "PUT",
            &format!("/api/articles/{id}"),
            &[("Authorization", &auth)],
            Some(body),
        )
        .0
    }

    /// Polls `check` every 10 ms until true; panics after `limit`.
    pub fn wait_until(&self, limit: Duration, check: impl Fn(&Replica) -> bool) -> Duration {
        let start = Instant::now();
        while start.elapsed() < limit {
            if check(self) {
                return start.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "replica on port {} did not get there within {limit:?}; log:\n{}",
            self.port,
            self.log()
        );
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection. Status 0 means the connection failed.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, Vec::new(), Vec::new());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    if stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()))
        .is_err()
    {
        return (0, Vec::new(), Vec::new());
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return (0, Vec::new(), Vec::new());
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let mut body = Vec::new();
    let _ = reader.read_to_end(&mut body);
    (status, headers, body)
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An article record as JSON.
pub fn record(id: &str, title: &str, tags: &[&str]) -> String {
    let now = chrono::Utc::now() - chrono::TimeDelta::seconds(5);
    serde_json::json!({
        "id": id, "url": format!("https://www.actu.example.ma/{id}.html"), "title": title,
        "section": "Maroc", "tags": tags, "authors": ["S.A"], "published_at": now.to_rfc3339(),
        "content_html": "<p>Texte.</p>",
    })
    .to_string()
}

/// The configuration of a `syndic serve` process in tests: the demo site's
/// `[site]`, the store at `store_url`, documents in `feeds`, the ingest API on.
pub fn serve_config(store_url: &str, feeds: &Path, listen: &str, token: &str) -> String {
    format!(
        r#"[site]
title = "Actu.ma"
description = "L’actualité"
language = "fr"
home_url = "https://www.actu.example.ma/"
public_url = "https://feeds.actu.example.ma/"
publication_name = "Actu.ma"
guid_authority = "actu.example.ma,2026"
[store]
url = "{store_url}"
[output]
dir = "{}"
[server]
listen = "{listen}"
api_token = "{token}"
"#,
        feeds.display()
    )
}
