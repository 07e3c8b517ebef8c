//! One store test suite, run against both backends: SQLite (a temporary file) and
//! PostgreSQL (the local server, 127.0.0.1:5432, user postgres, database test; each
//! test works in a schema of its own). A missing PostgreSQL fails these tests: start
//! it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`
//! or point SYNDIC_TEST_PG at another server.

use chrono::{TimeDelta, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use syndic::model::{Article, from_json_str};
use syndic::store::{PostgresStore, SqliteStore, Store};

/// A store under test, with what must live as long as it.
pub(crate) struct Backend {
    pub(crate) store: Box<dyn Store>,
    /// Runs raw SQL as another program would (a CMS writing the tables).
    pub(crate) raw: Box<dyn Fn(&str)>,
    /// Where another program connects (a file path, or a PostgreSQL URL).
    pub(crate) url: String,
    pub(crate) _cleanup: Box<dyn std::any::Any>,
}

pub(crate) fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    let raw_path = path.clone();
    let raw = move |sql: &str| {
        rusqlite::Connection::open(&raw_path)
            .unwrap()
            .execute_batch(sql)
            .unwrap()
    };
    Backend {
        store: Box::new(store),
        raw: Box::new(raw),
        url: path.display().to_string(),
        _cleanup: Box::new(dir),
    }
}

pub(crate) fn pg_base() -> String {
    std::env::var("SYNDIC_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

struct DropSchema(String);

impl Drop for DropSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&pg_base(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
        }
    }
}

pub(crate) fn postgres() -> Backend {
    postgres_with(syndic::store::Limits::default())
}

/// [`postgres`], opened within `limits`.
pub(crate) fn postgres_with(limits: syndic::store::Limits) -> Backend {
    static N: AtomicUsize = AtomicUsize::new(0);
    let schema = format!(
        "syndic_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = postgres::Client::connect(&pg_base(), postgres::NoTls).unwrap_or_else(|e| {
        panic!("PostgreSQL is required for the store tests and is not reachable at {} ({e}); start it with \
                `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`", pg_base())
    });
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    let url = format!("{}?options=-csearch_path%3D{schema}", pg_base());
    let syndic::store::StoreUrl::Postgres(pg) = url.parse().unwrap() else {
        unreachable!("a postgres:// URL")
    };
    let store = PostgresStore::open(&pg, limits).unwrap();
    let raw_url = url.clone();
    let raw = move |sql: &str| {
        postgres::Client::connect(&raw_url, postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .unwrap()
    };
    Backend {
        store: Box::new(store),
        raw: Box::new(raw),
        url,
        _cleanup: Box::new(DropSchema(schema)),
    }
}

/// A test per backend for each function named: `mod name { fn sqlite, fn
/// postgres }`, calling `name(&Backend)`. The calling module must have
/// `sqlite()` and `postgres()` in scope.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() { super::$name(&super::sqlite()) }
            #[test]
            fn postgres() { super::$name(&super::postgres()) }
        }
    )*};
}
pub(crate) use both_backends;

both_backends!(
    upsert_counts_inserts_updates_and_unchanged,
    delete_reports_whether_it_existed,
    change_log_is_ordered_and_resumes_from_a_cursor,
    articles_round_trip_with_tags_authors_and_image,
    drafts_and_embargoed_keep_their_status_and_dates,
    scan_returns_every_row_and_the_snapshot_cursor,
    scan_hands_rows_over_in_id_order_across_batches,
    writes_by_another_program_enter_the_change_log,
    invalid_rows_are_reported_not_fatal,
    departures_record_where_an_article_was,
    prune_deletes_old_entries_and_raises_the_floor,
    a_large_batch_upserts_as_row_by_row_writes_do,
    an_import_of_many_batches_leaves_each_id_at_its_last_record,
);

pub(crate) fn article(id: &str, title: &str) -> Article {
    let now = Utc::now().to_rfc3339();
    from_json_str(&format!(
        r#"{{"id":"{id}","url":"https://www.actu.example.ma/{id}.html","title":"{title}","published_at":"{now}",
            "section":"Maroc","tags":["États-Unis","Iran"],"authors":["S.A"]}}"#
    ))
    .unwrap()
}

