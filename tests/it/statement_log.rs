//! The change log of PostgreSQL is written once per statement (migration 0005:
//! statement triggers reading transition tables) instead of once per row
//! (migrations 1–3). These tests hold it to what the row trigger wrote: the
//! same entries (ids, ops, departures) in the same order (but a multi-row
//! rename's departures, logged first), for multi-row
//! statements made with plain SQL and for bulk imports, on a fresh store and
//! on one upgraded from the row trigger; SQLite, still logging per row, is
//! held to the same expectations.

use crate::store_suite::{Backend, article, both_backends, pg_base, postgres, sqlite};
use std::sync::atomic::{AtomicUsize, Ordering};
use syndic::model::Article;
use syndic::store::Store;

/// A change-log entry as stored: article id, op, old section, old tags, and
/// whether the old authors and first publication were kept.
type Entry = (String, String, Option<String>, Option<String>, bool);

const LOG: &str = "SELECT article_id, op, old_section, old_tags, \
     old_authors IS NOT NULL AND old_published_at IS NOT NULL FROM change_log \
     WHERE seq > $1 ORDER BY seq";

fn pg_log(url: &str, after: i64) -> Vec<Entry> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query(LOG, &[&after])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

/// The log after seq `after`, read with SQL.
fn log(b: &Backend, after: i64) -> Vec<Entry> {
    if b.url.starts_with("postgres://") {
        return pg_log(&b.url, after);
    }
    let c = rusqlite::Connection::open(&b.url).unwrap();
    let mut stmt = c.prepare(&LOG.replace("$1", "?1")).unwrap();
    stmt.query_map([after], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn latest(b: &Backend) -> i64 {
    b.store.latest_seq().unwrap() as i64
}

/// Rows as a CMS writes them, one statement for all.
const SEED: &str = "INSERT INTO articles (id, url, title, published_at, section, tags) VALUES \
     ('a01', 'https://x.example/1', 'Un', '2026-11-01T08:00:00Z', 'Maroc', '[\"Iran\"]'), \
     ('a02', 'https://x.example/2', 'Deux', '2026-11-01T08:00:00Z', 'Maroc', '[]'), \
     ('a03', 'https://x.example/3', 'Trois', '2026-11-01T08:00:00Z', 'Monde', '[]'), \
     ('a04', 'https://x.example/4', 'Quatre', '2026-11-01T08:00:00Z', NULL, '[]'), \
     ('a05', 'https://x.example/5', 'Cinq', '2026-11-01T08:00:00Z', 'Maroc', '[]'), \
     ('a06', 'https://x.example/6', 'Six', '2026-11-01T08:00:00Z', 'Sport', '[]'), \
     ('a07', 'https://x.example/7', 'Sept', '2026-11-01T08:00:00Z', 'Maroc', '[]'), \
     ('a08', 'https://x.example/8', 'Huit', '2026-11-01T08:00:00Z', 'Maroc', '[]')";

/// Multi-row statements and single-row ones, each a transaction of its own.
const STATEMENTS: &[&str] = &[
    "UPDATE articles SET title = 'Retitré' WHERE id IN ('a01', 'a02')",
    "UPDATE articles SET section = 'Sport' WHERE id IN ('a03', 'a04')",
    "UPDATE articles SET id = id || 'r' WHERE id IN ('a05', 'a06')",
    "UPDATE articles SET id = 'z07', tags = '[\"Sport\"]' WHERE id = 'a07'",
    "UPDATE articles SET title = 'Rien' WHERE id = 'absent'",
    "UPDATE articles SET status = 'draft', title = 'Brouillon' WHERE id IN ('a01', 'a02')",
    "DELETE FROM articles WHERE id IN ('a03', 'a05r')",
    "DELETE FROM articles WHERE id = 'absent'",
    "INSERT INTO articles (id, url, title, published_at) \
     VALUES ('a02', 'https://x.example/2', 'Deux bis', '2026-11-02T08:00:00Z') \
     ON CONFLICT (id) DO UPDATE SET title = excluded.title, published_at = excluded.published_at",
    "DELETE FROM articles WHERE id = 'a04'",
];

/// What the row trigger logged for [`SEED`] then [`STATEMENTS`] (with a
/// multi-row rename's departures first: the statement trigger). Each
/// statement's rows are visited in id order by both databases: SQLite walks
/// the id index; PostgreSQL the heap, where an updated row moves to the end
/// (so no statement here updates a row after one updated later than it).
fn expected(departures_first: bool) -> Vec<Entry> {
    let e = |id: &str, op: &str, section: Option<&str>, tags: Option<&str>| {
        let left = tags.is_some();
        (
            id.into(),
            op.into(),
            section.map(Into::into),
            tags.map(Into::into),
            left,
        )
    };
    let mut out: Vec<Entry> = (1..=8)
        .map(|i| e(&format!("a0{i}"), "upsert", None, None))
        .collect();
    out.extend([
        e("a01", "upsert", None, None),
        e("a02", "upsert", None, None),
        e("a03", "upsert", Some("Monde"), Some("[]")),
        e("a04", "upsert", None, Some("[]")),
    ]);
    // One statement renaming two rows: the row trigger logged each rename's
    // departure before its upsert; the statement trigger, pairing old and new
    // rows by id, logs the statement's departures first.
    let (a05, a06) = (
        e("a05", "delete", Some("Maroc"), Some("[]")),
        e("a06", "delete", Some("Sport"), Some("[]")),
    );
    let (a05r, a06r) = (
        e("a05r", "upsert", None, None),
        e("a06r", "upsert", None, None),
    );
    match departures_first {
        true => out.extend([a05, a06, a05r, a06r]),
        false => out.extend([a05, a05r, a06, a06r]),
    }
    out.extend([
        e("a07", "delete", Some("Maroc"), Some("[]")),
        e("z07", "upsert", None, None),
        e("a01", "upsert", Some("Maroc"), Some("[\"Iran\"]")),
        e("a02", "upsert", Some("Maroc"), Some("[]")),
        e("a03", "delete", Some("Sport"), Some("[]")),
        e("a05r", "delete", Some("Maroc"), Some("[]")),
        e("a02", "upsert", Some("Maroc"), Some("[]")),
        e("a04", "delete", Some("Sport"), Some("[]")),
    ]);
    out
}

fn run_statements(raw: &dyn Fn(&str)) {
    raw(SEED);
    for s in STATEMENTS {
        raw(s);
    }
}

/// Plain SQL, as psql or a CMS writes: every row written is logged, one entry
/// per row (two for a rename), in the order the rows were written.
fn plain_sql_statements_log_each_row(b: &Backend) {
    let start = latest(b);
    run_statements(&*b.raw);
    let statement_triggers = b.url.starts_with("postgres://");
    assert_eq!(log(b, start), expected(statement_triggers));
}

/// The migrations of the versions that logged with the row trigger.
const OLD_MIGRATIONS: [&str; 4] = [
    include_str!("../../src/store/sql/postgres_0001_articles.sql"),
    include_str!("../../src/store/sql/postgres_0002_change_times.sql"),
    include_str!("../../src/store/sql/postgres_0003_websub.sql"),
    include_str!("../../src/store/sql/postgres_0004_indexnow.sql"),
];

/// A schema of its own on the test server, dropped at the end.
struct Schema {
    name: String,
    url: String,
}

impl Schema {
    fn new(tag: &str) -> Schema {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let name = format!("syndic_test_{tag}_{}_{n}", std::process::id());
        let url = format!("{}?options=-csearch_path%3D{name}", pg_base());
        Schema::admin()
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        Schema { name, url }
    }

    fn admin() -> postgres::Client {
        postgres::Client::connect(&pg_base(), postgres::NoTls).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required and is not reachable at {} ({e}); start it with \
                    `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
                pg_base()
            )
        })
    }

    /// Runs `sql` as another program would.
    fn raw(&self, sql: &str) {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    }

    /// Applies the first `n` migrations as an older syndic did (3: the row
    /// trigger alone; 4: with IndexNow's queue).
    fn migrated_to(self, n: usize) -> Schema {
        for script in &OLD_MIGRATIONS[..n] {
            self.raw(script);
        }
        let versions: Vec<String> = (1..=n).map(|v| format!("({v})")).collect();
        self.raw(&format!(
            "CREATE TABLE syndic_schema (version INTEGER NOT NULL); \
             INSERT INTO syndic_schema VALUES {}",
            versions.join(", ")
        ));
        self
    }

    fn open(&self) -> syndic::store::PostgresStore {
        let syndic::store::StoreUrl::Postgres(pg) = self.url.parse().unwrap() else {
            unreachable!("a postgres:// URL")
        };
        syndic::store::PostgresStore::open(&pg, syndic::store::Limits::default()).unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = Schema::admin().batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
    }
}

/// The row trigger itself (migrations 1–3, as applied by older versions) and
/// the statement triggers log the same entries for the same statements (a
/// multi-row rename's departures first).
#[test]
fn postgres_statement_triggers_log_as_the_row_trigger_did() {
    let rows = Schema::new("rowtrigger").migrated_to(3);
    run_statements(&|sql| rows.raw(sql));
    let by_row = pg_log(&rows.url, 0);
    assert_eq!(by_row, expected(false), "the row trigger, for reference");
    let fresh = postgres();
    let start = latest(&fresh);
    run_statements(&*fresh.raw);
    assert_eq!(log(&fresh, start), expected(true));
}

/// IndexNow's queue (migration 0007: statement triggers) is filled as the row
/// trigger of 0004 filled it: the same URLs, each due at the first
/// publication of the last row that queued it.
#[test]
fn postgres_statement_triggers_queue_indexnow_as_the_row_trigger_did() {
    const ON: &str = "UPDATE indexnow_switch SET enabled = true";
    const QUEUE: &str = "SELECT url, due FROM indexnow_queue ORDER BY url";
    let queue = |url: &str| -> Vec<(String, i64)> {
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let rows = c.query(QUEUE, &[]).unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    let rows = Schema::new("indexnow").migrated_to(4);
    rows.raw(ON);
    run_statements(&|sql| rows.raw(sql));
    let by_row = queue(&rows.url);
    assert!(by_row.len() >= 8, "the row trigger queued {by_row:?}");
    let fresh = postgres();
    (fresh.raw)(ON);
    run_statements(&*fresh.raw);
    assert_eq!(queue(&fresh.url), by_row);
}

/// A store that ran migrations 1–3 or 1–4 (rows and log entries written by
/// the row trigger) is upgraded in place: its old entries are kept, and it
/// then logs what a fresh store logs, with the same triggers.
#[test]
fn postgres_upgraded_store_logs_as_a_fresh_one() {
    upgraded_from(3);
    upgraded_from(4);
}

fn upgraded_from(version: usize) {
    let old = Schema::new("upgraded").migrated_to(version);
    old.raw(SEED);
    let before = pg_log(&old.url, 0);
    let store = old.open();
    assert_eq!(
        pg_log(&old.url, 0),
        before,
        "entries written before are kept"
    );
    let start = store.latest_seq().unwrap() as i64;
    for s in STATEMENTS {
        old.raw(s);
    }
    let fresh = postgres();
    let fresh_start = latest(&fresh);
    run_statements(&*fresh.raw);
    assert_eq!(pg_log(&old.url, start), log(&fresh, fresh_start)[8..]);
    // Unqualified: each connection's search_path is its own schema.
    let triggers = |url: &str| -> Vec<String> {
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        c.query(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t \
             WHERE tgrelid = 'articles'::regclass AND NOT tgisinternal ORDER BY tgname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| {
            let def: String = r.get(0);
            // The table is named with its schema: keep what follows it.
            let (head, tail) = def.split_once(" ON ").unwrap();
            format!("{head} ON {}", tail.split_once('.').unwrap().1)
        })
        .collect()
    };
    let old_triggers = triggers(&old.url);
    assert_eq!(old_triggers, triggers(&fresh.url));
    assert_eq!(
        old_triggers.len(),
        7,
        "log insert, update, delete, truncate; IndexNow insert, update, delete"
    );
}

/// Records as an import sends them: ids `b0000`…, in a scrambled order.
fn record(template: &Article, i: usize, title: &str, section: &str) -> Article {
    let mut a = template.clone();
    a.id = format!("b{i:04}");
    a.url = format!("https://www.actu.example.ma/b{i:04}.html");
    a.title = title.into();
    a.section = Some(section.into());
    a
}

fn scrambled(range: std::ops::Range<usize>) -> Vec<usize> {
    let mut v: Vec<usize> = range.collect();
    v.sort_by_key(|i| (i * 7919) % 1009);
    v
}

/// One plain upsert entry per id, or with a departure from `left` (the old
/// section; the template's tags) when `moved`.
fn upserts(ids: &[usize], left: &str, moved: &dyn Fn(usize) -> bool) -> Vec<Entry> {
    ids.iter()
        .map(|&i| {
            let m = moved(i);
            let tags = m.then(|| r#"["États-Unis","Iran"]"#.to_owned());
            let section = m.then(|| left.to_owned());
            (format!("b{i:04}"), "upsert".into(), section, tags, m)
        })
        .collect()
}

/// An import's batches (PostgreSQL: staged with COPY, one upsert statement):
/// one entry per row written, in the batch's order, departures for the rows
/// moved; a batch mixing new and stored ids logs, on PostgreSQL, the inserted
/// rows (copied into `articles`, in batch order) before the updated ones
/// (staged then upserted, in batch order). Readers cannot tell: the ids of a
/// transaction are distinct and its entries committed together.
fn a_bulk_import_logs_each_row_in_batch_order(b: &Backend) {
    let s = &*b.store;
    let template = article("b", "Un");
    let order = scrambled(0..600);
    let first: Vec<Article> = order
        .iter()
        .map(|&i| record(&template, i, "Un", "Maroc"))
        .collect();
    let start = latest(b);
    s.upsert(&first).unwrap();
    assert_eq!(log(b, start), upserts(&order, "", &|_| false));
    // Every third moved to another section, the others retitled.
    let second_section = |i: usize| {
        if i.is_multiple_of(3) {
            "Sport"
        } else {
            "Maroc"
        }
    };
    let second: Vec<Article> = order
        .iter()
        .map(|&i| record(&template, i, "Deux", second_section(i)))
        .collect();
    let start = latest(b);
    s.upsert(&second).unwrap();
    assert_eq!(
        log(b, start),
        upserts(&order, "Maroc", &|i| i.is_multiple_of(3))
    );
    // Half stored (those of Sport back to Maroc), half new, then 100
    // unchanged records, which are not logged.
    let third_order = scrambled(300..900);
    let mut third: Vec<Article> = third_order
        .iter()
        .map(|&i| record(&template, i, "Trois", "Maroc"))
        .collect();
    third.extend((0..100).map(|i| record(&template, i, "Deux", second_section(i))));
    let start = latest(b);
    s.upsert(&third).unwrap();
    let (stored, new): (Vec<usize>, Vec<usize>) = third_order.iter().partition(|&&i| i < 600);
    let logged: Vec<usize> = if b.url.starts_with("postgres://") {
        new.into_iter().chain(stored).collect()
    } else {
        third_order
    };
    let moved = |i: usize| i < 600 && i.is_multiple_of(3);
    assert_eq!(log(b, start), upserts(&logged, "Sport", &moved));
}

both_backends!(
    plain_sql_statements_log_each_row,
    a_bulk_import_logs_each_row_in_batch_order,
);
