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

-- An UPDATE's old and new rows are paired by id, which is what a reader
-- follows (PostgreSQL documents no order of the transition tables, so rows are
-- never paired by position). An id the statement took away (a rename's old
-- id) logs its departure, first; then each id written, in the order the rows
-- were written: with where it was if that row changed documents (section,
-- authors, tags, status, first publication), else a plain upsert (a rename's
-- new id was nowhere). The row trigger of 0002 logged a rename's departure
-- right before its upsert; a statement renaming several rows now logs the
-- departures together first, which a reader applying the statement's entries
-- (distinct ids, one commit) cannot tell apart.
CREATE FUNCTION syndic_log_updates() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7261150);
    WITH w AS (SELECT row_number() OVER () AS n, * FROM new_rows),
         entry AS (
             SELECT 0 AS n, o.id AS article_id, 'delete' AS op, o.section, o.authors, o.tags,
                    o.published_at
             FROM old_rows o WHERE NOT EXISTS (SELECT FROM new_rows w WHERE w.id = o.id)
             UNION ALL
             SELECT w.n, w.id, 'upsert', o.section, o.authors, o.tags, o.published_at
             FROM w LEFT JOIN old_rows o ON o.id = w.id
                 AND (o.section IS DISTINCT FROM w.section
                     OR o.authors IS DISTINCT FROM w.authors OR o.tags IS DISTINCT FROM w.tags
                     OR o.status IS DISTINCT FROM w.status
                     OR o.published_at IS DISTINCT FROM w.published_at))
    INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
        SELECT article_id, op, section, authors, tags, published_at FROM entry
        ORDER BY n, article_id;
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
