-- What a document's Last-Modified needs to never go backwards: when an article
-- leaves documents (deleted, renamed, or its section, authors, tags, status or
-- first publication changed), the log entry keeps where it was: its previous
-- section, authors and tags (JSON text, as in articles) and first publication.
-- Entries of other writes leave them NULL (old_authors is never NULL otherwise).
ALTER TABLE change_log
    ADD COLUMN old_section TEXT,
    ADD COLUMN old_authors TEXT,
    ADD COLUMN old_tags TEXT,
    ADD COLUMN old_published_at TIMESTAMPTZ,
    DROP CONSTRAINT change_log_op_check,
    ADD CONSTRAINT change_log_op_check CHECK (op IN ('upsert', 'delete', 'truncate'));

-- The log is pruned (entries older than [store] change_log_retention); the floor
-- is the highest seq pruned, or the marker of a TRUNCATE. A reader whose cursor
-- is below it has missed changes and must reload from a full scan.
CREATE TABLE change_log_floor (
    one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    seq BIGINT NOT NULL
);
INSERT INTO change_log_floor (seq) VALUES (0);

CREATE OR REPLACE FUNCTION syndic_log_change() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
DECLARE
    moved BOOLEAN := false;
BEGIN
    PERFORM pg_advisory_xact_lock(7261150);
    IF TG_OP = 'UPDATE' THEN
        moved := OLD.id = NEW.id AND (
            OLD.section IS DISTINCT FROM NEW.section OR OLD.authors IS DISTINCT FROM NEW.authors
            OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.status IS DISTINCT FROM NEW.status
            OR OLD.published_at IS DISTINCT FROM NEW.published_at);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
        INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
            VALUES (OLD.id, 'delete', OLD.section, OLD.authors, OLD.tags, OLD.published_at);
    END IF;
    IF moved THEN
        INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
            VALUES (NEW.id, 'upsert', OLD.section, OLD.authors, OLD.tags, OLD.published_at);
    ELSIF TG_OP <> 'DELETE' THEN
        INSERT INTO change_log (article_id, op) VALUES (NEW.id, 'upsert');
    END IF;
    PERFORM pg_notify('syndic_changes', '');
    RETURN NULL;
END $$;

-- TRUNCATE fires no row trigger: one marker entry, and the floor raised to it,
-- so that every follower reloads from a full scan.
CREATE FUNCTION syndic_log_truncate() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
DECLARE
    marker BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(7261150);
    INSERT INTO change_log (article_id, op) VALUES ('', 'truncate') RETURNING seq INTO marker;
    UPDATE change_log_floor SET seq = GREATEST(seq, marker);
    PERFORM pg_notify('syndic_changes', '');
    RETURN NULL;
END $$;

CREATE TRIGGER articles_truncate AFTER TRUNCATE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION syndic_log_truncate();
