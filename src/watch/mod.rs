//! The watch loop: keeps every document current.
//!
//! Owns: the index and the change-log cursor of a running service; waking on a
//! nudge (ingest API), on a short poll of the store (writes by other programs),
//! or at the index's next deadline (embargo lifts, news window slides); applying
//! what changed and committing one generation per pass; reloading when the
//! change log's floor passed the cursor; pruning the log hourly. Bursts coalesce: all
//! that is pending when a pass starts is applied in that one pass.
//! Must not: serve HTTP or render by itself (the pipeline does).

use crate::config::Config;
use crate::index::{Dirty, Index, Unit};
use crate::metrics::Metrics;
use crate::pipeline;
use crate::publish::{Published, Publisher};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use directory::DirectoryRate;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

mod clock;
mod directory;
mod reload;

#[cfg(any(test, feature = "test-util"))]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};

/// How often the store is asked whether anything changed.
pub const POLL: Duration = Duration::from_millis(200);
/// Longest wait between polls of an unreachable store.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often a running service prunes the change log.
pub(crate) const PRUNE_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// Change-log entries read per query.
const CHANGE_PAGE: usize = 10_000;

/// Told what a commit changed; must return at once.
pub(crate) type Listener = Box<dyn Fn(&Published) + Send>;

/// A message to the watch loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nudge {
    /// Something was written: look now rather than at the next poll.
    Changed,
    /// Finish the current pass and stop.
    Stop,
}

/// What the loop works with. Made by [`Watcher::new`]; everything in it is
/// kept current by the loop itself.
pub struct Watcher {
    /// Settings.
    config: Arc<Config>,
    /// The store followed.
    store: Arc<dyn Store>,
    /// The index, as of `cursor`.
    index: Index,
    /// Last change-log entry applied.
    cursor: u64,
    /// Where generations are committed.
    publisher: Arc<Publisher>,
    /// Time.
    clock: Arc<dyn Clock>,
    /// Metrics to keep.
    metrics: Arc<Metrics>,
    /// Receives what each commit changed, to mirror it on disk.
    disk: Option<Sender<Published>>,
    /// Told what each commit changed, before the mirror (e.g. WebSub pings);
    /// each must return at once.
    listeners: Vec<Listener>,
    /// Tells waiters how far the served documents have caught up.
    applied: tokio::sync::watch::Sender<u64>,
    /// Store failures in a row (0 when the last poll succeeded): the poll backs off.
    failures: u32,
    /// Units whose last rendering failed: tried again at the next pass.
    retry: Dirty,
    /// Sitemap rows, feed items and sitemap files, kept between passes.
    caches: crate::pipeline::Caches,
    /// When the change log is next pruned (`None`: at the next pass).
    next_prune: Option<DateTime<Utc>>,
    /// Told after each commit which feed folders were rendered, and the
    /// cursor (the built-in WebSub hub).
    on_render: Option<OnRender>,
    /// Wakes the IndexNow task when changes were read or time made articles
    /// visible (`None`: IndexNow is off).
    indexnow: Option<tokio::sync::mpsc::UnboundedSender<()>>,
    /// When the directory was last rendered, and whether it owes changes since.
    directory: DirectoryRate,
}

/// See [`Watcher::keeping_heads`].
pub(crate) type OnRender = Box<dyn Fn(Vec<String>, u64) + Send>;

/// Where a watcher starts: an index, the change-log cursor it reflects, and
/// what the first full pass of it left.
pub struct Start {
    /// The index as loaded.
    pub index: Index,
    /// The cursor of the scan the index was loaded from.
    pub cursor: u64,
    /// What the first full pass of `index` into the publisher left.
    pub first: crate::build::FullPass,
}

/// What the loop is given: settings, the store, where to publish, time, metrics.
pub struct Services {
    /// Settings.
    pub config: Arc<Config>,
    /// The store followed.
    pub store: Arc<dyn Store>,
    /// Where generations are committed (holding the first full pass).
    pub publisher: Arc<Publisher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Metrics to keep.
    pub metrics: Arc<Metrics>,
}

