//! The watch loop's rarer work: pruning the change log, waking IndexNow and
//! pruning its queue, rendering in batches what changed while stopped, and
//! the full reload when the change log's floor passed the cursor.
//!
//! Owns: nothing of its own (it works on the [`Watcher`]'s state). Must not:
//! be called but from the watch loop's pass.

use super::{PRUNE_EVERY, Watcher};
use crate::index::Dirty;
use crate::pipeline;
use crate::store::StoreError;
use std::time::Instant;

impl Watcher {
    /// Deletes change-log entries older than `[store] change_log_retention_hours`,
    /// once per [`PRUNE_EVERY`] (every replica does; they do not conflict). A
    /// failure is logged and tried again at the next interval.
    pub(super) fn prune_log(&mut self) {
        let now = self.clock.now();
        if self.next_prune.is_some_and(|t| now < t) {
            return;
        }
        self.next_prune = Some(now + PRUNE_EVERY);
        let retention =
            chrono::TimeDelta::hours(self.config.store.change_log_retention_hours.into());
        match self.store.prune(now - retention) {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "change log pruned"),
            Err(e) => tracing::warn!(error = %e, "change log not pruned; trying again later"),
        }
        self.prune_indexnow(now - retention);
    }

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

    /// Wakes the IndexNow task (never waits): the store's queue may hold
    /// URLs due now.
    pub(super) fn wake_indexnow(&self) {
        if let Some(wake) = &self.indexnow {
            let _ = wake.send(());
        }
    }

    /// Deletes IndexNow's queued URLs due and queued before `before` (the
    /// change log's retention; every replica does, with IndexNow or not, so the
    /// queue stays bounded). A failure is logged and tried at the next prune.
    pub(super) fn prune_indexnow(&self, before: chrono::DateTime<chrono::Utc>) {
        match self.store.submissions().prune(before.timestamp_millis()) {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "IndexNow queue pruned"),
            Err(e) => tracing::warn!(error = %e, "IndexNow queue not pruned; trying again later"),
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
