//! SQLite SQL of the built-in hub's subscriptions (see `subscriptions`).
//! Every statement runs on the one writer connection: a claim is one
//! `UPDATE … RETURNING`, which SQLite runs under its write lock, so two
//! processes on one file never claim the same row.

use super::StoreError;
use super::sqlite::SqliteStore;
use super::subscriptions::{Claimed, Failure, NewSubscription, Subscriptions};
use rusqlite::params;

const SUBSCRIBE: &str = "INSERT INTO websub_subscriptions \
    (topic, callback, callback_host, secret, lease_seconds, expires_at, delivered, pending_seq) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
    ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, \
    lease_seconds = excluded.lease_seconds, expires_at = excluded.expires_at";

const CLAIM: &str = "UPDATE websub_subscriptions SET claimed_by = ?1, claim_until = ?4 \
    WHERE id IN (SELECT id FROM websub_subscriptions WHERE marks > delivered_marks \
    AND pending_seq <= ?2 AND next_attempt_at <= ?3 AND claim_until <= ?3 AND expires_at > ?3 \
    ORDER BY next_attempt_at LIMIT ?5) \
    RETURNING id, topic, callback, secret, delivered, pending_seq, marks, attempts, failing_since";

impl Subscriptions for SqliteStore {
    fn subscribe(&self, s: &NewSubscription) -> Result<(), StoreError> {
        self.writer()
            .execute(
                SUBSCRIBE,
                params![
                    s.topic,
                    s.callback,
                    s.callback_host,
                    s.secret,
                    s.lease_seconds,
                    s.expires_at,
                    s.delivered,
                    s.seq
                ],
            )
            .map_err(self.write_err("websub subscribe"))?;
        Ok(())
    }

    fn unsubscribe(&self, topic: &str, callback: &str) -> Result<bool, StoreError> {
        let n = self
            .writer()
            .execute(
                "DELETE FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2",
                params![topic, callback],
            )
            .map_err(self.write_err("websub unsubscribe"))?;
        Ok(n > 0)
    }

    fn count_for_host(
        &self,
        host: &str,
        topic: &str,
        callback: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let n: i64 = self
            .writer()
            .query_row(
                "SELECT count(*) FROM websub_subscriptions WHERE callback_host = ?1 \
                 AND expires_at > ?4 AND NOT (topic = ?2 AND callback = ?3)",
                params![host, topic, callback, now],
                |r| r.get(0),
            )
            .map_err(self.write_err("websub count per host"))?;
        Ok(n as u64)
    }

    fn count_live(&self, now: i64) -> Result<u64, StoreError> {
        let n: i64 = self
            .writer()
            .query_row(
                "SELECT count(*) FROM websub_subscriptions WHERE expires_at > ?1",
                [now],
                |r| r.get(0),
            )
            .map_err(self.write_err("websub count"))?;
        Ok(n as u64)
    }

    fn mark_changed(&self, topics: &[String], seq: i64, now: i64) -> Result<u64, StoreError> {
        let topics = serde_json::to_string(topics).unwrap_or_else(|_| "[]".into());
        let n = self
            .writer()
            .execute(
                "UPDATE websub_subscriptions SET marks = marks + 1, pending_seq = max(pending_seq, ?2) \
                 WHERE topic IN (SELECT value FROM json_each(?1)) \
                 AND expires_at > ?3",
                params![topics, seq, now],
            )
            .map_err(self.write_err("websub mark changed"))?;
        Ok(n as u64)
    }

    fn claim(
        &self,
        owner: &str,
        cursor: i64,
        now: i64,
        claim_until: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let writer = self.writer();
        let mut stmt = writer
            .prepare_cached(CLAIM)
            .map_err(self.write_err("websub claim"))?;
        let rows = stmt
            .query_map(
                params![owner, cursor, now, claim_until, limit as i64],
                |r| {
                    Ok(Claimed {
                        id: r.get(0)?,
                        topic: r.get(1)?,
                        callback: r.get(2)?,
                        secret: r.get(3)?,
                        delivered: r.get(4)?,
                        pending_seq: r.get(5)?,
                        marks: r.get(6)?,
                        attempts: r.get(7)?,
                        failing_since: r.get(8)?,
                    })
                },
            )
            .map_err(self.write_err("websub claim"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.write_err("websub claim"))
    }

    fn delivered(
        &self,
        id: i64,
        owner: &str,
        marks: i64,
        delivered: &str,
    ) -> Result<(), StoreError> {
        self.writer()
            .execute(
                "UPDATE websub_subscriptions SET delivered_marks = ?3, \
                 delivered = ?4, attempts = 0, failing_since = NULL, next_attempt_at = 0, \
                 claimed_by = NULL, claim_until = 0 WHERE id = ?1 AND claimed_by = ?2",
                params![id, owner, marks, delivered],
            )
            .map_err(self.write_err("websub delivered"))?;
        Ok(())
    }

    fn failed(&self, id: i64, owner: &str, now: i64, failure: Failure) -> Result<(), StoreError> {
        let writer = self.writer();
        let result = match failure {
            Failure::Drop => writer.execute(
                "DELETE FROM websub_subscriptions WHERE id = ?1 AND claimed_by = ?2",
                params![id, owner],
            ),
            Failure::RetryAt(at) => writer.execute(
                "UPDATE websub_subscriptions SET attempts = attempts + 1, \
                 failing_since = coalesce(failing_since, ?3), next_attempt_at = ?4, \
                 claimed_by = NULL, claim_until = 0 WHERE id = ?1 AND claimed_by = ?2",
                params![id, owner, now, at],
            ),
        };
        result.map_err(self.write_err("websub failed"))?;
        Ok(())
    }

    fn expire(&self, now: i64) -> Result<u64, StoreError> {
        let n = self
            .writer()
            .execute(
                "DELETE FROM websub_subscriptions WHERE expires_at <= ?1",
                [now],
            )
            .map_err(self.write_err("websub expire"))?;
        Ok(n as u64)
    }
}
