//! SQLite's write-ahead log under a bulk write: the store's own thread folds
//! it into the database while the writer goes on (the writer itself only
//! past 128 MB of log), and `settle` leaves it empty.

use std::path::Path;
use std::time::{Duration, Instant};
use syndic::model::{Article, from_json_str};
use syndic::store::{SqliteStore, Store};

fn long_article(n: usize, body: &str) -> Article {
    from_json_str(&format!(
        r#"{{"id":"long-{n}","url":"https://www.actu.example.ma/long-{n}.html","title":"Article {n}",
            "published_at":"2026-11-29T10:00:00Z","section":"Maroc","content_html":"{body}"}}"#
    ))
    .unwrap()
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn the_log_is_folded_into_the_database_by_the_stores_thread_and_emptied_by_settle() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let wal = dir.path().join("store.db-wal");
    let store = SqliteStore::open(db.to_str().unwrap()).unwrap();
    // 600 articles of 40 KB: 24 MB of log, past the 16 MB from which the thread
    // checkpoints, far below the 128 MB from which the writer would.
    let body = "<p>Le Maroc et les États-Unis renforcent leur coopération.</p>".repeat(640);
    for batch in 0..12 {
        let articles: Vec<Article> = (0..50)
            .map(|i| long_article(batch * 50 + i, &body))
            .collect();
        store.upsert(&articles).unwrap();
    }
    // Without the thread the database file stays at its first page until
    // settle. With it, at least the first 16 MB of log reach it (what the log
    // holds after that checkpoint may stay below the threshold: the writer
    // then starts the log over, and under 16 MB nothing is asked).
    let deadline = Instant::now() + Duration::from_secs(20);
    while size(&db) < 8 << 20 {
        assert!(
            Instant::now() < deadline,
            "no checkpoint: database {} bytes, log {} bytes",
            size(&db),
            size(&wal)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    store.settle().unwrap();
    assert_eq!(size(&wal), 0, "settle truncates the log");
    assert!(size(&db) >= 20 << 20, "every row is in the database file");
    assert_eq!(store.count().unwrap(), 600);
    let started = Instant::now();
    drop(store);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closing waits for the thread only for a checkpoint under way"
    );
}