impl Watcher {
    /// A watcher that goes on from `start`: the first pass's failures are
    /// retried at the next pass, its kept sitemap rows and files reused.
    pub fn new(services: Services, start: Start) -> Watcher {
        let Services {
            config,
            store,
            publisher,
            clock,
            metrics,
        } = services;
        let Start {
            index,
            cursor,
            first,
        } = start;
        Watcher {
            config,
            store,
            index,
            cursor,
            publisher,
            clock,
            metrics,
            disk: None,
            listeners: Vec::new(),
            applied: tokio::sync::watch::channel(cursor).0,
            failures: 0,
            retry: first.failed.into_iter().collect(),
            caches: crate::pipeline::Caches {
                links: first.links,
                items: crate::pipeline::ItemCache::default(),
                parts: first.parts,
                sitemaps: first.sitemaps,
                feed_times: first.feed_times,
                heads: Arc::default(),
            },
            next_prune: None,
            on_render: None,
            indexnow: None,
            directory: DirectoryRate::default(),
        }
    }

    /// Wakes the IndexNow task through `wake` when changes were read or an
    /// embargo lifted (never waits).
    pub(crate) fn submit_to(mut self, wake: tokio::sync::mpsc::UnboundedSender<()>) -> Watcher {
        self.indexnow = Some(wake);
        self
    }

    /// Sends what each commit changes to `disk` (the mirror).
    pub(crate) fn mirror_to(mut self, disk: Sender<Published>) -> Watcher {
        self.disk = Some(disk);
        self
    }

    /// Keeps what each feed shows in `heads` and calls `on_render` after each
    /// commit with the folders of the feeds rendered and the cursor (for the
    /// built-in WebSub hub).
    pub(crate) fn keeping_heads(
        mut self,
        heads: Arc<crate::pipeline::FeedHeads>,
        on_render: OnRender,
    ) -> Watcher {
        self.caches.heads = heads;
        self.on_render = Some(on_render);
        self
    }

    /// Tells `listener` what each commit changed (it must not wait).
    pub(crate) fn on_publish(mut self, listener: Listener) -> Watcher {
        self.listeners.push(listener);
        self
    }

    /// Reports how far the served documents have caught up through `applied`
    /// (made before the watcher, for handlers that serve before it runs).
    pub(crate) fn applied_to(mut self, applied: tokio::sync::watch::Sender<u64>) -> Watcher {
        applied.send_replace(self.cursor);
        self.applied = applied;
        self
    }

    /// Where generations are committed.
    pub fn publisher(&self) -> &Arc<Publisher> {
        &self.publisher
    }

    /// The last change-log entry applied.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Units whose last rendering failed, to be tried again.
    pub fn retrying(&self) -> &Dirty {
        &self.retry
    }
}

impl Watcher {
    /// Runs until [`Nudge::Stop`] or until every sender is gone; returns the
    /// watcher, no longer sending to the mirror (which can then finish).
    pub(crate) fn run(mut self, nudges: Receiver<Nudge>) -> Watcher {
        loop {
            match nudges.recv_timeout(self.sleep_time()) {
                Ok(Nudge::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Nudge::Changed) | Err(RecvTimeoutError::Timeout) => {}
            }
            if nudges.try_iter().any(|n| n == Nudge::Stop) {
                break;
            }
            self.pass();
        }
        if self.directory.owed {
            // Now, whatever the rate: the mirror (and the manifest written
            // after it) must hold what it owes.
            self.directory.rendered = None;
            self.render(&Dirty::from([Unit::Directory]), Instant::now());
        }
        self.disk = None;
        self
    }

    /// The index, as of [`Watcher::cursor`].
    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    fn sleep_time(&self) -> Duration {
        let until_deadline = self
            .index
            .next_deadline()
            .map(|d| (d - self.clock.now()).to_std().unwrap_or_default());
        // While the store is unreachable, poll less often: 0.2 s, 0.4 s, … up to 2 s.
        let poll = (POLL * 2u32.saturating_pow(self.failures.min(5))).min(MAX_BACKOFF);
        let directory = self.directory.due_in(Instant::now());
        [until_deadline, directory]
            .into_iter()
            .flatten()
            .fold(poll, Duration::min)
    }

