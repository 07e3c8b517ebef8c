-- What a document's Last-Modified needs to never go backwards: when an article
-- leaves documents (deleted, renamed, or its section, authors, tags, status or
-- first publication changed), the log entry keeps where it was: its previous
-- section, authors and tags (JSON text, as in articles) and first publication.
-- Entries of other writes leave them NULL (old_authors is never NULL otherwise).
ALTER TABLE change_log ADD COLUMN old_section TEXT;
ALTER TABLE change_log ADD COLUMN old_authors TEXT;
ALTER TABLE change_log ADD COLUMN old_tags TEXT;
ALTER TABLE change_log ADD COLUMN old_published_at TEXT;

-- The log is pruned (entries older than [store] change_log_retention); the floor
-- is the highest seq pruned. A reader whose cursor is below it has missed
-- changes and must reload from a full scan.
CREATE TABLE change_log_floor (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL
);
INSERT INTO change_log_floor (one, seq) VALUES (1, 0);

DROP TRIGGER articles_log_update;
DROP TRIGGER articles_log_delete;

CREATE TRIGGER articles_log_update AFTER UPDATE ON articles BEGIN
    INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
        SELECT OLD.id, 'delete', OLD.section, OLD.authors, OLD.tags, OLD.published_at
        WHERE OLD.id IS NOT NEW.id;
    INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
        SELECT NEW.id, 'upsert', OLD.section, OLD.authors, OLD.tags, OLD.published_at
        WHERE OLD.id IS NEW.id AND (OLD.section IS NOT NEW.section
            OR OLD.authors IS NOT NEW.authors OR OLD.tags IS NOT NEW.tags
            OR OLD.status IS NOT NEW.status OR OLD.published_at IS NOT NEW.published_at);
    INSERT INTO change_log (article_id, op)
        SELECT NEW.id, 'upsert'
        WHERE OLD.id IS NOT NEW.id OR NOT (OLD.section IS NOT NEW.section
            OR OLD.authors IS NOT NEW.authors OR OLD.tags IS NOT NEW.tags
            OR OLD.status IS NOT NEW.status OR OLD.published_at IS NOT NEW.published_at);
END;

CREATE TRIGGER articles_log_delete AFTER DELETE ON articles BEGIN
    INSERT INTO change_log (article_id, op, old_section, old_authors, old_tags, old_published_at)
        VALUES (OLD.id, 'delete', OLD.section, OLD.authors, OLD.tags, OLD.published_at);
END;
