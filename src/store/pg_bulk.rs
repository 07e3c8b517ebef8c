//! PostgreSQL upserts: a batch in one transaction, written row by row when it is
//! small (an API write) and, when it is large (an import), streamed with binary
//! `COPY`: the records of ids not stored straight into `articles`, the others
//! into a temporary staging table, moved into `articles` by one
//! `INSERT … ON CONFLICT` statement. A few round trips per batch instead of one
//! per row. The change-log triggers run once per statement (migration 0005) and
//! log every row written; records identical to the stored ones are not written
//! (nor logged).

use super::UpsertCounts;
use super::rows::{self, StoredValues};
use crate::model::Article;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Object, Transaction};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

/// Below this many rows to write, a batch is written row by row (no staging).
const COPY_FROM: usize = 32;

/// The columns written, in this order, into `articles` and the staging table.
const COLUMNS: &str = "id, url, title, summary, content_html, authors, section, tags, \
     published_at, updated_at, language, image, status, digest";

const UPDATE_ALL: &str = "ON CONFLICT (id) DO UPDATE SET url=excluded.url, title=excluded.title, \
     summary=excluded.summary, content_html=excluded.content_html, authors=excluded.authors, \
     section=excluded.section, tags=excluded.tags, published_at=excluded.published_at, \
     updated_at=excluded.updated_at, language=excluded.language, image=excluded.image, \
     status=excluded.status, digest=excluded.digest";

/// The staging table: every column as text (dates are cast by the server, as
/// the row-by-row statement does), emptied at every commit, one per connection.
const STAGE: &str = "CREATE TEMP TABLE IF NOT EXISTS syndic_stage (\
     id TEXT, url TEXT, title TEXT, summary TEXT, content_html TEXT, authors TEXT, section TEXT, \
     tags TEXT, published_at TEXT, updated_at TEXT, language TEXT, image TEXT, status TEXT, \
     digest TEXT) ON COMMIT DELETE ROWS";

/// One probe of the id index per id: an import fills a table whose statistics
/// lag behind, and `id = ANY($1)` was planned as a scan of the whole table.
const STORED_DIGESTS: &str = "SELECT a.id, a.digest FROM unnest($1::text[]) AS u(id) \
     CROSS JOIN LATERAL (SELECT id, digest FROM articles WHERE articles.id = u.id LIMIT 1) a";

fn upsert_one() -> String {
    format!(
        "INSERT INTO articles ({COLUMNS}) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::text::timestamptz,$10::text::timestamptz,$11,$12,$13,$14) \
         {UPDATE_ALL}"
    )
}

fn upsert_staged() -> String {
    format!(
        "INSERT INTO articles ({COLUMNS}) \
         SELECT id, url, title, summary, content_html, authors, section, tags, \
         published_at::timestamptz, updated_at::timestamptz, language, image, status, digest \
         FROM pg_temp.syndic_stage {UPDATE_ALL}"
    )
}

