//! PostgreSQL upserts: a batch in one transaction, written row by row when it is
//! small (an API write) and, when it is large (an import), streamed with binary
//! `COPY` into a temporary staging table and moved into `articles` by one
//! `INSERT … ON CONFLICT` statement: a few round trips per batch instead of one
//! per row. Either way the change-log triggers fire once per row written, and
//! records identical to the stored ones are not written (nor logged).

use super::UpsertCounts;
use super::rows::{self, StoredValues};
use crate::model::Article;
use deadpool_postgres::Object;
use std::collections::HashMap;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
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
/// stored digests of the whole batch.
pub(super) async fn upsert(
    client: &mut Object,
    articles: &[Article],
    digests: &[String],
) -> Result<UpsertCounts, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    let stored: HashMap<String, Option<String>> = tx
        .query(
            "SELECT id, digest FROM articles WHERE id = ANY($1)",
            &[&ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let (counts, writes) = rows::plan_upsert(articles, digests, stored);
    let values = writes
        .iter()
        .map(|&i| StoredValues::of(&articles[i], &digests[i]));
    if writes.len() < COPY_FROM {
        let statement = tx.prepare(&upsert_one()).await?;
        for v in values {
            tx.execute(&statement, &params(&v)).await?;
        }
    } else {
        // One statement may not update a row twice: of a record sent twice in
        // the batch, the last one is what the row-by-row path leaves stored.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(writes.len());
        for (n, &i) in writes.iter().enumerate() {
            last.insert(articles[i].id.as_str(), n);
        }
        let values = values
            .enumerate()
            .filter(|(n, v)| last.get(v.id) == Some(n))
            .map(|(_, v)| v);
        tx.batch_execute(STAGE).await?;
        let sink = tx
            .copy_in(&format!(
                "COPY pg_temp.syndic_stage ({COLUMNS}) FROM STDIN (FORMAT binary)"
            ))
            .await?;
        let writer = BinaryCopyInWriter::new(sink, &[Type::TEXT; 14]);
        let mut writer = std::pin::pin!(writer);
        for v in values {
            writer.as_mut().write(&params(&v)).await?;
        }
        writer.finish().await?;
        tx.execute(&upsert_staged(), &[]).await?;
    }
    tx.commit().await?;
    Ok(counts)
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