fn upsert_counts_inserts_updates_and_unchanged(b: &Backend) {
    let s = &*b.store;
    let c = s
        .upsert(&[article("a", "Un"), article("b", "Deux")])
        .unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0));
    let same = s.articles(&["a"]).unwrap().remove(0);
    let c = s.upsert(&[same, article("b", "Deux, corrigé")]).unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (0, 1, 1));
    assert_eq!(s.count().unwrap(), 2);
    assert_eq!(s.articles(&["b"]).unwrap()[0].title, "Deux, corrigé");
    // One batch naming an id twice: the second record updates the first, or
    // is unchanged when identical (digests are looked up once per batch).
    let c = s
        .upsert(&[article("c", "Trois"), article("c", "Trois, bis")])
        .unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (1, 1, 0));
    assert_eq!(s.articles(&["c"]).unwrap()[0].title, "Trois, bis");
    let c = s
        .upsert(&[article("d", "Quatre"), article("d", "Quatre")])
        .unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (1, 0, 1));
}

fn delete_reports_whether_it_existed(b: &Backend) {
    let s = &*b.store;
    s.upsert(&[article("a", "Un")]).unwrap();
    assert!(s.delete("a").unwrap());
    assert!(!s.delete("a").unwrap());
    assert!(s.articles(&["a"]).unwrap().is_empty());
    assert_eq!(s.count().unwrap(), 0);
}

fn change_log_is_ordered_and_resumes_from_a_cursor(b: &Backend) {
    let s = &*b.store;
    s.upsert(&[article("a", "Un"), article("b", "Deux")])
        .unwrap();
    s.upsert(&[article("a", "Un, modifié")]).unwrap();
    s.delete("b").unwrap();
    let all = s.changes_since(0, 100).unwrap();
    let ids: Vec<&str> = all.iter().map(|c| c.article_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "a", "b"]);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(s.latest_seq().unwrap(), all[3].seq);
    let page = s.changes_since(0, 2).unwrap();
    assert_eq!(page.len(), 2);
    let rest = s.changes_since(page[1].seq, 100).unwrap();
    assert_eq!(rest, all[2..]);
    assert!(s.changes_since(all[3].seq, 100).unwrap().is_empty());
    // Re-sending an identical record writes nothing, so it logs nothing.
    let same = s.articles(&["a"]).unwrap().remove(0);
    s.upsert(&[same]).unwrap();
    assert_eq!(s.latest_seq().unwrap(), all[3].seq);
}

fn articles_round_trip_with_tags_authors_and_image(b: &Backend) {
    let s = &*b.store;
    let a = from_json_str(r#"{"id":"x","url":"https://www.actu.example.ma/x.html","title":"Rabat & Madrid : « accord »",
        "summary":"Résumé","content_html":"<p>Corps <b>gras</b> ]]></p>","authors":["S.A","A.M"],
        "section":"Économie","tags":["États-Unis","Etats-Unis","Nasser Bourita"],
        "published_at":"2019-10-24T09:40:00+01:00","updated_at":"2019-10-24T12:00:00+01:00","language":"ar",
        "image":{"url":"https://static.example.ma/i.png","width":1200,"height":675,"caption":"Légende"}}"#).unwrap();
    s.upsert(std::slice::from_ref(&a)).unwrap();
    let back = s.articles(&["x"]).unwrap().remove(0);
    assert_eq!(back, a);
    assert_eq!(back.tags, ["États-Unis", "Nasser Bourita"]);
    let (meta, bad) = s.meta(&["x", "missing"]).unwrap();
    assert!(bad.is_empty());
    assert_eq!(meta.len(), 1);
    assert_eq!(
        (meta[0].published_at, meta[0].updated_at),
        (a.published_at, a.updated_at)
    );
    assert_eq!(meta[0].authors, ["S.A", "A.M"]);
    let links = s.links(&["x"]).unwrap();
    assert_eq!(
        links[0].image_url.as_deref(),
        Some("https://static.example.ma/i.png")
    );
    assert_eq!(links[0].language.as_deref(), Some("ar"));
}

fn drafts_and_embargoed_keep_their_status_and_dates(b: &Backend) {
    let s = &*b.store;
    let mut draft = article("d", "Brouillon");
    draft.status = syndic::model::Status::Draft;
    let mut embargoed = article("e", "Sous embargo");
    embargoed.published_at += TimeDelta::hours(6);
    embargoed.updated_at = embargoed.published_at;
    s.upsert(&[draft, embargoed.clone()]).unwrap();
    let (meta, _) = s.meta(&["d", "e"]).unwrap();
    let d = meta.iter().find(|m| m.id == "d").unwrap();
    let e = meta.iter().find(|m| m.id == "e").unwrap();
    assert!(d.draft && !e.draft);
    assert_eq!(e.published_at, embargoed.published_at);
}

