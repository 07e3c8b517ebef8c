//! PostgreSQL backend on the async driver (tokio-postgres) with a deadpool pool
//! for queries, plus one dedicated connection that LISTENs (see `pg_listen`).
//!
//! The store owns a small tokio runtime of its own: the [`Store`] trait is
//! blocking (the watch loop is a plain thread; the HTTP API calls it through
//! `spawn_blocking`), so each method runs its queries with `Handle::block_on`,
//! while the connections are driven by the store's runtime. Dropping the store
//! closes the pool and shuts that runtime down in the background, which is
//! allowed anywhere, including inside the server's runtime.

use super::pg_rows::{LATEST_SEQ, article_columns, change, change_columns, select};
use super::rows;
use super::{BadRow, Change, MetaRow, Store, StoreError, UpsertCounts};
use crate::config::PgUrl;
use crate::model::Article;
use chrono::{DateTime, Utc};
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolConfig, RecyclingMethod, Timeouts,
};
use futures_util::TryStreamExt;
use std::time::Duration;
use tokio_postgres::IsolationLevel;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Numbered migrations; `syndic_schema` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/postgres_0001_articles.sql"),
    include_str!("sql/postgres_0002_change_times.sql"),
    include_str!("sql/postgres_0003_websub.sql"),
    include_str!("sql/postgres_0004_indexnow.sql"),
    include_str!("sql/postgres_0005_statement_log.sql"),
    include_str!("sql/postgres_0006_lz4_bodies.sql"),
    include_str!("sql/postgres_0007_indexnow_statement.sql"),
    include_str!("sql/postgres_0008_bodies_in_row.sql"),
];
/// Advisory lock held while migrating, so replicas starting together migrate once.
const MIGRATION_LOCK: i64 = 7_261_151;
/// The NOTIFY channel the change-log trigger signals.
pub(crate) const CHANNEL: &str = "syndic_changes";
/// Longest wait for a pooled connection when all are busy.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// Connection timeout when the URL sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A PostgreSQL article store.
pub struct PostgresStore {
    location: String,
    /// How long a statement waits for a row lock (`lock_timeout`).
    lock_timeout: Duration,
    /// Settings for new connections (the LISTEN one), TLS included.
    pub(super) config: tokio_postgres::Config,
    pub(super) tls: MakeRustlsConnect,
    pool: Pool,
    /// Drives the connections; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    pub(super) handle: tokio::runtime::Handle,
}

