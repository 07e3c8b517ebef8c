//! SQLite SQL of IndexNow's queue (see `submissions`). Every statement runs on
//! the one writer connection: a claim is one `UPDATE … RETURNING`, which
//! SQLite runs under its write lock, so two processes on one file never claim
//! the same URL.

use super::StoreError;
use super::sqlite::SqliteStore;
use super::submissions::Submissions;
use rusqlite::params;

const CLAIM: &str = "UPDATE indexnow_queue SET claimed_by = ?1, claim_until = ?3 \
    WHERE url IN (SELECT url FROM indexnow_queue WHERE due <= ?2 AND claim_until <= ?2 \
    ORDER BY due LIMIT ?4) RETURNING url";

impl Submissions for SqliteStore {
    fn enable(&self) -> Result<(), StoreError> {
        self.writer()
            .execute(
                "UPDATE indexnow_switch SET enabled = 1 WHERE enabled = 0",
                [],
            )
            .map_err(self.write_err("IndexNow enable"))?;
        Ok(())
    }

    fn claim(
        &self,
        owner: &str,
        now: i64,
        claim_until: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let writer = self.writer();
        let mut stmt = writer
            .prepare_cached(CLAIM)
            .map_err(self.write_err("IndexNow claim"))?;
        let rows = stmt
            .query_map(params![owner, now, claim_until, limit as i64], |r| r.get(0))
            .map_err(self.write_err("IndexNow claim"))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(self.write_err("IndexNow claim"))
    }

    fn submitted(&self, owner: &str, urls: &[String]) -> Result<u64, StoreError> {
        let urls = serde_json::to_string(urls).unwrap_or_else(|_| "[]".into());
        let n = self
            .writer()
            .execute(
                "DELETE FROM indexnow_queue WHERE claimed_by = ?1 \
                 AND url IN (SELECT value FROM json_each(?2))",
                params![owner, urls],
            )
            .map_err(self.write_err("IndexNow submitted"))?;
        Ok(n as u64)
    }

    fn prune(&self, before: i64) -> Result<u64, StoreError> {
        let n = self
            .writer()
            .execute(
                "DELETE FROM indexnow_queue WHERE due < ?1 AND queued_at < ?1",
                [before],
            )
            .map_err(self.write_err("IndexNow prune"))?;
        Ok(n as u64)
    }

    fn queued(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .writer()
            .query_row("SELECT count(*) FROM indexnow_queue", [], |r| r.get(0))
            .map_err(self.write_err("IndexNow queued"))?;
        Ok(n as u64)
    }
}
