//! The watch loop's rarer work: handing IndexNow what changed, rendering in
//! batches what changed while stopped, and the full reload when the change
//! log's floor passed the cursor.
//!
//! Owns: nothing of its own (it works on the [`Watcher`]'s state). Must not:
//! be called but from the watch loop's pass.

use super::Watcher;
use crate::index::Dirty;
use crate::pipeline;
use crate::store::StoreError;
use std::time::Instant;

impl Watcher {
    /// Renders `dirty` now (what changed since the documents a start-up
    /// restored were rendered), before the loop runs.
    /// In batches, each committed and mirrored, as a reload does: memory stays
    /// bounded however much changed (nothing is served yet).
    pub(crate) fn catch_up(&mut self, dirty: &Dirty) {
        let units: Vec<crate::index::Unit> = dirty.iter().copied().collect();
        for batch in units.chunks(RELOAD_BATCH) {
            self.render(&batch.iter().copied().collect(), Instant::now());
        }
    }

    /// Hands IndexNow the URLs these changes call for; a store error only
    /// costs the submission (logged), never the pass.
    pub(super) fn queue_indexnow(
        &self,
        changes: &[crate::store::Change],
        rows: &std::collections::HashMap<String, crate::store::MetaRow>,
    ) {
        let Some(urls) = &self.indexnow else {
            return;
        };
        match crate::indexnow::pending(&*self.store, changes, rows, self.clock.now()) {
            Ok(pending) if !pending.is_empty() => drop(urls.send(pending)),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "IndexNow: URLs of changes not read; not submitted")
            }
        }
    }

    /// A fresh index from a full scan, as start-up makes it, and every document
    /// rendered again from it: those of the new index and those published now
    /// (documents of feeds and months that are gone are removed). Feed keys keep
    /// their numbers (terms are carried over), so both name the same documents.
    /// Rendered in batches, each committed and mirrored, to bound memory.
    pub(super) fn reload(&mut self) -> Result<(), StoreError> {
        let loader = crate::index::Loader::numbered_like(&self.index, self.clock.now());
        let (index, cursor) = crate::build::load_into(loader, &*self.store)?;
        let mut units: Dirty = self.publisher.snapshot().units().collect();
        units.extend(pipeline::all_units(&index));
        self.index = index;
        self.cursor = cursor;
        self.caches = pipeline::Caches {
            heads: self.caches.heads.clone(),
            ..pipeline::Caches::default()
        };
        self.retry.clear();
        let units: Vec<crate::index::Unit> = units.into_iter().collect();
        for batch in units.chunks(RELOAD_BATCH) {
            self.render(&batch.iter().copied().collect(), Instant::now());
        }
        Ok(())
    }
}

/// Units rendered and committed at a time by a reload.
const RELOAD_BATCH: usize = 64;