impl PostgresStore {
    /// Connects to `url` with a pool of at most `pool_size` connections and
    /// migrates the schema. Call from outside any async context.
    pub fn open(url: &PgUrl, limits: super::Limits) -> Result<PostgresStore, StoreError> {
        let pool_size = limits.pool_size;
        let open_err = |e: &dyn std::error::Error| StoreError::Open {
            location: url.location.clone(),
            source: super::describe(e).into(),
        };
        let tls = super::pg_tls::connector(url)?;
        let mut config = url.config.clone();
        // A write waiting on a row lock gives up (rolled back, nothing written)
        // well before the HTTP request that asked for it times out.
        let options = format!(
            "{} -c lock_timeout={}",
            config.get_options().unwrap_or(""),
            limits.lock_timeout.as_millis()
        );
        config.options(options.trim());
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A server that vanishes without closing the connection (a network cut)
        // is noticed within about ten seconds, not after the kernel's two hours.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .keepalives_interval(Duration::from_secs(1))
            .keepalives_retries(5)
            .tcp_user_timeout(Duration::from_secs(10));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("syndic-pg")
            .enable_all()
            .build()
            .map_err(|e| open_err(&e))?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                // A connection lost while idle (a server restart) is found out
                // and replaced when taken from the pool, not handed out.
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let connect_timeout = *config.get_connect_timeout().unwrap_or(&CONNECT_TIMEOUT);
        let pool = Pool::builder(manager)
            .config(PoolConfig {
                max_size: pool_size.max(1),
                timeouts: Timeouts {
                    wait: Some(POOL_WAIT),
                    create: Some(connect_timeout),
                    recycle: Some(connect_timeout),
                },
                ..PoolConfig::default()
            })
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| open_err(&e))?;
        let store = PostgresStore {
            location: url.location.clone(),
            lock_timeout: limits.lock_timeout,
            config,
            tls,
            pool,
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        };
        store.handle.block_on(async {
            let mut client = store.pool.get().await.map_err(|e| open_err(&e))?;
            migrate(&mut client, &store.location).await
        })?;
        Ok(store)
    }

    /// Runs `f` on a pooled connection. A lost connection is discarded and
    /// reported as [`StoreError::Unavailable`].
    pub(super) fn with<T>(
        &self,
        operation: &'static str,
        f: impl AsyncFnOnce(&mut Object) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let unavailable = |e: &dyn std::error::Error| {
            StoreError::Unavailable(format!(
                "{}: {operation}: {}",
                self.location,
                super::describe(e)
            ))
        };
        self.handle.block_on(async {
            let mut client = self.pool.get().await.map_err(|e| unavailable(&e))?;
            match f(&mut client).await {
                Ok(v) => Ok(v),
                Err(e)
                    if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) =>
                {
                    Err(StoreError::Locked {
                        location: self.location.clone(),
                        operation,
                        waited: self.lock_timeout,
                    })
                }
                Err(e) if e.as_db_error().is_some() && !client.is_closed() => {
                    Err(StoreError::Postgres {
                        operation,
                        source: e,
                    })
                }
                Err(e) => {
                    // Not returned to the pool: its connection is gone or unusable.
                    drop(Object::take(client));
                    Err(unavailable(&e))
                }
            }
        })
    }

    /// The store's URL, without password.
    pub(crate) fn location(&self) -> &str {
        &self.location
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, so never panics inside another runtime.
            runtime.shutdown_background();
        }
    }
}

async fn migrate(client: &mut Object, location: &str) -> Result<(), StoreError> {
    let fail = |version: usize| {
        move |e: tokio_postgres::Error| StoreError::Migration {
            location: location.into(),
            version,
            source: Box::new(e),
        }
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(fail(0))?;
    let result = run_migrations(client, fail).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result
}

async fn run_migrations<F, E>(client: &mut Object, fail: F) -> Result<(), StoreError>
where
    F: Fn(usize) -> E,
    E: FnOnce(tokio_postgres::Error) -> StoreError,
{
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS syndic_schema (version INTEGER NOT NULL)")
        .await
        .map_err(fail(0))?;
    let done: i64 = client
        .query_one("SELECT count(*) FROM syndic_schema", &[])
        .await
        .map_err(fail(0))?
        .get(0);
    for (i, script) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        let version = i + 1;
        let tx = client.transaction().await.map_err(fail(version))?;
        tx.batch_execute(script).await.map_err(fail(version))?;
        tx.execute(
            "INSERT INTO syndic_schema (version) VALUES ($1)",
            &[&(version as i32)],
        )
        .await
        .map_err(fail(version))?;
        tx.commit().await.map_err(fail(version))?;
    }
    Ok(())
}

/// Every row's metadata (or why it is invalid) and the log cursor, in one snapshot.
async fn scan(
    client: &mut Object,
) -> Result<(u64, Vec<rows::ArticleColumns>), tokio_postgres::Error> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()
        .await?;
    let cursor: i64 = tx.query_one(LATEST_SEQ, &[]).await?.get(0);
    let sql = format!("{} ORDER BY id", select(false));
    let rows = tx
        .query_raw(sql.as_str(), std::iter::empty::<&str>())
        .await?;
    let mut rows = std::pin::pin!(rows);
    let mut found = Vec::new();
    while let Some(row) = rows.try_next().await? {
        found.push(article_columns(&row));
    }
    tx.commit().await?;
    Ok((cursor as u64, found))
}

