//! A follower whose cursor the change log's floor has passed (entries pruned
//! before it read them, or a PostgreSQL `TRUNCATE`, which fires no row
//! trigger) reloads from a full scan instead of missing changes: the watch
//! loop driven directly, on both backends.

use crate::store_suite::{Backend, article, postgres, sqlite};
use crate::support::{self, SAMPLES_AS_OF};
use std::sync::Arc;
use syndic::config::Config;
use syndic::store::Store;
use syndic::watch::{ManualClock, Watcher};

/// A watcher over `store` as `serve` starts one: index loaded, every document
/// published (in memory; no disk mirror).
fn watcher(store: Arc<dyn Store>, clock: Arc<ManualClock>) -> Watcher {
    let dir = tempfile::tempdir().unwrap();
    let opts = support::Options::default();
    let text = support::config_text(dir.path(), &opts);
    let config = Config::from_toml(&dir.path().join("c.toml"), &text, std::iter::empty()).unwrap();
    crate::common::start_watcher(&Arc::new(config), store, clock, &dir.path().join("feeds"))
}

fn body(w: &Watcher, path: &str) -> Option<String> {
    let snapshot = w.publisher().snapshot();
    let body = snapshot.get(path)?.resident_body().expect("kept in memory");
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// A started watcher, with raw SQL on its store and what must outlive it.
struct Seeded {
    w: Watcher,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
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
    let store: Arc<dyn Store> = Arc::from(store);
    let clock = Arc::new(ManualClock::new(SAMPLES_AS_OF.parse().unwrap()));
    let w = watcher(store.clone(), clock.clone());
    assert!(body(&w, "feed.xml").unwrap().contains("article/gone"));
    assert!(body(&w, "tags/disparu/feed.xml").is_some());
    Seeded {
        w,
        store,
        clock,
        raw,
        _keep: _cleanup,
    }
}

fn assert_reloaded_without(w: &Watcher, store: &dyn Store) {
    let feed = body(w, "feed.xml").unwrap();
    assert!(
        !feed.contains("article/gone"),
        "the deleted article is still served"
    );
    assert!(
        body(w, "tags/disparu/feed.xml").is_none(),
        "its tag feed is still served"
    );
    assert!(w.cursor() >= store.floor().unwrap());
}

#[test]
fn a_follower_below_the_floor_reloads_instead_of_missing_changes() {
    let Seeded {
        mut w,
        store,
        raw,
        _keep,
        ..
    } = seeded(sqlite());
    // A delete whose log entry was pruned before the follower read it.
    raw("BEGIN; DELETE FROM articles WHERE id = 'gone';
         UPDATE change_log_floor SET seq = (SELECT max(seq) FROM change_log);
         DELETE FROM change_log; COMMIT;");
    assert!(store.changes_since(w.cursor(), 10).unwrap().is_empty());
    w.pass();
    assert_reloaded_without(&w, &*store);
    assert!(body(&w, "feed.xml").unwrap().contains("article/kept"));
}

#[test]
fn postgres_truncate_makes_followers_reload() {
    let Seeded {
        mut w,
        store,
        raw,
        _keep,
        ..
    } = seeded(postgres());
    raw("TRUNCATE articles");
    w.pass();
    assert_reloaded_without(&w, &*store);
    assert!(!body(&w, "feed.xml").unwrap().contains("article/kept"));
    // Later rows are followed as usual from the new cursor.
    let mut again = article("again", "De retour");
    again.published_at = SAMPLES_AS_OF
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        - chrono::TimeDelta::hours(1);
    again.updated_at = again.published_at;
    store.upsert(&[again]).unwrap();
    w.pass();
    assert!(body(&w, "feed.xml").unwrap().contains("article/again"));
}

#[test]
fn the_watch_loop_prunes_entries_older_than_the_retention_once_an_hour() {
    let Seeded {
        mut w,
        store,
        clock,
        _keep,
        ..
    } = seeded(sqlite());
    clock.set(chrono::Utc::now());
    w.pass();
    assert_eq!(store.floor().unwrap(), 0, "nothing is 72 hours old");
    let written = w.cursor();
    // Half an hour on: not yet time for the next prune.
    clock.set(chrono::Utc::now() + chrono::TimeDelta::minutes(30));
    w.pass();
    assert_eq!(store.floor().unwrap(), 0);
    clock.set(chrono::Utc::now() + chrono::TimeDelta::hours(73));
    w.pass();
    assert_eq!(store.floor().unwrap(), written, "every entry pruned");
    assert!(store.changes_since(0, 10).unwrap().is_empty());
    // The follower was not behind the floor: it carries on from its cursor.
    assert_eq!(w.cursor(), written);
    assert!(body(&w, "feed.xml").unwrap().contains("article/kept"));
}