fn scan_returns_every_row_and_the_snapshot_cursor(b: &Backend) {
    let s = &*b.store;
    let batch: Vec<Article> = (0..120)
        .map(|i| article(&format!("a{i}"), "Titre"))
        .collect();
    s.upsert(&batch).unwrap();
    let mut seen = Vec::new();
    let cursor = s
        .scan_meta(&mut |m| seen.push(m.id), &mut |bad| {
            panic!("bad row {bad:?}")
        })
        .unwrap();
    assert_eq!(seen.len(), 120);
    assert_eq!(cursor, s.latest_seq().unwrap());
}

/// Rows are validated a batch at a time on other threads (1,024 rows); what
/// the scan hands over is still every row once, valid or not, in id order.
fn scan_hands_rows_over_in_id_order_across_batches(b: &Backend) {
    let s = &*b.store;
    // Written in an order that is not the ids' (rowids and pages differ).
    let mut ids: Vec<String> = (0..3_000)
        .map(|i| format!("a{:05}", (i * 7) % 3_000))
        .collect();
    s.upsert(
        &ids.iter()
            .map(|id| article(id, "Titre"))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for bad in ["a00000x", "a01500x", "a02999x"] {
        (b.raw)(&format!(
            "INSERT INTO articles (id, url, title, published_at, tags) \
             VALUES ('{bad}', 'not a url', 'Mauvais', '2026-11-29T10:00:00Z', '[]')"
        ));
        ids.push(bad.to_owned());
    }
    ids.sort();
    let seen = std::cell::RefCell::new(Vec::new());
    s.scan_meta(&mut |m| seen.borrow_mut().push(m.id), &mut |bad| {
        seen.borrow_mut().push(bad.id)
    })
    .unwrap();
    assert_eq!(seen.into_inner(), ids);
}

fn writes_by_another_program_enter_the_change_log(b: &Backend) {
    let s = &*b.store;
    let before = s.latest_seq().unwrap();
    (b.raw)(
        "INSERT INTO articles (id, url, title, published_at, tags) \
             VALUES ('cms-1', 'https://www.actu.example.ma/cms.html', 'Écrit par le CMS', '2026-11-29T10:00:00+01:00', '[\"Iran\"]')",
    );
    (b.raw)("UPDATE articles SET title = 'Titre corrigé' WHERE id = 'cms-1'");
    (b.raw)("DELETE FROM articles WHERE id = 'cms-1'");
    let changes = s.changes_since(before, 10).unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| c.article_id.as_str())
            .collect::<Vec<_>>(),
        ["cms-1"; 3]
    );
}

fn invalid_rows_are_reported_not_fatal(b: &Backend) {
    let s = &*b.store;
    s.upsert(&[article("good", "Bon")]).unwrap();
    (b.raw)(
        "INSERT INTO articles (id, url, title, published_at, tags) \
             VALUES ('bad', 'not a url', 'Mauvais', '2026-11-29T10:00:00Z', 'not json')",
    );
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    s.scan_meta(&mut |m| good.push(m.id), &mut |b| bad.push(b))
        .unwrap();
    assert_eq!(good, ["good"]);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].id, "bad");
    assert!(
        bad[0].errors.iter().any(|e| e.field == "tags"),
        "{:?}",
        bad[0].errors
    );
    // A full read validates everything: the bad URL is caught there too.
    assert!(s.articles(&["bad"]).unwrap().is_empty());
}