/// Writers of an import at most: two server processes share the batches'
/// inserting, compressing and indexing (one was busy all along while the
/// reading thread waited: README, "Import").
const BULK_WRITERS: usize = 2;

impl Store for PostgresStore {
    fn bulk_writers(&self) -> usize {
        BULK_WRITERS.min(self.pool.status().max_size)
    }

    fn upsert_digested(
        &self,
        articles: &[Article],
        digests: &[String],
    ) -> Result<UpsertCounts, StoreError> {
        self.with("upsert", async |c| {
            super::pg_bulk::upsert(c, articles, digests).await
        })
    }

    fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.with("delete", async |c| {
            Ok(c.execute("DELETE FROM articles WHERE id = $1", &[&id])
                .await?
                > 0)
        })
    }

    fn scan_meta(
        &self,
        visit: &mut dyn FnMut(MetaRow),
        bad: &mut dyn FnMut(BadRow),
    ) -> Result<u64, StoreError> {
        let (cursor, rows) = self.with("scan", async |c| scan(c).await)?;
        let read = |found: &mut dyn FnMut(rows::ArticleColumns)| {
            rows.into_iter().for_each(found);
            Ok::<(), std::convert::Infallible>(())
        };
        let Ok(()) = rows::check_meta_in_order(read, visit, bad);
        Ok(cursor)
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let sql = format!(
            "SELECT {} FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            change_columns()
        );
        let rows = self.with("changes", async |c| {
            c.query(&sql, &[&(cursor as i64), &(limit as i64)]).await
        })?;
        Ok(rows.iter().map(change).collect())
    }

    fn departures(&self, upto: u64) -> Result<Vec<Change>, StoreError> {
        let sql = format!(
            "SELECT {} FROM change_log WHERE seq <= $1 AND (old_authors IS NOT NULL OR op = 'truncate') ORDER BY seq",
            change_columns()
        );
        let rows = self.with("departures", async |c| {
            c.query(&sql, &[&(upto as i64)]).await
        })?;
        Ok(rows.iter().map(change).collect())
    }

    fn floor(&self) -> Result<u64, StoreError> {
        let row = self.with("floor", async |c| {
            c.query_one("SELECT seq FROM change_log_floor", &[]).await
        })?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = before.to_rfc3339();
        self.with("prune", async |c| {
            let tx = c.transaction().await?;
            let last: Option<i64> = tx
                .query_one(
                    "SELECT max(seq) FROM change_log WHERE at < $1::text::timestamptz",
                    &[&before],
                )
                .await?
                .get(0);
            let Some(last) = last else { return Ok(0) };
            let deleted = tx
                .execute("DELETE FROM change_log WHERE seq <= $1", &[&last])
                .await?;
            tx.execute(
                "UPDATE change_log_floor SET seq = GREATEST(seq, $1)",
                &[&last],
            )
            .await?;
            tx.commit().await?;
            Ok(deleted)
        })
    }

    fn read_rows(
        &self,
        ids: &[&str],
        with_bodies: bool,
    ) -> Result<Vec<Result<Article, BadRow>>, StoreError> {
        let sql = format!("{} WHERE id = ANY($1)", select(with_bodies));
        let rows = self.with("read rows", async |c| c.query(&sql, &[&ids]).await)?;
        Ok(rows
            .iter()
            .map(|r| rows::article(article_columns(r)))
            .collect())
    }

    fn latest_seq(&self) -> Result<u64, StoreError> {
        let row = self.with("latest seq", async |c| c.query_one(LATEST_SEQ, &[]).await)?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let row = self.with("count", async |c| {
            c.query_one("SELECT count(*) FROM articles", &[]).await
        })?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn subscriptions(&self) -> &dyn super::Subscriptions {
        self
    }

    fn submissions(&self) -> &dyn super::Submissions {
        self
    }

    fn listen(&self, on_change: Box<dyn Fn() -> bool + Send>) {
        PostgresStore::listen(self, on_change)
    }
}
