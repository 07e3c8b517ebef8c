//! SQLite backend: one writer connection and a few reader connections in WAL mode.

use super::rows::{self, ArticleColumns};
use super::{BadRow, Change, MetaRow, Store, StoreError, UpsertCounts};
use crate::model::Article;
use rusqlite::{Connection, OpenFlags, Row, params};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Numbered migrations; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[include_str!("sql/sqlite_0001_articles.sql")];

const READERS: usize = 4;

/// An SQLite article store.
pub struct SqliteStore {
    location: String,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
}

fn sql(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { operation, source }
}

impl SqliteStore {
    /// Opens (creating if needed, with its folder) and migrates the database at `path`.
    pub fn open(path: &str) -> Result<SqliteStore, StoreError> {
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
        configure(&writer, WRITER_CACHE_KIB).map_err(open_err)?;
        // Checkpoint every 64 MB of WAL rather than SQLite's 4 MB: each checkpoint
        // syncs the database file, and bulk imports would otherwise wait on hundreds.
        writer
            .pragma_update(None, "wal_autocheckpoint", 16_384)
            .map_err(open_err)?;
        migrate(&mut writer, &location)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c, READER_CACHE_KIB)?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>, rusqlite::Error>>()
            .map_err(open_err)?;
        Ok(SqliteStore {
            location,
            writer: Mutex::new(writer),
            readers,
        })
    }

    /// Where this store lives, as its URL.
    pub fn location(&self) -> &str {
        &self.location
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

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn configure(c: &Connection, cache_kib: i64) -> rusqlite::Result<()> {
    c.busy_timeout(std::time::Duration::from_secs(10))?;
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

fn migrate(c: &mut Connection, location: &str) -> Result<(), StoreError> {
    let done: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|source| StoreError::Migration {
            location: location.into(),
            version: 0,
            source: Box::new(source),
        })?;
    for (i, script) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
        let version = i + 1;
        let fail = |source: rusqlite::Error| StoreError::Migration {
            location: location.into(),
            version,
            source: Box::new(source),
        };
        let tx = c.transaction().map_err(fail)?;
        tx.execute_batch(script).map_err(fail)?;
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

const ARTICLE_COLUMNS: &str = "id, url, title, summary, content_html, authors, section, tags, \
    published_at, updated_at, language, image, status";
/// The article without its bodies (summary, HTML): for the index and sitemaps.
const LIGHT_COLUMNS: &str = "id, url, title, NULL, NULL, authors, section, tags, \
    published_at, updated_at, language, image, status";
/// Selects rows whose id is in the JSON array bound as ?1 (one statement for any count).
const BY_IDS: &str = "WHERE id IN (SELECT value FROM json_each(?1))";

fn article_columns(r: &Row) -> rusqlite::Result<ArticleColumns> {
    Ok(ArticleColumns {
        id: r.get(0)?,
        url: r.get(1)?,
        title: r.get(2)?,
        summary: r.get(3)?,
        content_html: r.get(4)?,
        authors: r.get(5)?,
        section: r.get(6)?,
        tags: r.get(7)?,
        published_at: r.get(8)?,
        updated_at: r.get(9)?,
        language: r.get(10)?,
        image: r.get(11)?,
        status: r.get(12)?,
    })
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

/// Writes one record (insert, or update by id).
fn write_one(tx: &rusqlite::Transaction, v: &rows::StoredValues) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO articles ({ARTICLE_COLUMNS}, digest) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) \
         ON CONFLICT (id) DO UPDATE SET url=excluded.url, title=excluded.title, summary=excluded.summary, \
         content_html=excluded.content_html, authors=excluded.authors, section=excluded.section, \
         tags=excluded.tags, published_at=excluded.published_at, updated_at=excluded.updated_at, \
         language=excluded.language, image=excluded.image, status=excluded.status, digest=excluded.digest"
    ))?
    .execute(params![
        v.id, v.url, v.title, v.summary, v.content_html, v.authors, v.section, v.tags,
        v.published_at, v.updated_at, v.language, v.image, v.status, v.digest
    ])?;
    Ok(())
}

impl Store for SqliteStore {
    fn settle(&self) -> Result<(), StoreError> {
        // Readers still inside an older snapshot make this partial: harmless.
        self.writer()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sql("checkpoint"))
    }

    fn upsert_digested(
        &self,
        articles: &[Article],
        digests: &[String],
    ) -> Result<UpsertCounts, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(sql("upsert"))?;
        let stored = stored_digests(&tx, articles).map_err(sql("upsert"))?;
        let (counts, writes) = rows::plan_upsert(articles, digests, stored);
        for i in writes {
            write_one(&tx, &rows::StoredValues::of(&articles[i], &digests[i]))
                .map_err(sql("upsert"))?;
        }
        tx.commit().map_err(sql("upsert"))?;
        Ok(counts)
    }

    fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .writer()
            .execute("DELETE FROM articles WHERE id = ?1", [id])
            .map_err(sql("delete"))?;
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
            .query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(sql("scan"))?;
        // In id order, so that everything derived from the scan is deterministic.
        let mut stmt = tx
            .prepare(&format!("SELECT {LIGHT_COLUMNS} FROM articles ORDER BY id"))
            .map_err(sql("scan"))?;
        let mut rows = stmt.query([]).map_err(sql("scan"))?;
        while let Some(row) = rows.next().map_err(sql("scan"))? {
            match rows::article(article_columns(row).map_err(sql("scan"))?) {
                Ok(a) => visit(rows::meta(&a)),
                Err(b) => bad(b),
            }
        }
        Ok(cursor as u64)
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT seq, article_id FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(sql("changes"))?;
        let rows = stmt
            .query_map(params![cursor as i64, limit as i64], |r| {
                Ok(Change {
                    seq: r.get::<_, i64>(0)? as u64,
                    article_id: r.get(1)?,
                })
            })
            .map_err(sql("changes"))?;
        rows.collect::<Result<_, _>>().map_err(sql("changes"))
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
            .query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| {
                r.get::<_, i64>(0)
            })
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
