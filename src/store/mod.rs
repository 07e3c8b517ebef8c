//! The article store: SQL and nothing else.
//!
//! Owns: the schema (numbered migrations, one file per dialect), upserts and
//! deletes, reads of article metadata, bodies and links by id, and the change log
//! (`changes_since(cursor)`), which triggers maintain so that writes by any
//! program are seen, its pruning and floor; the built-in WebSub hub's
//! subscriptions and pending deliveries (`subscriptions`); IndexNow's queue of
//! URLs to submit (`submissions`), which triggers fill. Must not: decide visibility, render, or read the clock.

mod pg_bulk;
mod pg_listen;
mod pg_rows;
mod pg_tls;
mod postgres;
mod postgres_hub;
mod postgres_indexnow;
mod rows;
mod sqlite;
mod sqlite_checkpoint;
mod sqlite_hub;
mod sqlite_indexnow;
mod sqlite_rows;
mod submissions;
mod subscriptions;

pub use crate::model::LinkRow;
use crate::model::{Article, FieldError};
use chrono::{DateTime, Utc};
use thiserror::Error;

pub use crate::config::StoreUrl;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use submissions::Submissions;
pub use subscriptions::{Claimed, Failure, NewSubscription, Subscriptions};

/// A store failure, naming the store and the operation.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error(
        "{location}: cannot open the store ({source}); check store.url, that the store is reachable and that it lets syndic in (file permissions, pg_hba.conf)"
    )]
    Open {
        location: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A migration failed.
    #[error("{location}: migration {version} failed: {source}")]
    Migration {
        location: String,
        version: usize,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another writer held the lock a write needed for longer than the bound;
    /// nothing was written.
    #[error(
        "{location}: {operation}: another writer held the store's lock for over {} s ([store] lock_timeout_seconds); nothing was written. Another `syndic import`, `serve`, or a program in a long write transaction holds it: retry, or find and end that transaction",
        waited.as_secs()
    )]
    Locked {
        location: String,
        operation: &'static str,
        waited: std::time::Duration,
    },
    /// Any other database error during `operation`.
    #[error("store {operation}: {source}")]
    Sqlite {
        operation: &'static str,
        source: rusqlite::Error,
    },
    /// Any other PostgreSQL error during `operation`.
    #[error("store {operation}: {}", describe(.source))]
    Postgres {
        operation: &'static str,
        source: tokio_postgres::Error,
    },
    /// The store is unreachable right now (a later attempt may succeed).
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// An error and its causes on one line ("db error: ERROR: …"): drivers and
/// pools put the useful part in the causes.
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// A row the store holds that does not form a valid article (written by another program).
#[derive(Debug)]
pub struct BadRow {
    /// The row's `id`.
    pub id: String,
    /// What is wrong with it.
    pub errors: Vec<FieldError>,
}

/// What the index needs of one article: identity, dates, status and terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaRow {
    /// Article id.
    pub id: String,
    /// First publication.
    pub published_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
    /// Stored as a draft.
    pub draft: bool,
    /// Section display name.
    pub(crate) section: Option<String>,
    /// Author display names, distinct by slug.
    pub authors: Vec<String>,
    /// Tag display names, distinct by slug.
    pub(crate) tags: Vec<String>,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position in the log; strictly increasing.
    pub seq: u64,
    /// The article written.
    pub article_id: String,
    /// When it was written, by the database's clock, to the second.
    pub at: DateTime<Utc>,
    /// Where the article was before, when this change may have taken it out of
    /// documents (a delete, a rename, or a new section, authors, tags, status or
    /// first publication); `None` for other writes.
    pub left: Option<Departure>,
    /// A PostgreSQL `TRUNCATE` marker: every article left every document.
    pub(crate) truncate: bool,
}

/// Where an article was before a change took it out of documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    /// Its section.
    pub section: Option<String>,
    /// Its authors (empty when the stored text was not a JSON list of strings).
    pub authors: Vec<String>,
    /// Its tags (likewise).
    pub tags: Vec<String>,
    /// Its first publication (`None` when the stored text was not a date).
    pub published_at: Option<DateTime<Utc>>,
}

/// Outcome of an upsert batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    /// New articles.
    pub inserted: usize,
    /// Existing articles whose record changed.
    pub updated: usize,
    /// Existing articles sent again unchanged (nothing written).
    pub unchanged: usize,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// The operations every backend provides. Blocking: call from a blocking thread.
