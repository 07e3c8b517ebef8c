//! The serving mirror: writes each commit under the output folder and repairs
//! what a full or failing disk refused, once it accepts writes again.
//!
//! Owns: [`MirrorHealth`] (documents whose served version is not on disk, write
//! failures, repairs, the last error) and the retry schedule. Must not: render,
//! or give up on a document: every served version ends up on disk, or is
//! reported as pending for as long as it is not.

use super::disk::{Failures, OnFailure, mirror_commit, write_all};
use super::{Published, Publisher};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// First wait before a repair, doubled after each failed one up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// Longest wait between two repairs.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Whether the served documents are all on disk, for `/healthz` and `/metrics`.
#[derive(Debug, Default)]
pub struct MirrorHealth {
    pending: AtomicUsize,
    failures: AtomicU64,
    repaired: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl MirrorHealth {
    /// Served documents whose current version is not on disk yet.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Document writes that failed, since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Documents written by a repair after a failed write, since start.
    pub fn repaired(&self) -> u64 {
        self.repaired.load(Ordering::Relaxed)
    }

    /// The last write error while documents are pending; `None` once repaired.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn record(&self, failures: &Failures, pending: usize) {
        self.failures
            .fetch_add(failures.count as u64, Ordering::Relaxed);
        self.pending.store(pending, Ordering::Relaxed);
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        match (&failures.first, pending) {
            (_, 0) => *last = None,
            (Some(e), _) => *last = Some(e.to_string()),
            (None, _) => {}
        }
    }
}

