-- WebSub subscriptions of the built-in hub (one row per topic and callback),
-- with their delivery state. Each time a replica renders the topic after a
-- change it marks the row (marks + 1, pending_seq = the change-log position it
-- rendered); a delivery is pending while marks > delivered_marks. It is claimed
-- (claimed_by, claim_until) before it is sent, so one replica sends it, and
-- only by a replica that has rendered up to pending_seq; a claim left by a
-- crashed replica lapses at claim_until. What the subscriber was sent is
-- `delivered` (item id -> version): the next diff holds only the items new or
-- changed since, so a second mark of the same change sends nothing.
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
    marks           INTEGER NOT NULL DEFAULT 0,
    delivered_marks INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER,
    claimed_by      TEXT,
    claim_until     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (topic, callback)
);
CREATE INDEX websub_subscriptions_host ON websub_subscriptions (callback_host);
CREATE INDEX websub_subscriptions_topic ON websub_subscriptions (topic);
CREATE INDEX websub_subscriptions_pending ON websub_subscriptions (next_attempt_at)
    WHERE marks > delivered_marks;
