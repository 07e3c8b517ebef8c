//! SQLite rows to the store's row types: the column lists queries select and
//! how a row becomes columns.
//!
//! Owns: the column lists and row mapping of `sqlite.rs`. Must not: run
//! queries.

use super::rows::{ArticleColumns, ChangeColumns};
use rusqlite::Row;

pub(super) const ARTICLE_COLUMNS: &str = "id, url, title, summary, content_html, authors, section, tags, \
    published_at, updated_at, language, image, status";
/// The article without its bodies (summary, HTML): for the index and sitemaps.
pub(super) const LIGHT_COLUMNS: &str = "id, url, title, NULL, NULL, authors, section, tags, \
    published_at, updated_at, language, image, status";
/// Selects rows whose id is in the JSON array bound as ?1 (one statement for any count).
pub(super) const BY_IDS: &str = "WHERE id IN (SELECT value FROM json_each(?1))";

pub(super) fn article_columns(r: &Row) -> rusqlite::Result<ArticleColumns> {
    Ok(ArticleColumns {
        id: r.get(0)?,
        url: r.get(1)?,
        title: r.get(2)?,
        summary: r.get(3)?,
        content_html: r.get(4)?,
        authors: r.get(5)?,
        section: r.get(6)?,
        tags: r.get(7)?,
        published_at: r.get(8)?,
        updated_at: r.get(9)?,
        language: r.get(10)?,
        image: r.get(11)?,
        status: r.get(12)?,
    })
}

/// The newest log position, never below the floor (an emptied log keeps it).
pub(super) const LATEST_SEQ: &str = "SELECT max(coalesce((SELECT max(seq) FROM change_log), 0), \
    (SELECT seq FROM change_log_floor))";

pub(super) const CHANGE_COLUMNS: &str =
    "seq, article_id, op, at, old_section, old_authors, old_tags, old_published_at";

pub(super) fn change_columns(r: &Row) -> rusqlite::Result<ChangeColumns> {
    Ok(ChangeColumns {
        seq: r.get(0)?,
        article_id: r.get(1)?,
        op: r.get(2)?,
        at: r.get(3)?,
        old_section: r.get(4)?,
        old_authors: r.get(5)?,
        old_tags: r.get(6)?,
        old_published_at: r.get(7)?,
    })
}
