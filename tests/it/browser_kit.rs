//! What the browser tests need around a real Chromium: chromedriver started on
//! loopback, a session whose browser resolves nothing but 127.0.0.1, the two
//! chromedriver commands fantoccini has no method for (the console log, and
//! CDP for the viewport), axe-core, and a loopback stub server for the test
//! articles' images (and for serving a feed under other content types).
//!
//! Missing Chromium, chromedriver or axe-core fails the test loudly: they are
//! installed by `scripts/test.sh`.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where screenshots go: `target/browser-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = crate::common::manifest_dir()
        .join("target")
        .join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("create target/browser-screenshots");
    dir
}

fn find_program(env: &str, candidates: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "browser tests: none of {candidates:?} exists (set {env} to another path). \
                 Install Debian's chromium and chromium-driver: scripts/test.sh does it."
            )
        })
}

/// axe-core's browser bundle, installed by scripts/test.sh with npm.
pub fn axe_source() -> String {
    let path = crate::common::manifest_dir().join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "browser tests: {} ({e}); install it with \
             `npm ci --prefix tests/browser` (scripts/test.sh does it)",
            path.display()
        )
    })
}

/// A chromedriver process on 127.0.0.1, killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
    _profile: tempfile::TempDir,
    pub chromium: PathBuf,
    pub profile: PathBuf,
}

impl Drop for Driver {
    /// Ends chromedriver and the browsers it started (its own process group,
    /// so a test that panicked before closing its session leaves no browser).
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver (the browser runs in the time zone `tz`).
pub fn start_driver(tz: &str) -> Driver {
    let chromium = find_program(
        "SYNDIC_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let driver = find_program(
        "SYNDIC_CHROMEDRIVER",
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .env("TZ", tz)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("browser tests: cannot start {}: {e}", driver.display()));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = tempfile::tempdir().expect("tempdir");
    Driver {
        child,
        url: format!("http://{addr}"),
        profile: profile.path().to_owned(),
        _profile: profile,
        chromium,
    }
}

/// A headless session whose browser reaches nothing but loopback.
pub async fn session(driver: &Driver) -> Client {
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--no-proxy-server",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--lang=fr-FR",
        "--window-size=1280,900",
        &format!("--user-data-dir={}", driver.profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "goog:loggingPrefs": { "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": driver.chromium,
            "args": args,
            "prefs": { "download.default_directory": driver.profile.join("downloads") },
        },
    });
    let caps = match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("browser tests: no Chromium session: {e}"))
}

/// A chromedriver command under `session/{id}/`, with a JSON body.
#[derive(Debug)]
struct SessionCmd {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionCmd {
    fn endpoint(&self, base: &url::Url, id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", id.unwrap_or(""), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// The browser console's entries since the last call: (level, message).
pub async fn console(c: &Client) -> Vec<(String, String)> {
    let cmd = SessionCmd {
        path: "se/log",
        body: json!({ "type": "browser" }),
    };
    let log = c.issue_cmd(cmd).await.expect("chromedriver: browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["level"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Sets the viewport (CSS pixels) through the DevTools protocol.
pub async fn viewport(c: &Client, width: u32, height: u32) {
    let body = json!({
        "cmd": "Emulation.setDeviceMetricsOverride",
        "params": { "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 },
    });
    c.issue_cmd(SessionCmd {
        path: "goog/cdp/execute",
        body,
    })
    .await
    .expect("chromedriver: set the viewport");
}

/// Path → (content type, body).
type Routes = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

/// A loopback HTTP server answering fixed bodies by path.
pub struct Stub {
    pub addr: SocketAddr,
    routes: Routes,
}

impl Stub {
    pub fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("address");
        let routes: Routes = Arc::default();
        let shared = routes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = shared.clone();
                std::thread::spawn(move || answer(stream, &routes));
            }
        });
        Stub { addr, routes }
    }

    /// Serves `body` as `content_type` at `path`.
    pub fn route(&self, path: &str, content_type: &str, body: Vec<u8>) -> String {
        let mut routes = self.routes.lock().unwrap();
        routes.insert(path.to_owned(), (content_type.to_owned(), body));
        format!("http://{}{path}", self.addr)
    }
}

fn answer(stream: TcpStream, routes: &Mutex<HashMap<String, (String, Vec<u8>)>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
            break;
        }
    }
    let found = routes.lock().unwrap().get(&path).cloned();
    let (status, ctype, body) = match found {
        Some((t, b)) => ("200 OK", t, b),
        None => ("404 Not Found", "text/plain".into(), b"not found".to_vec()),
    };
    let mut stream = reader.into_inner();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// A lead image: an SVG of `width`×`height` with a label.
pub fn svg(width: u32, height: u32, fill: &str, label: &str) -> Vec<u8> {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="{fill}"/><text x="50%" y="50%" font-family="sans-serif" font-size="{}" fill="#fff" text-anchor="middle" dominant-baseline="middle">{label}</text></svg>"##,
        height / 6
    )
    .into_bytes()
}
