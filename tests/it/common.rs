//! Helpers shared by the integration tests: the fixture, a fresh store, a full
//! build at a fixed time.
//!
//! Each test crate uses a different subset of these helpers.

use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use syndic::config::Config;
use syndic::import::{self, Options, Summary};
use syndic::publish::Publisher;
use syndic::store::{SqliteStore, Store};

/// The time every fixture build happens at.
pub const NOW: &str = "2026-11-29T12:00:00Z";

/// [`NOW`] parsed.
pub fn now() -> DateTime<Utc> {
    NOW.parse().expect("NOW is RFC 3339")
}

/// The crate's folder.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests").join("fixtures").join(name)
}

/// Text of a file under `tests/fixtures/`.
pub fn fixture_text(name: &str) -> String {
    let path = fixture(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `tests/fixtures/config.toml`, without any `SYNDIC_*` override.
pub fn config() -> Config {
    let path = fixture("config.toml");
    Config::from_toml(&path, &fixture_text("config.toml"), std::iter::empty())
        .unwrap_or_else(|e| panic!("fixture config: {e}"))
}

/// The fixture configuration text with `[store] url` and `[output] dir` pointing
/// into `dir` (for the binary, which reads its store from the configuration).
pub fn config_text_in(dir: &Path) -> String {
    let text = fixture_text("config.toml");
    let store_line = "url = \"sqlite:target/test-fixture-unused/syndic.db\"";
    let output_line = "dir = \"target/test-fixture-unused/feeds\"";
    assert!(
        text.contains(store_line) && text.contains(output_line),
        "tests/fixtures/config.toml must keep the lines `{store_line}` and `{output_line}`"
    );
    text.replace(
        store_line,
        &format!(
            "url = {}",
            toml_string(&format!("sqlite:{}", dir.join("db").display()))
        ),
    )
    .replace(
        output_line,
        &format!(
            "dir = {}",
            toml_string(&dir.join("feeds").display().to_string())
        ),
    )
}

/// A TOML basic string holding `s`.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A new, empty SQLite store in `dir`.
pub fn fresh_store(dir: &Path) -> SqliteStore {
    let path = dir.join("store.db");
    SqliteStore::open(path.to_str().expect("temp path is UTF-8")).expect("open the store")
}

/// Imports JSON Lines text; returns the summary and the report (rejections).
pub fn import_text(store: &dyn Store, text: &str, source: &str) -> (Summary, String) {
    let mut report = Vec::new();
    let summary = import::import(
        store,
        &mut text.as_bytes(),
        source,
        Options::default(),
        &mut report,
        &mut |_| {},
    )
    .expect("import");
    (summary, String::from_utf8(report).expect("report is UTF-8"))
}

/// Imports `tests/fixtures/articles.jsonl`, asserting that every record is valid.
pub fn import_fixture(store: &dyn Store) -> Summary {
    let (summary, report) = import_text(store, &fixture_text("articles.jsonl"), "articles.jsonl");
    assert_eq!(summary.rejected, 0, "fixture records rejected:\n{report}");
    assert!(report.is_empty(), "{report}");
    summary
}

/// Every document of a full build at `now`, sorted by path.
pub fn build(config: &Config, store: &dyn Store, now: DateTime<Utc>) -> Vec<(String, Vec<u8>)> {
    let (index, _cursor) = syndic::build::load_index(config, store, now).expect("load the index");
    let publisher = Publisher::new();
    let outcome = syndic::build::render_all(config, store, &index, &publisher);
    assert!(
        outcome.failures.is_empty(),
        "documents failed to render: {:?}",
        outcome.failures
    );
    let snapshot = publisher.snapshot();
    let mut docs: Vec<(String, Vec<u8>)> = snapshot
        .artifacts()
        .map(|a| {
            let body = a
                .resident_body()
                .expect("an in-memory build keeps every body");
            (a.path.clone(), body.to_vec())
        })
        .collect();
    docs.sort();
    docs
}

/// Imports the fixture into a fresh store under `dir` and builds at [`NOW`].
pub fn build_fixture(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let store = fresh_store(dir);
    import_fixture(&store);
    build(&config(), &store, now())
}

/// Every file under `dir`, as paths relative to it with `/` separators, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("read_dir entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Whether an XML document's root element is `<sitemapindex>` (else `<urlset>`).
pub fn is_sitemap_index(body: &[u8]) -> bool {
    let text = std::str::from_utf8(body).expect("sitemap is UTF-8");
    let doc = roxmltree::Document::parse(text).expect("sitemap parses");
    doc.root_element().tag_name().name() == "sitemapindex"
}

/// Paths of the sitemap documents (index, month files, news sitemap and parts).
pub fn is_sitemap_path(path: &str) -> bool {
    path == "sitemap.xml"
        || path == "news-sitemap.xml"
        || path.starts_with("sitemaps/")
        || path.starts_with("news-sitemaps/")
}

/// A compact report of where two texts first differ (for golden mismatches).
pub fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let (e, a) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual),
    );
    let (el, al): (Vec<&str>, Vec<&str>) = (e.lines().collect(), a.lines().collect());
    let at = el
        .iter()
        .zip(&al)
        .position(|(x, y)| x != y)
        .unwrap_or(el.len().min(al.len()));
    let show = |lines: &[&str]| {
        lines
            .iter()
            .enumerate()
            .skip(at.saturating_sub(2))
            .take(5)
            .map(|(i, l)| format!("  {:>5} | {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {} ({} vs {} lines, {} vs {} bytes)\n expected:\n{}\n actual:\n{}",
        at + 1,
        el.len(),
        al.len(),
        expected.len(),
        actual.len(),
        show(&el),
        show(&al)
    )
}

/// A watch loop over `store` set up as `serve` sets it up: index loaded and a
/// full first pass published (in memory; files under `dir`), clock in hand.
pub fn start_watcher(
    config: &std::sync::Arc<Config>,
    store: std::sync::Arc<dyn Store>,
    clock: std::sync::Arc<syndic::watch::ManualClock>,
    dir: &Path,
) -> syndic::watch::Watcher {
    use std::sync::Arc;
    let now = syndic::watch::Clock::now(&*clock);
    let (index, cursor) = syndic::build::load_index(config, &*store, now).expect("load index");
    let publisher = Arc::new(Publisher::new());
    let first =
        syndic::build::publish_all(config, &*store, &index, &publisher, dir).expect("first pass");
    assert!(
        first.failed.is_empty(),
        "first pass failed: {:?}",
        first.failed
    );
    let services = syndic::watch::Services {
        config: config.clone(),
        store,
        publisher,
        clock,
        metrics: Arc::new(syndic::metrics::Metrics::new()),
    };
    let start = syndic::watch::Start {
        index,
        cursor,
        first,
    };
    syndic::watch::Watcher::new(services, start)
}
