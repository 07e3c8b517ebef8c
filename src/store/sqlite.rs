//! SQLite backend: one writer connection and a few reader connections in WAL mode.

use super::rows;
use super::sqlite_checkpoint::Checkpointer;
use super::{BadRow, Change, MetaRow, Store, StoreError, UpsertCounts};
use crate::model::Article;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, params};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::sqlite_rows::{
    ARTICLE_COLUMNS, BY_IDS, CHANGE_COLUMNS, LATEST_SEQ, LIGHT_COLUMNS, article_columns,
    change_columns,
};

/// Numbered migrations; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/sqlite_0001_articles.sql"),
    include_str!("sql/sqlite_0002_change_times.sql"),
    include_str!("sql/sqlite_0003_websub.sql"),
    include_str!("sql/sqlite_0004_indexnow.sql"),
];

const READERS: usize = 4;

/// An SQLite article store.
pub struct SqliteStore {
    location: String,
    /// How long a write waits for another process's write lock.
    lock_timeout: Duration,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    /// Folds the writer's log into the database, on a thread of its own.
    checkpointer: Checkpointer,
}

fn sql(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { operation, source }
}

impl SqliteStore {
    /// Opens (creating if needed, with its folder) and migrates the database at
    /// `path`; writes wait [`super::DEFAULT_LOCK_TIMEOUT`] for another writer.
    pub fn open(path: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, super::DEFAULT_LOCK_TIMEOUT)
    }

    /// [`SqliteStore::open`], with writes waiting at most `lock_timeout` for a
    /// lock another process holds (`syndic import`, a CMS writing the tables).
    pub fn open_with(path: &str, lock_timeout: Duration) -> Result<SqliteStore, StoreError> {
        let location = format!("sqlite:{path}");
        let open_err = |source: rusqlite::Error| StoreError::Open {
            location: location.clone(),
            source: Box::new(source),
        };
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                location: location.clone(),
                source: Box::new(e),
            })?;
        }
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer, WRITER_CACHE_KIB, lock_timeout).map_err(open_err)?;
        migrate(&mut writer, &location)?;
        let checkpoints = Connection::open(path).map_err(open_err)?;
        configure(&checkpoints, READER_CACHE_KIB, lock_timeout).map_err(open_err)?;
        let checkpointer =
            Checkpointer::start(checkpoints, &mut writer).map_err(|e| StoreError::Open {
                location: location.clone(),
                source: Box::new(e),
            })?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c, READER_CACHE_KIB, lock_timeout)?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>, rusqlite::Error>>()
            .map_err(open_err)?;
        Ok(SqliteStore {
            location,
            lock_timeout,
            writer: Mutex::new(writer),
            readers,
            checkpointer,
        })
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        self.readers[0]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Maps a write's error: a lock held past the busy timeout is [`StoreError::Locked`].
    pub(super) fn write_err(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Locked {
                    location: self.location.clone(),
                    operation,
                    waited: self.lock_timeout,
                }
            }
            _ => StoreError::Sqlite { operation, source },
        }
    }

    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn configure(c: &Connection, cache_kib: i64, lock_timeout: Duration) -> rusqlite::Result<()> {
    c.busy_timeout(lock_timeout)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "cache_size", -cache_kib)?;
    Ok(())
}

/// Page cache of the writer: the id index's pages, hot during imports.
const WRITER_CACHE_KIB: i64 = 16 << 10;

/// Page cache of each reader: rendered items are kept by the pipeline, so
/// readers mostly read rows once; the OS caches the file for all of them.
const READER_CACHE_KIB: i64 = 4 << 10;

/// Runs the migrations not yet recorded in `user_version`. The write lock is
/// taken first (`BEGIN IMMEDIATE`, waiting up to the busy timeout), and the
/// version read under it: two processes creating the same new file at once
/// migrate it once, the second finding the work done.
fn migrate(c: &mut Connection, location: &str) -> Result<(), StoreError> {
    let fail = |version: usize| {
        move |source: rusqlite::Error| StoreError::Migration {
            location: location.into(),
            version,
            source: Box::new(source),
        }
    };
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(fail(0))?;
    let done: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(fail(0))?;
    for (i, script) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
        let version = i + 1;
        tx.execute_batch(script).map_err(fail(version))?;
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(fail(version))?;
    }
    tx.commit().map_err(fail(MIGRATIONS.len()))
}

