//! Last-Modified never goes backwards: removing a document's newest article
//! moves it forward (to when the article left, by the store's clock), so a
//! client sending only `If-Modified-Since` learns of the removal; and a full
//! pass over the same store computes the same value as the live path.

use crate::support::{self, Server, record};
use chrono::{DateTime, TimeDelta, Utc};
use syndic::config::Config;
use syndic::publish::Publisher;
use syndic::store::SqliteStore;
use syndic::watch::Clock;

fn last_modified(server: &Server, path: &str) -> (String, DateTime<Utc>) {
    let r = server.get(path);
    assert_eq!(r.status, 200, "{path}");
    let text = r.must("last-modified").to_owned();
    let t = DateTime::parse_from_rfc2822(&text)
        .unwrap_or_else(|e| panic!("{path}: Last-Modified {text:?}: {e}"))
        .with_timezone(&Utc);
    (text, t)
}

/// What a full pass (as `syndic build` or a replica starting now) gives `path`.
fn full_pass_last_modified(server: &Server, path: &str) -> Option<DateTime<Utc>> {
    let text = std::fs::read_to_string(server.config_path()).unwrap();
    let config = Config::from_toml(server.config_path(), &text, std::iter::empty()).unwrap();
    let store = SqliteStore::open(server.db_path().to_str().unwrap()).unwrap();
    let (index, _) = syndic::build::load_index(&config, &store, server.clock().now()).unwrap();
    let publisher = Publisher::new();
    let outcome = syndic::build::render_all(&config, &store, &index, &publisher);
    assert!(outcome.failures.is_empty());
    publisher.snapshot().get(path)?.last_modified
}

const PATHS: [&str; 4] = [
    "/feed.xml",
    "/tags/validateurs/atom.xml",
    "/sitemaps/2026-11-29.xml",
    "/sitemap.xml",
];

#[test]
fn deleting_the_newest_article_moves_last_modified_forward() {
    let server = Server::with_samples();
    let newest = support::samples_as_of() - TimeDelta::minutes(1);
    let older = newest - TimeDelta::minutes(30);
    for (id, at) in [("lm-old", older), ("lm-new", newest)] {
        let rec = record(id, "Maroc", &["Validateurs"], &[], at);
        assert!(server.put(&rec).status < 300);
    }
    let before: Vec<_> = PATHS.iter().map(|p| last_modified(&server, p)).collect();
    assert_eq!(
        before[0].1, newest,
        "the newest updated_at, before any removal"
    );
    let deleted_at = Utc::now() - TimeDelta::seconds(1);
    let r = server.api("DELETE", "/api/articles/lm-new", b"");
    assert_eq!(r.status, 200);
    assert!(!server.text("/feed.xml").contains("lm-new"));
    for (path, (text, was)) in PATHS.iter().zip(&before) {
        let r = server.get_with(path, &[("If-Modified-Since", text)]);
        assert_eq!(
            r.status, 200,
            "{path}: If-Modified-Since from before the delete"
        );
        let (_, now) = last_modified(&server, path);
        assert!(now > *was && now >= deleted_at, "{path}: {now} after {was}");
        // A later If-Modified-Since of the new value is answered 304.
        let (text, _) = last_modified(&server, path);
        let r = server.get_with(path, &[("If-Modified-Since", &text)]);
        assert_eq!(r.status, 304, "{path}");
        // A replica starting now (a full pass) says the same.
        let key = path.trim_start_matches('/');
        assert_eq!(full_pass_last_modified(&server, key), Some(now), "{path}");
    }
}
