-- The change log written once per statement instead of once per row: a bulk
-- upsert of 5,000 rows took one advisory lock, two INSERTs and one pg_notify
-- per row, as much time as writing the rows. The entries are the ones the row
-- trigger of 0002 wrote, in the same order within a statement (rows in the
-- order the statement wrote them, a rename's delete before its upsert); the
-- advisory lock of 0001 is still taken before a seq is drawn, so the log is
-- still appended in commit order. Two differences, neither visible to a
-- reader applying a statement's entries (the ids of one statement are
-- distinct): an INSERT … ON CONFLICT DO UPDATE logs the rows it updated before
-- those it inserted (PostgreSQL fires its statement triggers in that order),
-- and a statement that wrote no row takes no lock and wakes no one.
-- PostgreSQL allows transition tables only on triggers of one event each.
DROP TRIGGER articles_log ON articles;
DROP FUNCTION syndic_log_change();

CREATE FUNCTION syndic_log_inserts() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7261150);
    INSERT INTO change_log (article_id, op)
        SELECT id, 'upsert' FROM (SELECT row_number() OVER () AS n, id FROM new_rows) r
        ORDER BY n;
    PERFORM pg_notify('syndic_changes', '');
    RETURN NULL;
END $$;

CREATE FUNCTION syndic_log_deletes() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM old_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7261150);
    INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
        SELECT id, 'delete', section, authors, tags, published_at
        FROM (SELECT row_number() OVER () AS n, * FROM old_rows) r
        ORDER BY n;
    PERFORM pg_notify('syndic_changes', '');
    RETURN NULL;
END $$;

-- An UPDATE's old and new rows are paired by position: PostgreSQL appends
-- each updated row's old and new versions to the two transition tables
-- together (the id cannot pair them: it may be what changed). Per row, as in
-- 0002: a rename logs the old id's departure then the new id; a row that
-- changed documents (section, authors, tags, status, first publication)
-- logs where it was; any other, a plain upsert.
CREATE FUNCTION syndic_log_updates() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7261150);
    WITH o AS (SELECT row_number() OVER () AS n, * FROM old_rows),
         w AS (SELECT row_number() OVER () AS n, * FROM new_rows),
         pair AS (
             SELECT o.n, o.id AS old_id, w.id AS new_id, o.section, o.authors, o.tags,
                    o.published_at,
                    o.id = w.id AND (o.section IS DISTINCT FROM w.section
                        OR o.authors IS DISTINCT FROM w.authors OR o.tags IS DISTINCT FROM w.tags
                        OR o.status IS DISTINCT FROM w.status
                        OR o.published_at IS DISTINCT FROM w.published_at) AS moved
             FROM o JOIN w USING (n)),
         entry AS (
             SELECT n, 0 AS k, old_id AS article_id, 'delete' AS op, section, authors, tags,
                    published_at
             FROM pair WHERE old_id <> new_id
             UNION ALL
             SELECT n, 1, new_id, 'upsert',
                    CASE WHEN moved THEN section END, CASE WHEN moved THEN authors END,
                    CASE WHEN moved THEN tags END, CASE WHEN moved THEN published_at END
             FROM pair)
    INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
        SELECT article_id, op, section, authors, tags, published_at FROM entry ORDER BY n, k;
    PERFORM pg_notify('syndic_changes', '');
    RETURN NULL;
END $$;

CREATE TRIGGER articles_log_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_log_inserts();
CREATE TRIGGER articles_log_update AFTER UPDATE ON articles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_log_updates();
CREATE TRIGGER articles_log_delete AFTER DELETE ON articles
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_log_deletes();
