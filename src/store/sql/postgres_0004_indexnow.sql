-- IndexNow submissions waiting to be sent, one row per URL, filled by a trigger
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
-- retention are pruned with it. Times are milliseconds since the Unix epoch.
CREATE TABLE indexnow_queue (
    url         TEXT PRIMARY KEY,
    due         BIGINT NOT NULL,
    queued_at   BIGINT NOT NULL,
    claimed_by  TEXT,
    claim_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX indexnow_queue_due ON indexnow_queue (due);

CREATE TABLE indexnow_switch (
    one     BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    enabled BOOLEAN NOT NULL
);
INSERT INTO indexnow_switch (enabled) VALUES (false);

CREATE FUNCTION syndic_queue_indexnow() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
DECLARE
    stamp BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
    IF NOT (SELECT enabled FROM indexnow_switch) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.status = 'published' AND (TG_OP = 'DELETE'
        OR NEW.status <> 'published' OR NEW.url IS DISTINCT FROM OLD.url) THEN
        INSERT INTO indexnow_queue AS q (url, due, queued_at)
            VALUES (OLD.url, (extract(epoch FROM OLD.published_at) * 1000)::bigint, stamp)
            ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
                claimed_by = NULL, claim_until = 0;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'published' THEN
        INSERT INTO indexnow_queue AS q (url, due, queued_at)
            VALUES (NEW.url, (extract(epoch FROM NEW.published_at) * 1000)::bigint, stamp)
            ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
                claimed_by = NULL, claim_until = 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_indexnow AFTER INSERT OR UPDATE OR DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION syndic_queue_indexnow();
