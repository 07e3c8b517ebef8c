-- Articles, one row per record of article-format.md. Lists (authors, tags) and the
-- image are JSON text so that a CMS can write a row in one statement.
CREATE TABLE articles (
    id           TEXT PRIMARY KEY NOT NULL,
    url          TEXT NOT NULL,
    title        TEXT NOT NULL,
    authors      TEXT NOT NULL DEFAULT '[]',
    section      TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    published_at TEXT NOT NULL,            -- RFC 3339
    updated_at   TEXT,                     -- RFC 3339; NULL means published_at
    language     TEXT,
    image        TEXT,                     -- JSON object or NULL
    status       TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'draft')),
    digest       TEXT,                     -- set by syndic to skip identical re-imports
    -- The bodies come last: SQLite stores a row's columns in order and spills
    -- long values to overflow pages, so the index and sitemaps, which read
    -- everything but these, never walk the kilobytes of HTML.
    summary      TEXT,
    content_html TEXT
);

-- The change log: every write to articles, by anyone, appends a row. Readers keep
-- a cursor (the last seq they applied) and ask for what came after it.
CREATE TABLE change_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TRIGGER articles_log_insert AFTER INSERT ON articles BEGIN
    INSERT INTO change_log (article_id, op) VALUES (NEW.id, 'upsert');
END;

CREATE TRIGGER articles_log_update AFTER UPDATE ON articles BEGIN
    INSERT INTO change_log (article_id, op)
        SELECT OLD.id, 'delete' WHERE OLD.id IS NOT NEW.id;
    INSERT INTO change_log (article_id, op) VALUES (NEW.id, 'upsert');
END;

CREATE TRIGGER articles_log_delete AFTER DELETE ON articles BEGIN
    INSERT INTO change_log (article_id, op) VALUES (OLD.id, 'delete');
END;