fn departures_record_where_an_article_was(b: &Backend) {
    let s = &*b.store;
    let before = Utc::now() - TimeDelta::minutes(1);
    s.upsert(&[article("a", "Un")]).unwrap();
    let published = s.articles(&["a"]).unwrap()[0].published_at;
    // The same first publication: `article` stamps the current time, and a
    // second boundary crossed between two calls would be a departure of its own.
    let mut edited = article("a", "Un, corrigé");
    edited.published_at = published;
    s.upsert(&[edited.clone()]).unwrap();
    let mut moved = edited;
    moved.tags = vec!["Sport".into()];
    s.upsert(&[moved]).unwrap();
    s.delete("a").unwrap();
    let log = s.changes_since(0, 100).unwrap();
    let left: Vec<bool> = log.iter().map(|c| c.left.is_some()).collect();
    // Insert and title edit: nothing left; new tags and delete: where it was.
    assert_eq!(left, [false, false, true, true]);
    let retagged = log[2].left.as_ref().unwrap();
    assert_eq!(retagged.tags, ["États-Unis", "Iran"]);
    assert_eq!(retagged.section.as_deref(), Some("Maroc"));
    assert_eq!(retagged.authors, ["S.A"]);
    assert_eq!(retagged.published_at, Some(published));
    assert_eq!(log[3].left.as_ref().unwrap().tags, ["Sport"]);
    assert!(
        log.iter()
            .all(|c| c.at > before && c.at < Utc::now() + TimeDelta::minutes(1))
    );
    let departures = s.departures(log[3].seq).unwrap();
    assert_eq!(departures, log[2..]);
    assert_eq!(s.departures(log[2].seq).unwrap(), log[2..3]);
}

fn prune_deletes_old_entries_and_raises_the_floor(b: &Backend) {
    let s = &*b.store;
    assert_eq!(s.floor().unwrap(), 0);
    s.upsert(&[article("a", "Un"), article("b", "Deux")])
        .unwrap();
    s.delete("b").unwrap();
    let last = s.latest_seq().unwrap();
    // Nothing is older than an hour ago.
    assert_eq!(s.prune(Utc::now() - TimeDelta::hours(1)).unwrap(), 0);
    assert_eq!(s.floor().unwrap(), 0);
    assert_eq!(s.prune(Utc::now() + TimeDelta::minutes(1)).unwrap(), 3);
    assert_eq!(s.floor().unwrap(), last);
    assert!(s.changes_since(0, 100).unwrap().is_empty());
    assert!(s.departures(last).unwrap().is_empty());
    // An emptied log keeps its position: cursors never go back.
    assert_eq!(s.latest_seq().unwrap(), last);
    let cursor = s.scan_meta(&mut |_| {}, &mut |_| {}).unwrap();
    assert_eq!(cursor, last);
    s.upsert(&[article("c", "Trois")]).unwrap();
    let next = s.changes_since(cursor, 100).unwrap();
    assert_eq!(next.len(), 1);
    assert!(next[0].seq > last);
    assert_eq!(s.floor().unwrap(), last, "the floor only moves on a prune");
}

/// A batch of an import's size (PostgreSQL stages it with COPY and moves it in
/// one statement): counts, stored values, one log entry per row written, none
/// for rows unchanged, the last record of an id sent twice kept, departures kept.
fn a_large_batch_upserts_as_row_by_row_writes_do(b: &Backend) {
    let s = &*b.store;
    let first: Vec<Article> = (0..300)
        .map(|i| article(&format!("a{i:03}"), "Un"))
        .collect();
    let c = s.upsert(&first).unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (300, 0, 0));
    let after_first = s.latest_seq().unwrap();
    assert_eq!(s.changes_since(0, 1000).unwrap().len(), 300);
    // 100 unchanged, 100 retitled, 50 moved to another section, 50 new; one
    // new id sent twice (the second wins), one retitled id sent twice.
    // (Made from the first records: `article` dates them now.)
    let like = |i: usize, id: String, title: &str| {
        let mut a = first[i].clone();
        (a.id, a.title) = (id, title.into());
        a
    };
    let mut second: Vec<Article> = first[..100].to_vec();
    second.extend((100..200).map(|i| like(i, format!("a{i:03}"), "Un, corrigé")));
    second.extend((200..250).map(|i| {
        let mut a = first[i].clone();
        a.section = Some("Sport".into());
        a
    }));
    second.extend((300..350).map(|i| like(0, format!("a{i:03}"), "Nouveau")));
    second.push(like(0, "a349".into(), "Nouveau, bis"));
    second.push(like(150, "a150".into(), "Un, corrigé deux fois"));
    let c = s.upsert(&second).unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (50, 152, 100));
    assert_eq!(s.count().unwrap(), 350);
    let log = s.changes_since(after_first, 1000).unwrap();
    let ids: std::collections::BTreeSet<&str> = log.iter().map(|c| c.article_id.as_str()).collect();
    assert_eq!(
        ids.len(),
        200,
        "every row written is logged, no unchanged one"
    );
    assert!(!ids.contains("a000") && ids.contains("a150") && ids.contains("a349"));
    let moved: Vec<_> = log.iter().filter(|c| c.left.is_some()).collect();
    assert_eq!(moved.len(), 50, "departures of the moved articles");
    assert_eq!(
        moved[0].left.as_ref().unwrap().section.as_deref(),
        Some("Maroc")
    );
    let read = |id: &str| s.articles(&[id]).unwrap().remove(0);
    assert_eq!(read("a349").title, "Nouveau, bis");
    assert_eq!(read("a150").title, "Un, corrigé deux fois");
    assert_eq!(read("a220").section.as_deref(), Some("Sport"));
    assert_eq!(read("a000"), first[0]);
    assert_eq!(read("a020").published_at, first[20].published_at);
    // Sent again whole: only the ids sent twice differ from what is stored
    // (their first record, then their second, as row by row).
    let c = s.upsert(&second).unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (0, 4, 298));
    assert_eq!(read("a150").title, "Un, corrigé deux fois");
}

