//! PostgreSQL backend: a few pooled connections for queries (reconnected on
//! demand) and one dedicated connection that LISTENs for change notifications.

use super::rows::{self, ArticleColumns, ChangeColumns};
use super::{BadRow, Change, MetaRow, Store, StoreError, UpsertCounts};
use crate::model::{Article, store_time};
use chrono::{DateTime, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Row};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Numbered migrations; `syndic_schema` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/postgres_0001_articles.sql"),
    include_str!("sql/postgres_0002_change_times.sql"),
];
const POOL: usize = 4;
/// Advisory lock held while migrating, so replicas starting together migrate once.
const MIGRATION_LOCK: i64 = 7_261_151;
/// The NOTIFY channel the change-log trigger signals.
pub const CHANNEL: &str = "syndic_changes";

/// A PostgreSQL article store.
pub struct PostgresStore {
    url: String,
    config: postgres::Config,
    pool: Vec<Mutex<Option<Client>>>,
}

fn utc_text(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and migrates the schema.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let mut config: postgres::Config =
            url.parse().map_err(|e: postgres::Error| StoreError::Open {
                location: redact(url),
                source: Box::new(e),
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        // A server that vanishes without closing the connection (a network cut)
        // is noticed within seconds, not after the kernel's two-hour default.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .tcp_user_timeout(Duration::from_secs(10));
        let store = PostgresStore {
            url: redact(url),
            config,
            pool: (0..POOL).map(|_| Mutex::new(None)).collect(),
        };
        let mut client = store.connect().map_err(|e| StoreError::Open {
            location: store.url.clone(),
            source: Box::new(e),
        })?;
        migrate(&mut client, &store.url)?;
        *store.slot() = Some(client);
        Ok(store)
    }

    fn connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(NoTls)
    }

    fn slot(&self) -> MutexGuard<'_, Option<Client>> {
        for s in &self.pool {
            if let Ok(guard) = s.try_lock() {
                return guard;
            }
        }
        self.pool[0].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on a pooled connection, connecting first if needed. A lost
    /// connection is dropped and reported as [`StoreError::Unavailable`].
    fn with<T>(
        &self,
        operation: &'static str,
        mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.slot();
        let unavailable = |e: &dyn std::fmt::Display| {
            StoreError::Unavailable(format!("{}: {operation}: {e}", self.url))
        };
        // A pooled connection may have died while idle (a server restart): then
        // the operation is tried once more on a new connection.
        let mut reused = slot.as_ref().is_some_and(|c| !c.is_closed());
        loop {
            if !reused {
                *slot = Some(self.connect().map_err(|e| unavailable(&e))?);
            }
            let Some(client) = slot.as_mut() else {
                unreachable!("connected above")
            };
            match f(client) {
                Ok(v) => return Ok(v),
                Err(e) if client.is_closed() || e.as_db_error().is_none() => {
                    *slot = None;
                    if !reused {
                        return Err(unavailable(&e));
                    }
                    reused = false;
                }
                Err(e) => {
                    return Err(StoreError::Postgres {
                        operation,
                        source: e,
                    });
                }
            }
        }
    }

    /// The connection settings (for the LISTEN connection).
    pub(super) fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// The store's URL, without password.
    pub fn location(&self) -> &str {
        &self.url
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn migrate(client: &mut Client, location: &str) -> Result<(), StoreError> {
    let fail = |version: usize| {
        move |e: postgres::Error| StoreError::Migration {
            location: location.into(),
            version,
            source: Box::new(e),
        }
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(fail(0))?;
    let result = (|| {
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS syndic_schema (version INTEGER NOT NULL)")
            .map_err(fail(0))?;
        let done: i64 = client
            .query_one("SELECT count(*) FROM syndic_schema", &[])
            .map_err(fail(0))?
            .get(0);
        for (i, script) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            let version = i + 1;
            let mut tx = client.transaction().map_err(fail(version))?;
            tx.batch_execute(script).map_err(fail(version))?;
            tx.execute(
                "INSERT INTO syndic_schema (version) VALUES ($1)",
                &[&(version as i32)],
            )
            .map_err(fail(version))?;
            tx.commit().map_err(fail(version))?;
        }
        Ok(())
    })();
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

/// Selects article columns (`full`: with summary and HTML) in schema order,
/// dates as RFC 3339 UTC text.
fn select(full: bool) -> String {
    let bodies = if full {
        "summary, content_html"
    } else {
        "NULL::text, NULL::text"
    };
    format!(
        "SELECT id, url, title, {bodies}, authors, section, tags, {}, {}, language, image, status FROM articles",
        utc_text("published_at"),
        utc_text("updated_at")
    )
}

fn article_columns(r: &Row) -> ArticleColumns {
    ArticleColumns {
        id: r.get(0),
        url: r.get(1),
        title: r.get(2),
        summary: r.get(3),
        content_html: r.get(4),
        authors: r.get(5),
        section: r.get(6),
        tags: r.get(7),
        published_at: r.get(8),
        updated_at: r.get(9),
        language: r.get(10),
        image: r.get(11),
        status: r.get(12),
    }
}

/// The newest log position, never below the floor (an emptied log keeps it).
const LATEST_SEQ: &str = "SELECT GREATEST(coalesce((SELECT max(seq) FROM change_log), 0), \
    (SELECT seq FROM change_log_floor))";

fn change_columns() -> String {
    format!(
        "seq, article_id, op, {}, old_section, old_authors, old_tags, {}",
        utc_text("at"),
        utc_text("old_published_at")
    )
}

fn change(r: &Row) -> Change {
    rows::change(ChangeColumns {
        seq: r.get(0),
        article_id: r.get(1),
        op: r.get(2),
        at: r.get(3),
        old_section: r.get(4),
        old_authors: r.get(5),
        old_tags: r.get(6),
        old_published_at: r.get(7),
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The stored digest of each of these articles that exists (`None` inside: a
/// row written by another program): one round trip for a whole batch.
fn stored_digests(
    tx: &mut postgres::Transaction,
    articles: &[Article],
) -> Result<std::collections::HashMap<String, Option<String>>, postgres::Error> {
    let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    let rows = tx.query(
        "SELECT id, digest FROM articles WHERE id = ANY($1)",
        &[&ids],
    )?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn upsert_one(
    tx: &mut postgres::Transaction,
    a: &Article,
    digest: &str,
    existing: Option<Option<String>>,
) -> Result<UpsertCounts, postgres::Error> {
    let mut counts = UpsertCounts::default();
    match existing {
        Some(Some(d)) if d == digest => {
            counts.unchanged = 1;
            return Ok(counts);
        }
        Some(_) => counts.updated = 1,
        None => counts.inserted = 1,
    }
    tx.execute(
        "INSERT INTO articles (id, url, title, summary, content_html, authors, section, tags, published_at, \
         updated_at, language, image, status, digest) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::text::timestamptz,$10::text::timestamptz,$11,$12,$13,$14) \
         ON CONFLICT (id) DO UPDATE SET url=excluded.url, title=excluded.title, summary=excluded.summary, \
         content_html=excluded.content_html, authors=excluded.authors, section=excluded.section, \
         tags=excluded.tags, published_at=excluded.published_at, updated_at=excluded.updated_at, \
         language=excluded.language, image=excluded.image, status=excluded.status, digest=excluded.digest",
        &[&a.id, &a.url, &a.title, &a.summary, &a.content_html, &json(&a.authors), &a.section, &json(&a.tags),
          &store_time(a.published_at), &store_time(a.updated_at), &a.language, &a.image.as_ref().map(json),
          &a.status.as_str(), &digest],
    )?;
    Ok(counts)
}

impl Store for PostgresStore {
    fn upsert_digested(
        &self,
        articles: &[Article],
        digests: &[String],
    ) -> Result<UpsertCounts, StoreError> {
        self.with("upsert", |c| {
            let mut tx = c.transaction()?;
            let mut stored = stored_digests(&mut tx, articles)?;
            let mut total = UpsertCounts::default();
            for (a, digest) in articles.iter().zip(digests) {
                // A batch naming an id twice: its second record updates the first.
                let existing = stored.insert(a.id.clone(), Some(digest.clone()));
                total += upsert_one(&mut tx, a, digest, existing)?;
            }
            tx.commit()?;
            Ok(total)
        })
    }

    fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.with("delete", |c| {
            Ok(c.execute("DELETE FROM articles WHERE id = $1", &[&id])? > 0)
        })
    }

    fn scan_meta(
        &self,
        visit: &mut dyn FnMut(MetaRow),
        bad: &mut dyn FnMut(BadRow),
    ) -> Result<u64, StoreError> {
        // Rows are handed on only once the whole scan succeeded: `with` may run the
        // closure twice (a stale connection), and the index must see each row once.
        let (cursor, rows) = self.with("scan", |c| {
            let mut found = Vec::new();
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()?;
            let cursor: i64 = tx.query_one(LATEST_SEQ, &[])?.get(0);
            let sql = format!("{} ORDER BY id", select(false));
            let mut rows = tx.query_raw(sql.as_str(), std::iter::empty::<&str>())?;
            while let Some(row) = rows.next()? {
                found.push(rows::article(article_columns(&row)).map(|a| rows::meta(&a)));
            }
            drop(rows);
            tx.commit()?;
            Ok((cursor as u64, found))
        })?;
        for row in rows {
            match row {
                Ok(m) => visit(m),
                Err(b) => bad(b),
            }
        }
        Ok(cursor)
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let sql = format!(
            "SELECT {} FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            change_columns()
        );
        let rows = self.with("changes", |c| {
            c.query(&sql, &[&(cursor as i64), &(limit as i64)])
        })?;
        Ok(rows.iter().map(change).collect())
    }

    fn departures(&self, upto: u64) -> Result<Vec<Change>, StoreError> {
        let sql = format!(
            "SELECT {} FROM change_log WHERE seq <= $1 AND (old_authors IS NOT NULL OR op = 'truncate') ORDER BY seq",
            change_columns()
        );
        let rows = self.with("departures", |c| c.query(&sql, &[&(upto as i64)]))?;
        Ok(rows.iter().map(change).collect())
    }

    fn floor(&self) -> Result<u64, StoreError> {
        self.with("floor", |c| {
            Ok(c.query_one("SELECT seq FROM change_log_floor", &[])?
                .get::<_, i64>(0) as u64)
        })
    }

    fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = before.to_rfc3339();
        self.with("prune", |c| {
            let mut tx = c.transaction()?;
            let last: Option<i64> = tx
                .query_one(
                    "SELECT max(seq) FROM change_log WHERE at < $1::text::timestamptz",
                    &[&before],
                )?
                .get(0);
            let Some(last) = last else { return Ok(0) };
            let deleted = tx.execute("DELETE FROM change_log WHERE seq <= $1", &[&last])?;
            tx.execute(
                "UPDATE change_log_floor SET seq = GREATEST(seq, $1)",
                &[&last],
            )?;
            tx.commit()?;
            Ok(deleted)
        })
    }

    fn read_rows(
        &self,
        ids: &[&str],
        with_bodies: bool,
    ) -> Result<Vec<Result<Article, BadRow>>, StoreError> {
        let sql = format!("{} WHERE id = ANY($1)", select(with_bodies));
        let rows = self.with("read rows", |c| c.query(&sql, &[&ids]))?;
        Ok(rows
            .iter()
            .map(|r| rows::article(article_columns(r)))
            .collect())
    }

    fn latest_seq(&self) -> Result<u64, StoreError> {
        self.with("latest seq", |c| {
            Ok(c.query_one(LATEST_SEQ, &[])?.get::<_, i64>(0) as u64)
        })
    }

    fn count(&self) -> Result<u64, StoreError> {
        self.with("count", |c| {
            Ok(c.query_one("SELECT count(*) FROM articles", &[])?
                .get::<_, i64>(0) as u64)
        })
    }

    fn listen(&self, on_change: Box<dyn Fn() -> bool + Send>) {
        PostgresStore::listen(self, on_change)
    }
}