pub trait Store: Send + Sync {
    /// Inserts or updates each article by id, in one transaction.
    fn upsert(&self, articles: &[Article]) -> Result<UpsertCounts, StoreError> {
        let digests: Vec<String> = articles.iter().map(Article::digest).collect();
        self.upsert_digested(articles, &digests)
    }
    /// [`Store::upsert`] with each article's [`Article::digest`] already made
    /// (a bulk import hashes on its reading thread, not on the one writer).
    fn upsert_digested(
        &self,
        articles: &[Article],
        digests: &[String],
    ) -> Result<UpsertCounts, StoreError>;
    /// Deletes an article; whether it existed.
    fn delete(&self, id: &str) -> Result<bool, StoreError>;
    /// Visits the metadata of every stored article, in one consistent snapshot, and
    /// returns the change-log cursor of that snapshot. Invalid rows go to `bad`.
    fn scan_meta(
        &self,
        visit: &mut dyn FnMut(MetaRow),
        bad: &mut dyn FnMut(BadRow),
    ) -> Result<u64, StoreError>;
    /// Change-log entries after `cursor`, oldest first, at most `limit`.
    fn changes_since(&self, cursor: u64, limit: usize) -> Result<Vec<Change>, StoreError>;
    /// The rows with these ids, each validated as an article; `with_bodies` false
    /// leaves summary and HTML out (the index and sitemaps do not need them).
    /// Absent ids are skipped.
    fn read_rows(
        &self,
        ids: &[&str],
        with_bodies: bool,
    ) -> Result<Vec<Result<Article, BadRow>>, StoreError>;
    /// Metadata of these articles (absent ids are skipped; invalid rows reported).
    fn meta(&self, ids: &[&str]) -> Result<(Vec<MetaRow>, Vec<BadRow>), StoreError> {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for row in self.read_rows(ids, false)? {
            match row {
                Ok(a) => good.push(rows::meta(a)),
                Err(b) => bad.push(b),
            }
        }
        Ok((good, bad))
    }
    /// Full articles (absent or invalid ids are skipped).
    fn articles(&self, ids: &[&str]) -> Result<Vec<Article>, StoreError> {
        Ok(self.read_rows(ids, true)?.into_iter().flatten().collect())
    }
    /// Sitemap rows of these articles (absent or invalid ids are skipped).
    fn links(&self, ids: &[&str]) -> Result<Vec<LinkRow>, StoreError> {
        Ok(self
            .read_rows(ids, false)?
            .into_iter()
            .flatten()
            .map(rows::link)
            .collect())
    }
    /// The newest change-log position (0 for an empty log; never below the floor).
    fn latest_seq(&self) -> Result<u64, StoreError>;
    /// The log's floor: the highest position pruned, or the marker of a
    /// PostgreSQL `TRUNCATE`. Entries at or below it may be gone: a reader whose
    /// cursor is below it must reload from a full scan. Read it after the changes.
    fn floor(&self) -> Result<u64, StoreError>;
    /// Deletes the log entries written before `before` and raises the floor to
    /// the highest of them, in one transaction; returns how many were deleted.
    fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// The entries up to `upto` (inclusive) that carry a [`Departure`] or are a
    /// `TRUNCATE` marker, oldest first: what a full pass folds into documents'
    /// change times.
    fn departures(&self, upto: u64) -> Result<Vec<Change>, StoreError>;
    /// Number of stored articles.
    fn count(&self) -> Result<u64, StoreError>;
    /// Settles a bulk write: SQLite folds its write-ahead log into the database
    /// and truncates it, so that readers stop searching a log of every page the
    /// import wrote (a tenth of a following build's CPU at a million articles).
    /// Backends with nothing to settle do nothing.
    fn settle(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// How many threads an import may write with at once, each its own share
    /// of the ids in its own transactions: one where writers take turns
    /// (SQLite), more where the server writes in parallel (PostgreSQL).
    fn bulk_writers(&self) -> usize {
        1
    }
    /// The built-in WebSub hub's subscriptions and deliveries, in this store.
    fn subscriptions(&self) -> &dyn Subscriptions;
    /// IndexNow's queue of URLs to submit, in this store.
    fn submissions(&self) -> &dyn Submissions;
    /// Calls `on_change` whenever another writer commits, until it returns false.
    /// Backends without notifications do nothing: the watch loop polls them.
    fn listen(&self, on_change: Box<dyn Fn() -> bool + Send>) {
        let _ = on_change;
    }
}

/// How long a write waits, by default, for a lock another writer holds.
pub(crate) const DEFAULT_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Bounds a store is opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// PostgreSQL connections kept for queries (SQLite has its own fixed set).
    pub pool_size: usize,
    /// How long a write waits for another writer's lock before it is refused,
    /// with nothing written (SQLite's busy timeout, PostgreSQL's `lock_timeout`).
    pub lock_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            pool_size: 4,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

impl From<&crate::config::Store> for Limits {
    fn from(c: &crate::config::Store) -> Self {
        Limits {
            pool_size: c.pool_size,
            lock_timeout: std::time::Duration::from_secs(c.lock_timeout_seconds.into()),
        }
    }
}

/// Opens the store named by a `[store] url`, within `limits`.
pub fn open(url: &StoreUrl, limits: Limits) -> Result<Box<dyn Store>, StoreError> {
    Ok(match url {
        StoreUrl::Sqlite(path) => Box::new(SqliteStore::open_with(
            &path.to_string_lossy(),
            limits.lock_timeout,
        )?),
        StoreUrl::Postgres(pg) => Box::new(PostgresStore::open(pg, limits)?),
    })
}
