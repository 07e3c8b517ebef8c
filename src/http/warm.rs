//! Compressed variants made ahead: when a document changes, the encodings
//! clients asked for of its previous version are made for the new one in the
//! background, so the requests that follow find them in memory instead of
//! waiting for (or each starting) a compression.
//!
//! The watch loop only hands the new versions over (never waits: a full queue
//! drops the hand-off, and requests then compress on demand as before). One
//! task makes them one at a time, through [`super::loads`]: a request asking
//! for a variant being made ahead waits for that one compression, never a
//! second. A version replaced before its turn is skipped (held weakly: the
//! queue never keeps an old body in memory).
//!
//! Owns: the queue of versions to make ahead. Must not: compress itself
//! (publish does), nor delay the watch loop.

use super::AppState;
use crate::publish::{Artifact, Published};
use std::sync::{Arc, Weak};
use tokio::sync::mpsc;

/// Commits waiting to be made ahead; beyond, hand-offs are dropped.
const QUEUED_COMMITS: usize = 64;

/// The watch loop's side: hands each commit's new versions over.
pub(crate) struct Handoff(mpsc::Sender<Vec<Weak<Artifact>>>);

impl Handoff {
    /// Called by the watch loop for each commit; never blocks.
    pub(crate) fn published(&self, published: &Published) {
        let ahead: Vec<Weak<Artifact>> = (published.changed.iter())
            .filter(|a| !a.to_make_ahead().is_empty())
            .map(Arc::downgrade)
            .collect();
        if !ahead.is_empty() {
            let _ = self.0.try_send(ahead);
        }
    }
}

/// Starts the task that makes variants ahead (inside the runtime); it ends when
/// the hand-off is dropped.
pub(crate) fn start(state: Arc<AppState>) -> Handoff {
    let (tx, mut rx) = mpsc::channel::<Vec<Weak<Artifact>>>(QUEUED_COMMITS);
    tokio::spawn(async move {
        while let Some(batch) = rx.recv().await {
            for artifact in batch.iter().filter_map(Weak::upgrade) {
                make_ahead(&state, &artifact).await;
            }
        }
    });
    Handoff(tx)
}

/// Makes the asked-for variants of `artifact` if it is still the served version.
async fn make_ahead(state: &AppState, artifact: &Arc<Artifact>) {
    for encoding in artifact.to_make_ahead() {
        let served = state.publisher.artifact(&artifact.path);
        if !served.is_some_and(|a| Arc::ptr_eq(&a, artifact)) {
            return;
        }
        let made = (state.loads).body(state, artifact, encoding).await;
        if let Err(e) = made {
            tracing::warn!(path = %artifact.path, error = %e, "a variant made ahead failed; requests make it");
        }
    }
}