/// The mirror of `serve`: applies the commits under `dir`, in order (those
/// waiting folded into one, see [`Published::then`]), then tells `publisher`;
/// while documents are pending (not written), retries them with a growing
/// wait (1 s to 10 s), the current version of each, until the disk takes
/// them. Runs until the commits end.
pub(crate) fn mirror_service(dir: &Path, publisher: &Publisher, commits: Receiver<Published>) {
    let mut wait = FIRST_WAIT;
    note_start_up(publisher);
    loop {
        let timeout = if publisher.mirror.pending() > 0 {
            wait
        } else {
            Duration::from_secs(3600)
        };
        match commits.recv_timeout(timeout) {
            Ok(mut published) => {
                // The commits made while the last ones were written, as one:
                // under writes faster than the disk, each document is written
                // once at its newest version and the backlog does not grow
                // (it held every version of every document changed meanwhile).
                while let Ok(later) = commits.try_recv() {
                    published.then(later);
                }
                let failures = mirror_commit(dir, &published);
                publisher.mirrored(&published);
                update_pending(publisher, &failures);
            }
            Err(RecvTimeoutError::Timeout) => {
                let repaired = repair(dir, publisher);
                wait = if repaired {
                    FIRST_WAIT
                } else {
                    (wait * 2).min(MAX_WAIT)
                };
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Writes every served document whose current version is not on disk, until
/// the disk refuses one; says whether none is left.
fn repair(dir: &Path, publisher: &Publisher) -> bool {
    let snapshot = publisher.snapshot();
    let mut unwritten: Vec<_> = snapshot
        .artifacts()
        .filter(|a| !a.is_stored())
        .cloned()
        .collect();
    // Smallest first: as space returns, most documents land soonest.
    unwritten.sort_unstable_by_key(|a| a.len);
    let failures = write_all(dir, unwritten.iter(), OnFailure::Stop);
    let written: Vec<_> = unwritten.into_iter().filter(|a| a.is_stored()).collect();
    publisher
        .mirror
        .repaired
        .fetch_add(written.len() as u64, Ordering::Relaxed);
    let done = failures.first.is_none();
    let repaired = written.len();
    publisher.mirrored(&Published {
        changed: written,
        removed: Vec::new(),
    });
    update_pending(publisher, &failures);
    if repaired > 0 {
        tracing::info!(
            documents = repaired,
            left = publisher.mirror.pending(),
            "mirror repaired: documents written after the disk refused them"
        );
    }
    done
}

/// Documents the start-up pass could not write are pending from the start
/// (their failures were logged by that pass, not counted here).
fn note_start_up(publisher: &Publisher) {
    let snapshot = publisher.snapshot();
    let pending = snapshot.artifacts().filter(|a| !a.is_stored()).count();
    if pending > 0 {
        publisher.mirror.record(&Failures::default(), pending);
        *publisher
            .mirror
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(format!(
            "{pending} documents of the start-up pass could not be written (see the log)"
        ));
    }
}

/// Counts the served documents not on disk (a walk of the generation, done
/// only while some are known to be pending or a write just failed).
fn update_pending(publisher: &Publisher, failures: &Failures) {
    let known = publisher.mirror.pending();
    let pending = if known == 0 && failures.first.is_none() {
        0
    } else {
        let snapshot = publisher.snapshot();
        snapshot.artifacts().filter(|a| !a.is_stored()).count()
    };
    publisher.mirror.record(failures, pending);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Unit;
    use crate::publish::Encoding;
    use crate::render::{DocKind, Document};
    use std::time::Instant;

    fn wait_for(what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(20), "{what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_refused_document_is_served_compressed_and_written_once_the_disk_takes_it() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("feeds");
        std::fs::write(&out, b"a file where the folder should be").unwrap(); // writes fail
        let publisher = std::sync::Arc::new(Publisher::with_bodies_on_disk(out.clone(), 0));
        let body = "<rss><channel><title>Maroc</title></channel></rss>\n".repeat(200);
        let mut staging = publisher.stage();
        let doc = Document {
            path: "sections/maroc/feed.xml".into(),
            kind: DocKind::Rss,
            body: body.clone().into_bytes(),
            last_modified: None,
            fingerprint: None,
            long_cache: false,
        };
        staging.replace_unit(Unit::Robots, vec![doc]);
        let published = publisher.commit(staging);
        let (tx, rx) = std::sync::mpsc::channel();
        let (service_publisher, dir) = (publisher.clone(), out.clone());
        let service = std::thread::spawn(move || mirror_service(&dir, &service_publisher, rx));
        tx.send(published).unwrap();

        let health = publisher.mirror_health();
        wait_for("the failure is counted", || health.failures() >= 1);
        assert_eq!(health.pending(), 1);
        let error = health.last_error().unwrap();
        assert!(error.contains("sections/maroc"), "{error}");
        let artifact = publisher
            .snapshot()
            .get("sections/maroc/feed.xml")
            .unwrap()
            .clone();
        assert!(
            artifact.resident_bytes() < body.len() / 10,
            "kept compressed: {} bytes for {}",
            artifact.resident_bytes(),
            body.len()
        );
        let served = publisher.body(&artifact, Encoding::Identity).unwrap().bytes;
        assert_eq!(
            served,
            body.as_bytes(),
            "served whole from memory meanwhile"
        );

        std::fs::remove_file(&out).unwrap(); // space returns
        wait_for("the repair writes it", || health.pending() == 0);
        let on_disk = std::fs::read(out.join("sections/maroc/feed.xml")).unwrap();
        assert_eq!(on_disk, body.as_bytes());
        assert_eq!(health.repaired(), 1);
        assert_eq!(health.last_error(), None);
        assert_eq!(artifact.resident_bytes(), 0, "written: it left memory");
        drop(tx);
        service.join().unwrap();
    }

    #[test]
    fn commits_waiting_for_the_disk_are_written_once_each_at_their_newest_state() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("feeds");
        let publisher = std::sync::Arc::new(Publisher::with_bodies_on_disk(out.clone(), 0));
        let commit = |docs: &[(&str, &str)]| {
            let docs = docs.iter().map(|(path, body)| Document {
                path: (*path).into(),
                kind: DocKind::Rss,
                body: body.as_bytes().to_vec(),
                last_modified: None,
                fingerprint: None,
                long_cache: false,
            });
            let mut staging = publisher.stage();
            staging.replace_unit(Unit::Robots, docs.collect());
            publisher.commit(staging)
        };
        // Changed then changed (a), removed then back (b), changed then removed (c).
        let first = commit(&[("a.xml", "a1"), ("b.xml", "b1"), ("c.xml", "c1")]);
        let replaced: Vec<_> = first.changed.clone();
        let second = commit(&[("a.xml", "a2"), ("c.xml", "c2")]);
        let third = commit(&[("a.xml", "a3"), ("b.xml", "b3")]);
        let (tx, rx) = std::sync::mpsc::channel();
        for published in [first, second, third] {
            tx.send(published).unwrap(); // all waiting when the mirror starts
        }
        let (service_publisher, dir) = (publisher.clone(), out.clone());
        let service = std::thread::spawn(move || mirror_service(&dir, &service_publisher, rx));
        let read = |path: &str| std::fs::read_to_string(out.join(path)).ok();
        wait_for("the newest versions are written", || {
            read("a.xml").as_deref() == Some("a3") && read("b.xml").as_deref() == Some("b3")
        });
        drop(tx);
        service.join().unwrap();
        assert_eq!(read("c.xml"), None, "removed last: never written");
        assert!(
            replaced.iter().all(|a| !a.is_stored()),
            "the first commit's versions were replaced before the mirror came to them"
        );
        assert_eq!(publisher.mirror_health().pending(), 0);
    }
}
