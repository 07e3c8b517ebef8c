-- IndexNow submissions waiting to be sent, one row per URL, filled by triggers
-- in the transaction of the article write (so writes by any program count):
-- the URL of an article published or updated (due when it is visible: its
-- published_at, an embargo's lifting), and the URL an article leaves when it is
-- deleted, unpublished (set to draft) or moved to another URL, if it was
-- published. A draft never published is never queued. A replica claims due
-- rows (claimed_by, claim_until: a lease, so a crashed replica's claim lapses),
-- sends them, and deletes them only once the endpoint accepted them. A write
-- to a queued URL clears its claim: the newer change is sent again.
-- The queue is filled only once a `serve` with [indexnow] has run on the store
-- (indexnow_switch.enabled); rows due and queued before the change log's
-- retention are pruned with it. Times are milliseconds since the Unix epoch
-- (a published_at SQLite cannot read counts as due at once).
CREATE TABLE indexnow_queue (
    url         TEXT PRIMARY KEY NOT NULL,
    due         INTEGER NOT NULL,
    queued_at   INTEGER NOT NULL,
    claimed_by  TEXT,
    claim_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX indexnow_queue_due ON indexnow_queue (due);

CREATE TABLE indexnow_switch (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    enabled INTEGER NOT NULL
);
INSERT INTO indexnow_switch (one, enabled) VALUES (1, 0);

CREATE TRIGGER articles_indexnow_insert AFTER INSERT ON articles
    WHEN NEW.status = 'published' AND (SELECT enabled FROM indexnow_switch) BEGIN
    INSERT INTO indexnow_queue (url, due, queued_at)
        SELECT NEW.url,
            coalesce(CAST(round((julianday(NEW.published_at) - 2440587.5) * 86400000) AS INTEGER),
                CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)),
            CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)
        WHERE true
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
END;

CREATE TRIGGER articles_indexnow_update AFTER UPDATE ON articles
    WHEN (NEW.status = 'published' OR OLD.status = 'published')
        AND (SELECT enabled FROM indexnow_switch) BEGIN
    INSERT INTO indexnow_queue (url, due, queued_at)
        SELECT OLD.url,
            coalesce(CAST(round((julianday(OLD.published_at) - 2440587.5) * 86400000) AS INTEGER),
                CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)),
            CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)
        WHERE OLD.status = 'published' AND (NEW.status IS NOT 'published' OR NEW.url IS NOT OLD.url)
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
    INSERT INTO indexnow_queue (url, due, queued_at)
        SELECT NEW.url,
            coalesce(CAST(round((julianday(NEW.published_at) - 2440587.5) * 86400000) AS INTEGER),
                CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)),
            CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)
        WHERE NEW.status = 'published'
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
END;

CREATE TRIGGER articles_indexnow_delete AFTER DELETE ON articles
    WHEN OLD.status = 'published' AND (SELECT enabled FROM indexnow_switch) BEGIN
    INSERT INTO indexnow_queue (url, due, queued_at)
        SELECT OLD.url,
            coalesce(CAST(round((julianday(OLD.published_at) - 2440587.5) * 86400000) AS INTEGER),
                CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)),
            CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)
        WHERE true
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
END;
