//! PostgreSQL rows to the store's row types: which columns a query selects
//! (dates as RFC 3339 UTC text) and how a row becomes columns.
//!
//! Owns: the column lists and row mapping of `postgres.rs`. Must not: run
//! queries.

use super::Change;
use super::rows::{self, ArticleColumns, ChangeColumns};
use tokio_postgres::Row;

/// A timestamp column as RFC 3339 UTC text with whole seconds.
pub(super) fn utc_text(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

/// Selects article columns (`full`: with summary and HTML) in schema order,
/// dates as RFC 3339 UTC text.
pub(super) fn select(full: bool) -> String {
    let bodies = if full {
        "summary, content_html"
    } else {
        "NULL::text, NULL::text"
    };
    format!(
        "SELECT id, url, title, {bodies}, authors, section, tags, {}, {}, language, image, status FROM articles",
        utc_text("published_at"),
        utc_text("updated_at")
    )
}

pub(super) fn article_columns(r: &Row) -> ArticleColumns {
    ArticleColumns {
        id: r.get(0),
        url: r.get(1),
        title: r.get(2),
        summary: r.get(3),
        content_html: r.get(4),
        authors: r.get(5),
        section: r.get(6),
        tags: r.get(7),
        published_at: r.get(8),
        updated_at: r.get(9),
        language: r.get(10),
        image: r.get(11),
        status: r.get(12),
    }
}

/// The newest log position, never below the floor (an emptied log keeps it).
pub(super) const LATEST_SEQ: &str = "SELECT GREATEST(coalesce((SELECT max(seq) FROM change_log), 0), \
    (SELECT seq FROM change_log_floor))";

pub(super) fn change_columns() -> String {
    format!(
        "seq, article_id, op, {}, old_section, old_authors, old_tags, {}",
        utc_text("at"),
        utc_text("old_published_at")
    )
}

pub(super) fn change(r: &Row) -> Change {
    rows::change(ChangeColumns {
        seq: r.get(0),
        article_id: r.get(1),
        op: r.get(2),
        at: r.get(3),
        old_section: r.get(4),
        old_authors: r.get(5),
        old_tags: r.get(6),
        old_published_at: r.get(7),
    })
}
