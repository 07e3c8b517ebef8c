//! IndexNow: telling search engines (Bing, Yandex, Naver, Seznam…) which
//! article URLs were published, updated or unpublished.
//!
//! Owns: which changes are submitted ([`pending`], called by the watch loop
//! with what it read from the change log), the request bodies ([`batch`]), and
//! the submitting task ([`run`]): URLs gathered over `[indexnow] window_ms`,
//! deduplicated, sent in batches of at most 10,000 through the outbound client
//! (the operator's endpoint: trusted policy), retried with backoff on 429, 5xx
//! and transport errors, counted in metrics. The watch loop hands URLs over a
//! channel and never waits for the task. Must not: render, publish, or block
//! the watch loop.

mod batch;
mod task;

pub(crate) use batch::bodies;
pub(crate) use task::{Pending, run};

use crate::store::{Change, MetaRow, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The URLs a page of change-log entries calls for: articles visible now or
/// later (published or updated; an embargoed one is due when it lifts), and
/// articles that left the documents and are now drafts (unpublished). A deleted
/// article's URL is not in the store any more and is not submitted.
pub(crate) fn pending(
    store: &dyn Store,
    changes: &[Change],
    rows: &HashMap<String, MetaRow>,
    now: DateTime<Utc>,
) -> Result<Vec<Pending>, StoreError> {
    let mut ids: Vec<&str> = Vec::new();
    for change in changes {
        let Some(row) = rows.get(&change.article_id) else {
            continue;
        };
        if !row.draft || change.left.is_some() {
            ids.push(&row.id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = store.links(&ids)?;
    Ok(links
        .into_iter()
        .map(|link| {
            let draft = rows.get(&link.id).is_some_and(|r| r.draft);
            let due = match draft {
                true => now,
                false => link.published_at.max(now),
            };
            Pending { url: link.url, due }
        })
        .collect())
}
