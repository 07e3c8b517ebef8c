//! PostgreSQL SQL of the built-in hub's subscriptions (see `subscriptions`).
//! A claim locks the rows it takes with `FOR UPDATE SKIP LOCKED`: replicas
//! claiming at once take disjoint rows and never wait on each other.

use super::StoreError;
use super::postgres::PostgresStore;
use super::subscriptions::{Claimed, Failure, NewSubscription, Subscriptions};

const SUBSCRIBE: &str = "INSERT INTO websub_subscriptions \
    (topic, callback, callback_host, secret, lease_seconds, expires_at, delivered, pending_seq) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
    ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, \
    lease_seconds = excluded.lease_seconds, expires_at = excluded.expires_at";

const CLAIM: &str = "UPDATE websub_subscriptions s SET claimed_by = $1, claim_until = $4 \
    FROM (SELECT id FROM websub_subscriptions WHERE marks > delivered_marks \
    AND pending_seq <= $2 AND next_attempt_at <= $3 AND claim_until <= $3 AND expires_at > $3 \
    ORDER BY next_attempt_at LIMIT $5 FOR UPDATE SKIP LOCKED) c WHERE s.id = c.id \
    RETURNING s.id, s.topic, s.callback, s.secret, s.delivered, s.pending_seq, s.marks, s.attempts, s.failing_since";

impl Subscriptions for PostgresStore {
    fn subscribe(&self, s: &NewSubscription) -> Result<(), StoreError> {
        self.with("websub subscribe", async |c| {
            c.execute(
                SUBSCRIBE,
                &[
                    &s.topic,
                    &s.callback,
                    &s.callback_host,
                    &s.secret,
                    &s.lease_seconds,
                    &s.expires_at,
                    &s.delivered,
                    &s.seq,
                ],
            )
            .await
        })?;
        Ok(())
    }

    fn unsubscribe(&self, topic: &str, callback: &str) -> Result<bool, StoreError> {
        let n = self.with("websub unsubscribe", async |c| {
            c.execute(
                "DELETE FROM websub_subscriptions WHERE topic = $1 AND callback = $2",
                &[&topic, &callback],
            )
            .await
        })?;
        Ok(n > 0)
    }

    fn count_for_host(
        &self,
        host: &str,
        topic: &str,
        callback: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let n: i64 = self.with("websub count per host", async |c| {
            let row = c
                .query_one(
                    "SELECT count(*) FROM websub_subscriptions WHERE callback_host = $1 \
                     AND expires_at > $4 AND NOT (topic = $2 AND callback = $3)",
                    &[&host, &topic, &callback, &now],
                )
                .await?;
            Ok(row.get(0))
        })?;
        Ok(n as u64)
    }

    fn count_live(&self, now: i64) -> Result<u64, StoreError> {
        let n: i64 = self.with("websub count", async |c| {
            let row = c
                .query_one(
                    "SELECT count(*) FROM websub_subscriptions WHERE expires_at > $1",
                    &[&now],
                )
                .await?;
            Ok(row.get(0))
        })?;
        Ok(n as u64)
    }

    fn mark_changed(&self, topics: &[String], seq: i64, now: i64) -> Result<u64, StoreError> {
        self.with("websub mark changed", async |c| {
            c.execute(
                "UPDATE websub_subscriptions SET marks = marks + 1, pending_seq = greatest(pending_seq, $2) \
                 WHERE topic = ANY($1) AND expires_at > $3",
                &[&topics, &seq, &now],
            )
            .await
        })
    }

    fn claim(
        &self,
        owner: &str,
        cursor: i64,
        now: i64,
        claim_until: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let limit = limit as i64;
        let rows = self.with("websub claim", async |c| {
            c.query(CLAIM, &[&owner, &cursor, &now, &claim_until, &limit])
                .await
        })?;
        Ok(rows
            .iter()
            .map(|r| Claimed {
                id: r.get(0),
                topic: r.get(1),
                callback: r.get(2),
                secret: r.get(3),
                delivered: r.get(4),
                pending_seq: r.get(5),
                marks: r.get(6),
                attempts: r.get(7),
                failing_since: r.get(8),
            })
            .collect())
    }

    fn delivered(
        &self,
        id: i64,
        owner: &str,
        marks: i64,
        delivered: &str,
    ) -> Result<(), StoreError> {
        self.with("websub delivered", async |c| {
            c.execute(
                "UPDATE websub_subscriptions SET delivered_marks = $3, \
                 delivered = $4, attempts = 0, failing_since = NULL, next_attempt_at = 0, \
                 claimed_by = NULL, claim_until = 0 WHERE id = $1 AND claimed_by = $2",
                &[&id, &owner, &marks, &delivered],
            )
            .await
        })?;
        Ok(())
    }

    fn failed(&self, id: i64, owner: &str, now: i64, failure: Failure) -> Result<(), StoreError> {
        self.with("websub failed", async |c| match failure {
            Failure::Drop => {
                c.execute(
                    "DELETE FROM websub_subscriptions WHERE id = $1 AND claimed_by = $2",
                    &[&id, &owner],
                )
                .await
            }
            Failure::RetryAt(at) => {
                c.execute(
                    "UPDATE websub_subscriptions SET attempts = attempts + 1, \
                     failing_since = coalesce(failing_since, $3), next_attempt_at = $4, \
                     claimed_by = NULL, claim_until = 0 WHERE id = $1 AND claimed_by = $2",
                    &[&id, &owner, &now, &at],
                )
                .await
            }
        })?;
        Ok(())
    }

    fn expire(&self, now: i64) -> Result<u64, StoreError> {
        self.with("websub expire", async |c| {
            c.execute(
                "DELETE FROM websub_subscriptions WHERE expires_at <= $1",
                &[&now],
            )
            .await
        })
    }
}
