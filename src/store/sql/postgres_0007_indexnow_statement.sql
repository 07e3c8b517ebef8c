-- IndexNow's queue (0004) filled once per statement instead of once per row:
-- the row trigger cost an import about a fifth of the server's time (a
-- function call and a read of the switch per row, even when IndexNow is off).
-- Same rows queued: per row written, in the order the statement wrote them,
-- the URL a published article leaves (deleted, unpublished, moved), then the
-- URL of one published; of a URL queued twice by one statement, the last
-- wins, as it did row after row. The queue stamp is the statement's time.
-- An UPDATE's old and new rows are paired by position, as in 0005.
DROP TRIGGER articles_indexnow ON articles;
DROP FUNCTION syndic_queue_indexnow();

CREATE FUNCTION syndic_indexnow_inserts() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT (SELECT enabled FROM indexnow_switch) THEN
        RETURN NULL;
    END IF;
    INSERT INTO indexnow_queue AS q (url, due, queued_at)
        SELECT DISTINCT ON (url) url, (extract(epoch FROM published_at) * 1000)::bigint,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint
        FROM (SELECT row_number() OVER () AS n, url, published_at, status FROM new_rows) r
        WHERE status = 'published'
        ORDER BY url, n DESC
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
    RETURN NULL;
END $$;

CREATE FUNCTION syndic_indexnow_deletes() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT (SELECT enabled FROM indexnow_switch) THEN
        RETURN NULL;
    END IF;
    INSERT INTO indexnow_queue AS q (url, due, queued_at)
        SELECT DISTINCT ON (url) url, (extract(epoch FROM published_at) * 1000)::bigint,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint
        FROM (SELECT row_number() OVER () AS n, url, published_at, status FROM old_rows) r
        WHERE status = 'published'
        ORDER BY url, n DESC
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
    RETURN NULL;
END $$;

CREATE FUNCTION syndic_indexnow_updates() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT (SELECT enabled FROM indexnow_switch) THEN
        RETURN NULL;
    END IF;
    WITH o AS (SELECT row_number() OVER () AS n, url, published_at, status FROM old_rows),
         w AS (SELECT row_number() OVER () AS n, url, published_at, status FROM new_rows),
         entry AS (
             SELECT o.n, 0 AS k, o.url, o.published_at
             FROM o JOIN w USING (n)
             WHERE o.status = 'published'
                 AND (w.status <> 'published' OR w.url IS DISTINCT FROM o.url)
             UNION ALL
             SELECT n, 1, url, published_at FROM w WHERE status = 'published')
    INSERT INTO indexnow_queue AS q (url, due, queued_at)
        SELECT DISTINCT ON (url) url, (extract(epoch FROM published_at) * 1000)::bigint,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint
        FROM entry
        ORDER BY url, n DESC, k DESC
        ON CONFLICT (url) DO UPDATE SET due = excluded.due, queued_at = excluded.queued_at,
            claimed_by = NULL, claim_until = 0;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_indexnow_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_indexnow_inserts();
CREATE TRIGGER articles_indexnow_update AFTER UPDATE ON articles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_indexnow_updates();
CREATE TRIGGER articles_indexnow_delete AFTER DELETE ON articles
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_indexnow_deletes();
