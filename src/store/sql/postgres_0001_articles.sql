-- Articles, one row per record of article-format.md. Lists (authors, tags) and the
-- image are JSON text; dates are timestamptz, so a CMS can write now() directly.
CREATE TABLE articles (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    title        TEXT NOT NULL,
    authors      TEXT NOT NULL DEFAULT '[]',
    section      TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    published_at TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ,
    language     TEXT,
    image        TEXT,
    status       TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'draft')),
    digest       TEXT,
    summary      TEXT,
    content_html TEXT
);

-- The change log. Readers keep a cursor (the last seq they applied) and ask for
-- what came after it; NOTIFY wakes them at once.
CREATE TABLE change_log (
    seq        BIGSERIAL PRIMARY KEY,
    article_id TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Sequence numbers must become visible in order, or a reader whose cursor passed
-- seq 10 would never see a seq 9 committed later. Writers of articles therefore
-- take one transaction-scoped advisory lock before drawing a number: the log is
-- appended in commit order.
-- SET search_path FROM CURRENT: the log is found whatever the writer's search_path.
CREATE FUNCTION syndic_log_change() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7261150);
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
        INSERT INTO change_log (article_id, op) VALUES (OLD.id, 'delete');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO change_log (article_id, op) VALUES (NEW.id, 'upsert');
    END IF;
    PERFORM pg_notify('syndic_changes', '');
    RETURN NULL;
END $$;

CREATE TRIGGER articles_log AFTER INSERT OR UPDATE OR DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION syndic_log_change();
