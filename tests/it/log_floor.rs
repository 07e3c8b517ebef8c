//! A follower whose cursor the change log's floor has passed (entries pruned
//! before it read them, or a PostgreSQL `TRUNCATE`, which fires no row
//! trigger) reloads from a full scan instead of missing changes: the watch
//! loop driven directly, on both backends.

use crate::store_suite::{Backend, article, postgres, sqlite};
use crate::support::{self, SAMPLES_AS_OF};
use std::sync::Arc;
use syndic::config::Config;
use syndic::metrics::Metrics;
use syndic::publish::Publisher;
use syndic::store::Store;
use syndic::watch::{ManualClock, Watcher};

/// A watcher over `store` as `serve` starts one: index loaded, every document
/// published (in memory; no disk mirror).
fn watcher(store: Arc<dyn Store>) -> Watcher {
    let dir = tempfile::tempdir().unwrap();
    let opts = support::Options::default();
    let text = support::config_text(dir.path(), &opts);
    let config = Config::from_toml(&dir.path().join("c.toml"), &text, std::iter::empty()).unwrap();
    let now = SAMPLES_AS_OF.parse().unwrap();
    let (index, cursor) = syndic::build::load_index(&config, &*store, now).unwrap();
    let publisher = Arc::new(Publisher::new());
    syndic::build::render_all(&config, &*store, &index, &publisher);
    Watcher {
        config: Arc::new(config),
        store,
        index,
        cursor,
        publisher,
        clock: Arc::new(ManualClock::new(now)),
        metrics: Arc::new(Metrics::new()),
        disk: None,
        applied: tokio::sync::watch::channel(cursor).0,
        failures: 0,
        retry: Default::default(),
        caches: Default::default(),
        next_prune: None,
    }
}

fn body(w: &Watcher, path: &str) -> Option<String> {
    let snapshot = w.publisher.snapshot();
    let body = snapshot.get(path)?.resident_body().expect("kept in memory");
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// A started watcher, with raw SQL on its store and what must outlive it.
struct Seeded {
    w: Watcher,
    raw: Box<dyn Fn(&str)>,
    _keep: Box<dyn std::any::Any>,
}

/// Two articles stored, one of them alone in its tag; the watcher started.
fn seeded(backend: Backend) -> Seeded {
    let Backend {
        store,
        raw,
        _cleanup,
        ..
    } = backend;
    let mut a = article("kept", "Gardé");
    a.published_at = SAMPLES_AS_OF
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        - chrono::TimeDelta::hours(2);
    a.updated_at = a.published_at;
    let mut b = a.clone();
    b.id = "gone".into();
    b.tags = vec!["Disparu".into()];
    store.upsert(&[a, b]).unwrap();
    let w = watcher(Arc::from(store));
    assert!(body(&w, "feed.xml").unwrap().contains("article/gone"));
    assert!(body(&w, "tags/disparu/feed.xml").is_some());
    Seeded {
        w,
        raw,
        _keep: _cleanup,
    }
}

fn assert_reloaded_without(w: &Watcher) {
    let feed = body(w, "feed.xml").unwrap();
    assert!(
        !feed.contains("article/gone"),
        "the deleted article is still served"
    );
    assert!(
        body(w, "tags/disparu/feed.xml").is_none(),
        "its tag feed is still served"
    );
    assert!(w.cursor >= w.store.floor().unwrap());
}

#[test]
fn a_follower_below_the_floor_reloads_instead_of_missing_changes() {
    let Seeded { mut w, raw, _keep } = seeded(sqlite());
    // A delete whose log entry was pruned before the follower read it.
    raw("BEGIN; DELETE FROM articles WHERE id = 'gone';
         UPDATE change_log_floor SET seq = (SELECT max(seq) FROM change_log);
         DELETE FROM change_log; COMMIT;");
    assert!(w.store.changes_since(w.cursor, 10).unwrap().is_empty());
    w.pass();
    assert_reloaded_without(&w);
    assert!(body(&w, "feed.xml").unwrap().contains("article/kept"));
}

#[test]
fn postgres_truncate_makes_followers_reload() {
    let Seeded { mut w, raw, _keep } = seeded(postgres());
    raw("TRUNCATE articles");
    w.pass();
    assert_reloaded_without(&w);
    assert!(!body(&w, "feed.xml").unwrap().contains("article/kept"));
    // Later rows are followed as usual from the new cursor.
    let mut again = article("again", "De retour");
    again.published_at = SAMPLES_AS_OF
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        - chrono::TimeDelta::hours(1);
    again.updated_at = again.published_at;
    w.store.upsert(&[again]).unwrap();
    w.pass();
    assert!(body(&w, "feed.xml").unwrap().contains("article/again"));
}

#[test]
fn the_watch_loop_prunes_entries_older_than_the_retention_once_an_hour() {
    let Seeded { mut w, _keep, .. } = seeded(sqlite());
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    w.clock = clock.clone();
    w.pass();
    assert_eq!(w.store.floor().unwrap(), 0, "nothing is 72 hours old");
    let written = w.cursor;
    // Half an hour on: not yet time for the next prune.
    clock.set(chrono::Utc::now() + chrono::TimeDelta::minutes(30));
    w.pass();
    assert_eq!(w.store.floor().unwrap(), 0);
    clock.set(chrono::Utc::now() + chrono::TimeDelta::hours(73));
    w.pass();
    assert_eq!(w.store.floor().unwrap(), written, "every entry pruned");
    assert!(w.store.changes_since(0, 10).unwrap().is_empty());
    // The follower was not behind the floor: it carries on from its cursor.
    assert_eq!(w.cursor, written);
    assert!(body(&w, "feed.xml").unwrap().contains("article/kept"));
}