/// An import spans batches and, on PostgreSQL, writers: an id recurring
/// through the input, in batch after batch, ends at its last record.
fn an_import_of_many_batches_leaves_each_id_at_its_last_record(b: &Backend) {
    let s = &*b.store;
    const IDS: usize = 1_500;
    const LINES: usize = 3 * syndic::import::BATCH;
    let mut input = String::new();
    for n in 0..LINES {
        let a = article(&format!("r{:04}", n % IDS), &format!("version {n}"));
        input.push_str(&serde_json::to_string(&a).unwrap());
        input.push('\n');
    }
    let before = s.latest_seq().unwrap();
    let mut report = Vec::new();
    let summary = syndic::import::import(
        s,
        &mut input.as_bytes(),
        "many.jsonl",
        syndic::import::Options::default(),
        &mut report,
        &mut |_| {},
    )
    .unwrap();
    assert!(report.is_empty(), "{}", String::from_utf8_lossy(&report));
    let c = summary.counts;
    assert_eq!((c.inserted, c.updated, c.unchanged), (IDS, LINES - IDS, 0));
    assert_eq!(s.count().unwrap(), IDS as u64);
    for id in [0, 1, 777, IDS - 1] {
        let last = LINES - IDS + id;
        let stored = s.articles(&[&format!("r{id:04}")]).unwrap().remove(0);
        assert_eq!(stored.title, format!("version {last}"));
    }
    // Every id logged; records of one id in one batch may be logged as one
    // write (PostgreSQL writes the last of them).
    let logged = s.changes_since(before, 100_000).unwrap();
    let ids: std::collections::BTreeSet<&str> =
        logged.iter().map(|c| c.article_id.as_str()).collect();
    assert_eq!(ids.len(), IDS);
    assert!(logged.len() <= LINES);
}

/// PostgreSQL's TRUNCATE fires no row trigger: its statement trigger logs a
/// marker and raises the floor to it, so every follower reloads.
#[test]
fn postgres_truncate_raises_the_floor_to_a_marker() {
    let b = postgres();
    let s = &*b.store;
    s.upsert(&[article("a", "Un"), article("b", "Deux")])
        .unwrap();
    let cursor = s.latest_seq().unwrap();
    (b.raw)("TRUNCATE articles");
    let floor = s.floor().unwrap();
    assert!(
        floor > cursor,
        "floor {floor} must pass the cursor {cursor}"
    );
    assert_eq!(s.latest_seq().unwrap(), floor);
    assert_eq!(s.count().unwrap(), 0);
}

/// Processes creating one new SQLite file at once: the first migrates it under
/// the write lock, the others wait for it and find the work done.
#[test]
fn sqlite_opened_by_many_at_once_is_migrated_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let path = path.to_str().unwrap();
    let start = std::sync::Barrier::new(8);
    std::thread::scope(|scope| {
        let opened: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    SqliteStore::open(path).map(|_| ())
                })
            })
            .collect();
        for o in opened {
            o.join().unwrap().expect("every opener succeeds");
        }
    });
    let c = rusqlite::Connection::open(path).unwrap();
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4, "every migration applied once");
    let floors: i64 = c
        .query_row("SELECT count(*) FROM change_log_floor", [], |r| r.get(0))
        .unwrap();
    assert_eq!(floors, 1, "migration 2 ran once");
    let switches: i64 = c
        .query_row("SELECT count(*) FROM indexnow_switch", [], |r| r.get(0))
        .unwrap();
    assert_eq!(switches, 1, "migration 4 ran once");
}
