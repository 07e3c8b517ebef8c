//! The change log under concurrent writers, as replicas follow it: several
//! imports (PostgreSQL: new ids copied into `articles`, stored ones staged and
//! upserted), a foreign program's multi-statement transactions, and a follower
//! reading from its cursor meanwhile, as a watch loop does. Entries must become
//! visible in seq order (a follower whose cursor passed a seq never finds a
//! lower one committed later), each transaction's entries contiguous; and on
//! PostgreSQL a bulk import wakes the listeners.

use crate::store_suite::{Backend, article, both_backends, postgres, sqlite};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use syndic::model::Article;
use syndic::store::Store;

const WRITERS: usize = 3;
const BATCHES: usize = 4;
const BATCH: usize = 600;
const RAW_ROUNDS: usize = 10;
const RAW_ROWS: usize = 20;

/// A batch of new records `t{t}k{k}-NNN`, in section `section`.
fn batch(template: &Article, t: usize, k: usize, section: &str) -> Vec<Article> {
    (0..BATCH)
        .map(|j| {
            let mut a = template.clone();
            a.id = format!("t{t}k{k}-{j:03}");
            a.url = format!("https://www.actu.example.ma/{}.html", a.id);
            a.section = Some(section.into());
            a
        })
        .collect()
}

/// A foreign program's transaction of two statements: `RAW_ROWS` rows
/// inserted, then all moved to another section (`2 × RAW_ROWS` entries).
fn raw_round(k: usize) -> String {
    let rows: Vec<String> = (0..RAW_ROWS)
        .map(|j| {
            format!(
                "('r{k}-{j:02}', 'https://x.example/r{k}-{j:02}', 'Brut', '2026-11-01T08:00:00Z', 'Maroc')"
            )
        })
        .collect();
    format!(
        "BEGIN; INSERT INTO articles (id, url, title, published_at, section) VALUES {}; \
         UPDATE articles SET section = 'Sport' WHERE id LIKE 'r{k}-%'; COMMIT",
        rows.join(", ")
    )
}

/// Runs SQL on its own connection, as another program would.
fn raw_runner(b: &Backend) -> Box<dyn Fn(&str) + Send + Sync> {
    let url = b.url.clone();
    if url.starts_with("postgres://") {
        return Box::new(move |sql| {
            postgres::Client::connect(&url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap()
        });
    }
    Box::new(move |sql| {
        let c = rusqlite::Connection::open(&url).unwrap();
        c.busy_timeout(Duration::from_secs(30)).unwrap();
        c.execute_batch(&sql.replace("BEGIN;", "BEGIN IMMEDIATE;"))
            .unwrap()
    })
}

/// Reads the log from its cursor until told to stop, then drains it.
fn follow(store: &dyn Store, stop: &AtomicBool) -> Vec<(u64, String)> {
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let done = stop.load(Ordering::SeqCst);
        let changes = store.changes_since(cursor, 500).unwrap();
        if changes.is_empty() && done {
            return seen;
        }
        for c in changes {
            assert!(c.seq > cursor, "seq {} after cursor {cursor}", c.seq);
            cursor = c.seq;
            seen.push((c.seq, c.article_id));
        }
    }
}

/// The transaction tag of an entry: the id before its `-`.
fn tag(id: &str) -> &str {
    id.split('-').next().unwrap()
}