    /// One pass: apply pending changes and time, render what they dirtied, commit.
    pub fn pass(&mut self) {
        let started = Instant::now();
        // What was applied before a failure stays dirty: it is rendered (or, when
        // the store cannot be read, retried) like any other change.
        let mut dirty = Dirty::new();
        match self.apply_changes(&mut dirty) {
            Ok(()) => {
                if self.failures > 0 {
                    tracing::info!(cursor = self.cursor, "store reachable again; caught up");
                }
                self.failures = 0;
                self.metrics.store_up.set(1);
                self.prune_log();
            }
            Err(e) => {
                self.metrics.store_up.set(0);
                if self.failures == 0 {
                    tracing::warn!(error = %e, "store unreachable; serving the last good documents");
                }
                self.failures += 1;
            }
        }
        let advanced = self.index.advance(self.clock.now());
        if !advanced.is_empty() {
            self.wake_indexnow();
        }
        dirty.extend(advanced);
        self.caches.links.expire(self.index.now());
        if self.failures == 0 {
            dirty.append(&mut self.retry);
        }
        let feeds = self.index.feeds_at_most();
        if self.directory.owed && self.directory.may_render(Instant::now(), feeds) {
            dirty.insert(Unit::Directory);
        }
        if !dirty.is_empty() {
            self.render(&dirty, started);
        }
        // Waiters are told the cursor is served only when nothing awaits a retry.
        if self.retry.is_empty() {
            self.applied.send_replace(self.cursor);
        }
        self.metrics.watch_passes.inc();
    }

    /// Renders `dirty`, commits one generation, hands it to the disk mirror.
    fn render(&mut self, dirty: &Dirty, started: Instant) {
        let sources = pipeline::Sources {
            config: &self.config,
            store: &*self.store,
            index: &self.index,
            caches: &self.caches,
        };
        let feeds = self.index.feeds_at_most();
        let with_directory = self.directory.may_render(Instant::now(), feeds);
        let outcome = pipeline::run_live(&sources, &self.publisher, dirty, with_directory);
        if outcome.directory_rendered {
            self.directory = DirectoryRate {
                rendered: Some(Instant::now()),
                owed: false,
            };
        }
        self.directory.owed |= outcome.directory_due;
        for failure in &outcome.failures {
            tracing::error!(%failure, "document not regenerated; its last good version stays, retried next pass");
            self.retry.insert(failure.unit());
        }
        self.metrics
            .render_failures
            .inc_by(outcome.failures.len() as u64);
        self.metrics.regenerations.inc();
        self.metrics
            .regeneration_seconds
            .observe(started.elapsed().as_secs_f64());
        self.metrics
            .documents
            .set(self.publisher.snapshot().len() as i64);
        self.metrics.articles.set(self.index.article_count() as i64);
        if self.metrics.regenerations.get().is_multiple_of(64) {
            self.metrics
                .index_bytes
                .set(self.index.memory_bytes() as i64);
        }
        tracing::debug!(units = dirty.len(), changed = outcome.published.changed.len(),
            elapsed = ?started.elapsed(), "regenerated");
        for listener in &self.listeners {
            listener(&outcome.published);
        }
        if let Some(disk) = &self.disk {
            let _ = disk.send(outcome.published);
        }
        if let Some(on_render) = &self.on_render {
            on_render(pipeline::feed_dirs(&self.index, dirty), self.cursor);
        }
    }

    /// Reads the change log from the cursor on and applies each article's current
    /// state; when the log's floor has passed the cursor (entries were pruned
    /// before they were read, or a `TRUNCATE`), reloads instead.
    fn apply_changes(&mut self, dirty: &mut Dirty) -> Result<(), StoreError> {
        let from = self.cursor;
        loop {
            let changes = self.store.changes_since(self.cursor, CHANGE_PAGE)?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            let ids: BTreeSet<&str> = changes.iter().map(|c| c.article_id.as_str()).collect();
            let ids: Vec<&str> = ids.into_iter().collect();
            let (rows, bad) = self.store.meta(&ids)?;
            for b in &bad {
                tracing::warn!(id = %b.id, errors = ?b.errors, "stored article is invalid; left out of every document");
            }
            let mut rows: std::collections::HashMap<String, _> =
                rows.into_iter().map(|r| (r.id.clone(), r)).collect();
            self.wake_indexnow();
            for id in ids {
                let (index, caches) = (&mut self.index, &self.caches);
                dirty.extend(pipeline::apply_change(index, caches, id, rows.remove(id)));
            }
            for change in &changes {
                dirty.extend(self.index.note_departure(change));
            }
            self.cursor = last;
        }
        // Read after the changes: a prune committed in between is seen here.
        let floor = self.store.floor()?;
        if floor > from {
            tracing::warn!(
                cursor = from,
                floor,
                "the change log's floor passed the cursor (pruned or truncated); reloading"
            );
            self.reload()?;
            dirty.clear();
        }
        let latest = self.store.latest_seq()?;
        self.metrics
            .store_lag_changes
            .set(latest.saturating_sub(self.cursor) as i64);
        Ok(())
    }
}
