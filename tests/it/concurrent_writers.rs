//! Concurrent writers on one SQLite store (issue 11): several `syndic import`
//! processes, API writes to a running `serve`, and a foreign program holding
//! a write transaction for seconds. Writers wait for the lock (bounded by
//! `[store] lock_timeout_seconds`) instead of failing, and every record ends up
//! stored and served.

use crate::cluster::record;
use crate::crash::{KillOnDrop, Site, exchange};
use std::time::{Duration, Instant};

/// `<loc>`s across the month sitemaps the index lists.
fn sitemap_urls(port: u16) -> usize {
    let locs = |xml: &str| -> Vec<String> {
        roxmltree::Document::parse(xml)
            .map(|d| {
                d.descendants()
                    .filter(|n| n.has_tag_name("loc"))
                    .filter_map(|n| n.text().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let Some((200, index)) = exchange(port, "GET", "/sitemap.xml", "") else {
        return 0;
    };
    locs(&index)
        .iter()
        .filter_map(|m| {
            exchange(
                port,
                "GET",
                m.trim_start_matches("https://feeds.actu.example.ma"),
                "",
            )
        })
        .map(|(_, body)| locs(&body).len())
        .sum()
}

#[test]
fn imports_api_writes_and_a_foreign_lock_holder_all_get_through() {
    let site = Site::new();
    let _serve = KillOnDrop(site.serve());
    let (imports, per_file, puts) = (3, 2_000, 40);
    let files: Vec<_> = (0..imports)
        .map(|k| {
            let lines: String = (0..per_file)
                .map(|i| record(&format!("imp{k}-{i}"), "Titre", &["Iran"]) + "\n")
                .collect();
            let path = site.dir.path().join(format!("import-{k}.jsonl"));
            std::fs::write(&path, lines).unwrap();
            path
        })
        .collect();

    // A foreign program holds the write lock for 3 s while everyone writes.
    let db = site.dir.path().join("db");
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        std::thread::sleep(Duration::from_secs(3));
        conn.execute_batch("COMMIT").unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            site.command(&["import", f.to_str().unwrap()])
                .spawn()
                .unwrap()
        })
        .collect();
    let port = site.port;
    let api = std::thread::spawn(move || {
        (0..puts)
            .map(|i| {
                let id = format!("api-{i}");
                let body = record(&id, "Par l’API", &["Maroc"]);
                exchange(port, "PUT", &format!("/api/articles/{id}"), &body).map(|r| r.0)
            })
            .collect::<Vec<_>>()
    });
    for mut child in children {
        assert!(
            child.wait().unwrap().success(),
            "an import failed while others wrote"
        );
    }
    let statuses = api.join().unwrap();
    assert!(
        statuses.iter().all(|s| *s == Some(201)),
        "API writes refused while the store was busy: {statuses:?}"
    );
    holder.join().unwrap();

    let total = imports * per_file + puts;
    let stored: i64 = site
        .sql()
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as usize, total);
    let started = Instant::now();
    while sitemap_urls(port) != total {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not every record was served: {} of {total}",
            sitemap_urls(port)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_write_past_the_lock_timeout_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store =
        syndic::store::SqliteStore::open_with(path.to_str().unwrap(), Duration::from_secs(1))
            .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let article = syndic::model::from_json_str(&record("x", "Titre", &[])).unwrap();
    let started = Instant::now();
    let e = syndic::store::Store::upsert(&store, &[article]).unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let text = e.to_string();
    assert!(
        matches!(e, syndic::store::StoreError::Locked { .. }),
        "{text}"
    );
    assert!(
        text.contains("lock_timeout_seconds") && text.contains("nothing was written"),
        "{text}"
    );
    conn.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn on_postgresql_a_write_blocked_by_a_row_lock_is_refused_and_not_applied() {
    let backend = crate::store_suite::postgres_with(syndic::store::Limits {
        lock_timeout: Duration::from_secs(1),
        ..Default::default()
    });
    let first = syndic::model::from_json_str(&record("locked", "Avant", &[])).unwrap();
    backend.store.upsert(&[first]).unwrap();
    // Another transaction holds the row (as a CMS editing it would) for 4 s.
    let url = backend.url.clone();
    let holder = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut tx = c.transaction().unwrap();
        tx.execute("SELECT 1 FROM articles WHERE id = 'locked' FOR UPDATE", &[])
            .unwrap();
        std::thread::sleep(Duration::from_secs(4));
        tx.commit().unwrap();
    });
    std::thread::sleep(Duration::from_millis(500));
    let second = syndic::model::from_json_str(&record("locked", "Après", &[])).unwrap();
    let started = Instant::now();
    let e = backend.store.upsert(&[second]).unwrap_err();
    assert!(matches!(e, syndic::store::StoreError::Locked { .. }), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    holder.join().unwrap();
    // Refused means not applied: the stored title is still the first one.
    let stored = backend.store.articles(&["locked"]).unwrap();
    assert_eq!(stored[0].title, "Avant");
}