fn ids_json(ids: &[&str]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// The stored digest of each of these articles that exists (`None` inside: a
/// row written by another program): one query for a whole batch.
fn stored_digests(
    tx: &rusqlite::Transaction,
    articles: &[Article],
) -> rusqlite::Result<HashMap<String, Option<String>>> {
    let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    let mut stmt = tx.prepare_cached(&format!("SELECT id, digest FROM articles {BY_IDS}"))?;
    let rows = stmt.query_map([ids_json(&ids)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Inserts one record, or updates it by id: one literal, so that the statement
/// cache finds it without a string made per row.
const UPSERT: &str = "INSERT INTO articles (id, url, title, summary, content_html, authors, section, tags, \
     published_at, updated_at, language, image, status, digest) \
     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) \
     ON CONFLICT (id) DO UPDATE SET url=excluded.url, title=excluded.title, summary=excluded.summary, \
     content_html=excluded.content_html, authors=excluded.authors, section=excluded.section, \
     tags=excluded.tags, published_at=excluded.published_at, updated_at=excluded.updated_at, \
     language=excluded.language, image=excluded.image, status=excluded.status, digest=excluded.digest";

/// Writes one record (insert, or update by id).
fn write_one(tx: &rusqlite::Transaction, v: &rows::StoredValues) -> rusqlite::Result<()> {
    tx.prepare_cached(UPSERT)?.execute(params![
        v.id,
        v.url,
        v.title,
        v.summary,
        v.content_html,
        v.authors,
        v.section,
        v.tags,
        v.published_at,
        v.updated_at,
        v.language,
        v.image,
        v.status,
        v.digest
    ])?;
    Ok(())
}

impl Store for SqliteStore {
    fn settle(&self) -> Result<(), StoreError> {
        // Readers still inside an older snapshot make this partial: harmless.
        self.checkpointer.truncate().map_err(sql("checkpoint"))
    }

    fn upsert_digested(
        &self,
        articles: &[Article],
        digests: &[String],
    ) -> Result<UpsertCounts, StoreError> {
        let mut conn = self.writer();
        // The write lock first (waiting up to the busy timeout): a transaction
        // that read first could not upgrade once another writer committed.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(self.write_err("upsert"))?;
        let stored = stored_digests(&tx, articles).map_err(self.write_err("upsert"))?;
        let (counts, writes) = rows::plan_upsert(articles, digests, stored);
        for i in writes {
            write_one(&tx, &rows::StoredValues::of(&articles[i], &digests[i]))
                .map_err(self.write_err("upsert"))?;
        }
        tx.commit().map_err(self.write_err("upsert"))?;
        Ok(counts)
    }

    fn subscriptions(&self) -> &dyn super::Subscriptions {
        self
    }

    fn submissions(&self) -> &dyn super::Submissions {
        self
    }

    fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .writer()
            .execute("DELETE FROM articles WHERE id = ?1", [id])
            .map_err(self.write_err("delete"))?;
        Ok(n > 0)
    }

    fn scan_meta(
        &self,
        visit: &mut dyn FnMut(MetaRow),
        bad: &mut dyn FnMut(BadRow),
    ) -> Result<u64, StoreError> {
        let mut conn = self.reader();
        let tx = conn.transaction().map_err(sql("scan"))?;
        let cursor = tx
            .query_row(LATEST_SEQ, [], |r| r.get::<_, i64>(0))
            .map_err(sql("scan"))?;
        // In id order, so that everything derived from the scan is deterministic.
        let mut stmt = tx
            .prepare(&format!("SELECT {LIGHT_COLUMNS} FROM articles ORDER BY id"))
            .map_err(sql("scan"))?;
        let mut rows = stmt.query([]).map_err(sql("scan"))?;
        let read = |found: &mut dyn FnMut(rows::ArticleColumns)| {
            while let Some(row) = rows.next()? {
                found(article_columns(row)?);
            }
            Ok(())
        };
        rows::check_meta_in_order(read, visit, bad).map_err(sql("scan"))?;
        Ok(cursor as u64)
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {CHANGE_COLUMNS} FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))
            .map_err(sql("changes"))?;
        let rows = stmt
            .query_map(params![cursor as i64, limit as i64], change_columns)
            .map_err(sql("changes"))?;
        rows.map(|r| r.map(rows::change))
            .collect::<Result<_, _>>()
            .map_err(sql("changes"))
    }

    fn departures(&self, upto: u64) -> Result<Vec<Change>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {CHANGE_COLUMNS} FROM change_log \
                 WHERE seq <= ?1 AND (old_authors IS NOT NULL OR op = 'truncate') ORDER BY seq"
            ))
            .map_err(sql("departures"))?;
        let rows = stmt
            .query_map([upto as i64], change_columns)
            .map_err(sql("departures"))?;
        rows.map(|r| r.map(rows::change))
            .collect::<Result<_, _>>()
            .map_err(sql("departures"))
    }

    fn floor(&self) -> Result<u64, StoreError> {
        self.reader()
            .query_row("SELECT seq FROM change_log_floor", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|s| s as u64)
            .map_err(sql("floor"))
    }

    fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(self.write_err("prune"))?;
        let before = before.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let last: Option<i64> = tx
            .query_row(
                "SELECT max(seq) FROM change_log WHERE at < ?1",
                [&before],
                |r| r.get(0),
            )
            .map_err(sql("prune"))?;
        let Some(last) = last else { return Ok(0) };
        let deleted = tx
            .execute("DELETE FROM change_log WHERE seq <= ?1", [last])
            .map_err(sql("prune"))?;
        tx.execute("UPDATE change_log_floor SET seq = max(seq, ?1)", [last])
            .map_err(sql("prune"))?;
        tx.commit().map_err(sql("prune"))?;
        Ok(deleted as u64)
    }

    fn read_rows(
        &self,
        ids: &[&str],
        with_bodies: bool,
    ) -> Result<Vec<Result<Article, BadRow>>, StoreError> {
        let columns = if with_bodies {
            ARTICLE_COLUMNS
        } else {
            LIGHT_COLUMNS
        };
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {columns} FROM articles {BY_IDS}"))
            .map_err(sql("read rows"))?;
        let cols = stmt
            .query_map([ids_json(ids)], article_columns)
            .map_err(sql("read rows"))?;
        let mut out = Vec::with_capacity(ids.len());
        for c in cols {
            out.push(rows::article(c.map_err(sql("read rows"))?));
        }
        Ok(out)
    }

    fn latest_seq(&self) -> Result<u64, StoreError> {
        self.reader()
            .query_row(LATEST_SEQ, [], |r| r.get::<_, i64>(0))
            .map(|s| s as u64)
            .map_err(sql("latest seq"))
    }

    fn count(&self) -> Result<u64, StoreError> {
        self.reader()
            .query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(sql("count"))
    }
}