/// Inserts or updates `articles` in one transaction; one round trip reads the
/// stored digests of the whole batch. A transaction PostgreSQL chose to fail
/// to break a deadlock with another writer (two batches writing the same ids
/// in different orders: an API batch during an import) is rolled back whole,
/// so it is run again, up to [`ATTEMPTS`] times.
pub(super) async fn upsert(
    client: &mut Object,
    articles: &[Article],
    digests: &[String],
) -> Result<UpsertCounts, tokio_postgres::Error> {
    let mut attempt = 1;
    loop {
        match upsert_once(client, articles, digests).await {
            Err(e) if lost_to_another_writer(&e) && attempt < ATTEMPTS => {
                tracing::warn!(attempt, error = %e, rows = articles.len(),
                    "upsert rolled back to break a deadlock with another writer; running it again");
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Runs of a batch that PostgreSQL fails to break a deadlock.
const ATTEMPTS: u64 = 5;

/// Whether the server failed the transaction only to let another one through
/// (a deadlock, or a serialization failure): running it again will do.
fn lost_to_another_writer(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::T_R_DEADLOCK_DETECTED) | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
    )
}

async fn upsert_once(
    client: &mut Object,
    articles: &[Article],
    digests: &[String],
) -> Result<UpsertCounts, tokio_postgres::Error> {
    let mut tx = client.transaction().await?;
    let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    let stored: HashMap<String, Option<String>> = tx
        .query(STORED_DIGESTS, &[&ids])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let known: HashSet<String> = stored.keys().cloned().collect();
    let (counts, writes) = rows::plan_upsert(articles, digests, stored);
    if writes.len() < COPY_FROM {
        let statement = tx.prepare(&upsert_one()).await?;
        for &i in &writes {
            let v = StoredValues::of(&articles[i], &digests[i]);
            tx.execute(&statement, &params(&v)).await?;
        }
    } else {
        // One statement may not write a row twice: of a record sent twice in
        // the batch, the last one is what the row-by-row path leaves stored.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(writes.len());
        for &i in &writes {
            last.insert(articles[i].id.as_str(), i);
        }
        let writes: Vec<usize> = writes
            .into_iter()
            .filter(|&i| last.get(articles[i].id.as_str()) == Some(&i))
            .collect();
        let (new, stored): (Vec<usize>, Vec<usize>) = writes
            .iter()
            .partition(|&&i| !known.contains(&articles[i].id));
        let rest = if copy_new(&mut tx, articles, digests, &new).await? {
            stored
        } else {
            writes
        };
        if !rest.is_empty() {
            stage(&tx, articles, digests, &rest).await?;
            tx.execute(&upsert_staged(), &[]).await?;
        }
    }
    tx.commit().await?;
    Ok(counts)
}

/// Copies records whose ids were not stored straight into `articles` (no
/// staging, no conflict handling). A record another writer inserted since the
/// digests were read makes the copy fail: it is rolled back and `false`
/// returned, for the caller to upsert everything through the staging table.
async fn copy_new(
    tx: &mut Transaction<'_>,
    articles: &[Article],
    digests: &[String],
    new: &[usize],
) -> Result<bool, tokio_postgres::Error> {
    if new.is_empty() {
        return Ok(true);
    }
    let savepoint = tx.savepoint("syndic_copy_new").await?;
    let copied = async {
        let sink = savepoint
            .copy_in(&format!(
                "COPY articles ({COLUMNS}) FROM STDIN (FORMAT binary)"
            ))
            .await?;
        let writer = BinaryCopyInWriter::new(sink, &TYPES);
        let mut writer = std::pin::pin!(writer);
        for &i in new {
            let v = StoredValues::of(&articles[i], &digests[i]);
            let (published, updated) = (
                system_time(articles[i].published_at),
                system_time(articles[i].updated_at),
            );
            let mut row = params(&v);
            (row[8], row[9]) = (&published, &updated);
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await
    }
    .await;
    match copied {
        Ok(_) => savepoint.commit().await.map(|()| true),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            savepoint.rollback().await.map(|()| false)
        }
        Err(e) => Err(e),
    }
}

/// Streams these records into the (emptied at commit) staging table.
async fn stage(
    tx: &Transaction<'_>,
    articles: &[Article],
    digests: &[String],
    rows: &[usize],
) -> Result<(), tokio_postgres::Error> {
    tx.batch_execute(STAGE).await?;
    let sink = tx
        .copy_in(&format!(
            "COPY pg_temp.syndic_stage ({COLUMNS}) FROM STDIN (FORMAT binary)"
        ))
        .await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::TEXT; 14]);
    let mut writer = std::pin::pin!(writer);
    for &i in rows {
        let v = StoredValues::of(&articles[i], &digests[i]);
        writer.as_mut().write(&params(&v)).await?;
    }
    writer.finish().await?;
    Ok(())
}

/// The types of [`COLUMNS`] in `articles`.
const TYPES: [Type; 14] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

/// A date as the driver sends a `timestamptz`, to the second as stored.
fn system_time(t: DateTime<Utc>) -> SystemTime {
    let seconds = Duration::from_secs(t.timestamp().unsigned_abs());
    if t.timestamp() >= 0 {
        UNIX_EPOCH + seconds
    } else {
        UNIX_EPOCH - seconds
    }
}

fn params<'a>(v: &'a StoredValues) -> [&'a (dyn ToSql + Sync); 14] {
    [
        &v.id,
        &v.url,
        &v.title,
        &v.summary,
        &v.content_html,
        &v.authors,
        &v.section,
        &v.tags,
        &v.published_at,
        &v.updated_at,
        &v.language,
        &v.image,
        &v.status,
        &v.digest,
    ]
}
