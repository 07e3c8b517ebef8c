//! PostgreSQL SQL of IndexNow's queue (see `submissions`). A claim locks the
//! rows it takes with `FOR UPDATE SKIP LOCKED`: replicas claiming at once take
//! disjoint URLs and never wait on each other.

use super::StoreError;
use super::postgres::PostgresStore;
use super::submissions::Submissions;

const CLAIM: &str = "UPDATE indexnow_queue q SET claimed_by = $1, claim_until = $3 \
    FROM (SELECT url FROM indexnow_queue WHERE due <= $2 AND claim_until <= $2 \
    ORDER BY due LIMIT $4 FOR UPDATE SKIP LOCKED) c WHERE q.url = c.url RETURNING q.url";

impl Submissions for PostgresStore {
    fn enable(&self) -> Result<(), StoreError> {
        self.with("IndexNow enable", async |c| {
            c.execute(
                "UPDATE indexnow_switch SET enabled = true WHERE NOT enabled",
                &[],
            )
            .await
        })?;
        Ok(())
    }

    fn claim(
        &self,
        owner: &str,
        now: i64,
        claim_until: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let limit = limit as i64;
        let rows = self.with("IndexNow claim", async |c| {
            c.query(CLAIM, &[&owner, &now, &claim_until, &limit]).await
        })?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn submitted(&self, owner: &str, urls: &[String]) -> Result<u64, StoreError> {
        self.with("IndexNow submitted", async |c| {
            c.execute(
                "DELETE FROM indexnow_queue WHERE claimed_by = $1 AND url = ANY($2)",
                &[&owner, &urls],
            )
            .await
        })
    }

    fn prune(&self, before: i64) -> Result<u64, StoreError> {
        self.with("IndexNow prune", async |c| {
            c.execute(
                "DELETE FROM indexnow_queue WHERE due < $1 AND queued_at < $1",
                &[&before],
            )
            .await
        })
    }

    fn queued(&self) -> Result<u64, StoreError> {
        let n: i64 = self.with("IndexNow queued", async |c| {
            c.query_one("SELECT count(*) FROM indexnow_queue", &[])
                .await
                .map(|r| r.get(0))
        })?;
        Ok(n as u64)
    }
}
