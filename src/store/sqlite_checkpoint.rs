//! SQLite's write-ahead log folded back into the database off the writer's path.
//!
//! Owns: a thread with a connection of its own that checkpoints the log once
//! the writer's commits have grown it past [`NUDGE_PAGES`], so that the writer
//! goes on writing while the checkpoint copies pages and waits for the disk's
//! two syncs (a third of a bulk import's wall time when the writer did it);
//! the writer's own checkpoint past [`LIMIT_PAGES`], which keeps the log
//! bounded when the thread cannot keep up; and the final, truncating
//! checkpoint of a bulk write. Must not: write rows.

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Log pages (4 KB) after a commit from which the thread is asked to checkpoint.
const NUDGE_PAGES: i32 = 4_096;

/// Log pages after a commit from which the writer checkpoints itself (as
/// SQLite's own automatic checkpoint does at 1,000): while the writer keeps
/// committing, a checkpoint from another connection cannot let the log start
/// over, only the writer's, right after its commit, can. 128 MB: the log file
/// is truncated at the end of an import, and freeing its blocks costs time in
/// proportion (0.15 s for 256 MB on a file system mounted with `discard`).
const LIMIT_PAGES: i32 = 32_768;

/// The checkpointing thread and its connection.
pub(super) struct Checkpointer {
    connection: Arc<Mutex<Connection>>,
    nudge: SyncSender<()>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on `connection` (to the writer's database) and makes
    /// `writer`'s commits call on it, in place of SQLite's automatic checkpoint.
    pub(super) fn start(
        connection: Connection,
        writer: &mut Connection,
    ) -> std::io::Result<Checkpointer> {
        let connection = Arc::new(Mutex::new(connection));
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let shared = Arc::clone(&connection);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("syndic-sqlite-checkpoint".into())
            .spawn(move || {
                for () in nudged {
                    if stopped.load(Ordering::Acquire) {
                        break;
                    }
                    let c = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    // Busy when another process checkpoints: its checkpoint will do.
                    if let Err(error) = c.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
                        tracing::debug!(%error, "background checkpoint left for later");
                    }
                }
            })?;
        let on_commit = nudge.clone();
        writer
            .wal_hook(Some(move |wal: &mut Wal, pages: i32| {
                if pages >= LIMIT_PAGES {
                    let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
                } else if pages >= NUDGE_PAGES {
                    let _ = on_commit.try_send(()); // one waiting nudge is enough
                }
                Ok(())
            }))
            .map_err(std::io::Error::other)?;
        Ok(Checkpointer {
            connection,
            nudge,
            stop,
            thread: Some(thread),
        })
    }

    /// Folds the whole log into the database and truncates it, once the
    /// thread's checkpoint under way (if any) is done. A checkpoint of another
    /// process leaves it for later: it is not an error.
    pub(super) fn truncate(&self) -> rusqlite::Result<()> {
        let c = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match c.wal_checkpoint_v2(None::<&str>, CheckpointMode::TRUNCATE) {
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                tracing::debug!(error = %e, "final checkpoint left for later");
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }
}

impl Drop for Checkpointer {
    /// Stops the thread (after the checkpoint under way, if any), whether or
    /// not the writer and its hook are gone yet.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.nudge.try_send(()); // if full, a nudge is already waiting
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