fn concurrent_writers_log_in_commit_order(b: &Backend) {
    let store: &dyn Store = &*b.store;
    let template = article("x", "Concurrent");
    let raw = raw_runner(b);
    let stop = AtomicBool::new(false);
    let start = store.latest_seq().unwrap();
    assert_eq!(start, 0, "a fresh store");
    let followed = std::thread::scope(|s| {
        let follower = s.spawn(|| follow(store, &stop));
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let template = &template;
                s.spawn(move || {
                    for k in 0..BATCHES {
                        let counts = store.upsert(&batch(template, t, k, "Maroc")).unwrap();
                        assert_eq!(counts.inserted, BATCH);
                        let counts = store.upsert(&batch(template, t, k, "Sport")).unwrap();
                        assert_eq!(counts.updated, BATCH);
                    }
                })
            })
            .collect();
        let raw = &raw;
        let foreign = s.spawn(move || (0..RAW_ROUNDS).for_each(|k| raw(&raw_round(k))));
        writers.into_iter().for_each(|w| w.join().unwrap());
        foreign.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        follower.join().unwrap()
    });
    let log: Vec<(u64, String)> = store
        .changes_since(0, usize::MAX >> 1)
        .unwrap()
        .into_iter()
        .map(|c| (c.seq, c.article_id))
        .collect();
    let expected = WRITERS * BATCHES * 2 * BATCH + RAW_ROUNDS * 2 * RAW_ROWS;
    assert_eq!(log.len(), expected, "one entry per row written");
    assert_eq!(followed.len(), log.len(), "the follower missed entries");
    assert!(followed == log, "the follower saw the log as it is");
    // Consecutive entries of one tag: whole transactions (a writer's two
    // transactions of one tag may follow each other).
    let mut runs: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut previous = "";
    for (_, id) in &log {
        let t = tag(id);
        if t != previous {
            runs.entry(t).or_default().push(0);
            previous = t;
        }
        *runs.get_mut(t).unwrap().last_mut().unwrap() += 1;
    }
    for (t, lengths) in &runs {
        let whole = if t.starts_with('r') {
            2 * RAW_ROWS
        } else {
            BATCH
        };
        assert!(
            lengths.iter().all(|n| n % whole == 0),
            "transactions of {t} interleaved with others: runs of {lengths:?}"
        );
    }
    assert!(runs.len() >= WRITERS * BATCHES + RAW_ROUNDS);
}

both_backends!(concurrent_writers_log_in_commit_order);

/// Waits until `calls` reaches `n`, at most 20 s.
fn wait_for(calls: &AtomicUsize, n: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if calls.load(Ordering::SeqCst) >= n {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A bulk import (one COPY statement, one statement trigger) and a foreign
/// program's multi-row statement each wake a listening replica.
#[test]
fn postgres_bulk_writes_notify_listeners() {
    let b = postgres();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let stopped = Arc::new(Mutex::new(false));
    let stop = Arc::clone(&stopped);
    b.store.listen(Box::new(move || {
        seen.fetch_add(1, Ordering::SeqCst);
        !*stop.lock().unwrap()
    }));
    assert!(
        wait_for(&calls, 1),
        "the listener's first call, once LISTEN is issued"
    );
    let before = calls.load(Ordering::SeqCst);
    let template = article("x", "Notify");
    b.store.upsert(&batch(&template, 0, 0, "Maroc")).unwrap();
    assert!(wait_for(&calls, before + 1), "a bulk import woke no one");
    let before = calls.load(Ordering::SeqCst);
    (b.raw)("UPDATE articles SET section = 'Sport' WHERE id LIKE 't0k0-%'");
    assert!(
        wait_for(&calls, before + 1),
        "a multi-row UPDATE woke no one"
    );
    *stopped.lock().unwrap() = true;
}

/// An import whose new ids another writer inserts meanwhile (its `COPY` into
/// `articles` meets the other's row when that commits) upserts the whole batch
/// instead: nothing lost, nothing refused, the last writer's record stored,
/// one entry per row it wrote, after the other writer's.
#[test]
fn postgres_import_racing_an_insert_of_the_same_id_upserts() {
    let b = postgres();
    let mut foreign = postgres::Client::connect(&b.url, postgres::NoTls).unwrap();
    foreign
        .batch_execute(
            "BEGIN; INSERT INTO articles (id, url, title, published_at) \
             VALUES ('t9k9-000', 'https://x.example/t9k9-000', 'Étranger', now())",
        )
        .unwrap();
    let template = article("x", "Importé");
    let records = batch(&template, 9, 9, "Maroc");
    let store = &*b.store;
    let counts = std::thread::scope(|s| {
        let import = s.spawn(|| store.upsert(&records));
        // The import has read the stored digests (none) and waits on the row.
        std::thread::sleep(Duration::from_millis(500));
        foreign.batch_execute("COMMIT").unwrap();
        import.join().unwrap()
    })
    .unwrap();
    assert_eq!(counts.inserted, BATCH, "all new when the import read them");
    assert_eq!(store.count().unwrap(), BATCH as u64);
    let stored = store.articles(&["t9k9-000"]).unwrap();
    assert_eq!(stored[0].title, "Importé", "the import committed last");
    let log: Vec<String> = store
        .changes_since(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|c| c.article_id)
        .collect();
    assert_eq!(log[0], "t9k9-000", "the foreign insert, first");
    let mut imported = log[1..].to_vec();
    imported.sort();
    let ids: Vec<String> = records.iter().map(|a| a.id.clone()).collect();
    assert_eq!(imported, ids, "one entry per row the import wrote");
}
