-- WebSub subscriptions of the built-in hub (one row per topic and callback),
-- with their delivery state: a delivery is pending while pending_seq (the
-- change-log position of the topic's last change) is above delivered_seq.
-- Replicas share the rows: marking a change is idempotent (max), and a
-- delivery is claimed (claimed_by, claim_until) before it is sent, so one
-- replica sends it; a claim left by a crashed replica lapses at claim_until.
-- Times are milliseconds since the Unix epoch, by the hub's clock.
CREATE TABLE websub_subscriptions (
    id              INTEGER PRIMARY KEY,
    topic           TEXT NOT NULL,
    callback        TEXT NOT NULL,
    callback_host   TEXT NOT NULL,
    secret          TEXT,
    lease_seconds   INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    delivered       TEXT NOT NULL DEFAULT '{}',
    pending_seq     INTEGER NOT NULL DEFAULT 0,
    delivered_seq   INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER,
    claimed_by      TEXT,
    claim_until     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (topic, callback)
);
CREATE INDEX websub_subscriptions_host ON websub_subscriptions (callback_host);
CREATE INDEX websub_subscriptions_pending ON websub_subscriptions (pending_seq)
    WHERE pending_seq > delivered_seq;
