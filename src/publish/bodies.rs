//! Which document bodies stay in memory, and reading the others back.
//!
//! A million articles make some 60,000 documents and 10 GB of bytes: too much
//! to hold. The mirror writes every version under the output folder anyway, so
//! once written ([`Artifact::mark_stored`]) a body may leave memory. [`Publisher::trim`]
//! keeps the bodies held (all variants) under the budget, dropping the least
//! recently served first; a request for a dropped body reads the file back and
//! checks its digest ([`Artifact::load`]). A body not yet written never leaves.

use super::{Artifact, BodyError, Encoding, Loaded, Publisher};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Trims triggered by reads happen at most this often.
const TRIM_EVERY: Duration = Duration::from_millis(100);

/// After a trim, what stays is at most this share of the budget (in quarters):
/// room for the next reads before the next trim.
const TRIM_TO_QUARTERS: usize = 3;

/// The output folder and the bytes bodies may hold.
#[derive(Debug)]
pub(super) struct Budget {
    dir: PathBuf,
    bytes: usize,
    last_trim: Mutex<Option<Instant>>,
    /// Artifacts that are on disk and may hold bodies in memory: the only ones a
    /// trim looks at (a few hundred, not every document), by address.
    evictable: Mutex<HashMap<usize, Weak<Artifact>>>,
}

impl Budget {
    pub(super) fn new(dir: PathBuf, bytes: usize) -> Budget {
        Budget {
            dir,
            bytes,
            last_trim: Mutex::new(None),
            evictable: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<usize, Weak<Artifact>>> {
        self.evictable.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note(&self, artifact: &Arc<Artifact>) {
        let key = Arc::as_ptr(artifact) as usize;
        self.lock().insert(key, Arc::downgrade(artifact));
    }
}

impl Publisher {
    /// The bytes of a variant of `artifact`, from memory or read back from the
    /// output folder. Blocks: call it off the async threads when
    /// [`Artifact::ready`] said no.
    pub(crate) fn body(
        &self,
        artifact: &Arc<Artifact>,
        encoding: Encoding,
    ) -> Result<Loaded, BodyError> {
        let Some(budget) = &self.bodies else {
            return artifact.load_variant(encoding, std::path::Path::new(""));
        };
        let bytes = artifact.load_variant(encoding, &budget.dir)?;
        if artifact.is_stored() {
            budget.note(artifact);
        }
        self.trim_soon();
        Ok(bytes)
    }

    /// Takes note of what the mirror wrote of a commit (those bodies may now
    /// leave memory), then trims.
    pub(crate) fn mirrored(&self, published: &super::Published) {
        let Some(budget) = &self.bodies else { return };
        for artifact in published.changed.iter().filter(|a| a.is_stored()) {
            budget.note(artifact);
        }
        self.trim();
    }

    fn trim_soon(&self) {
        let Some(budget) = &self.bodies else { return };
        let mut last = budget.last_trim.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < TRIM_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        drop(last);
        self.trim();
    }

    /// Drops bodies the mirror wrote, least recently served first, until what
    /// stays in memory is within the budget. Returns the bytes freed.
    pub(crate) fn trim(&self) -> usize {
        let Some(budget) = &self.bodies else { return 0 };
        let mut evictable = budget.lock();
        let mut held = 0;
        let mut live: Vec<(usize, Arc<Artifact>)> = Vec::with_capacity(evictable.len());
        evictable.retain(|&key, weak| match weak.upgrade() {
            Some(artifact) if artifact.resident_bytes() > 0 => {
                held += artifact.resident_bytes();
                live.push((key, artifact));
                true
            }
            _ => false,
        });
        if held <= budget.bytes {
            return 0;
        }
        live.sort_unstable_by_key(|(_, a)| a.last_used());
        let target = budget.bytes / 4 * TRIM_TO_QUARTERS;
        let mut freed = 0;
        for (key, artifact) in live {
            if held - freed <= target {
                break;
            }
            freed += artifact.evict();
            evictable.remove(&key);
        }
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Unit;
    use crate::publish::disk::mirror_commit;
    use crate::render::{DocKind, Document};

    fn doc(path: &str, fill: u8) -> Document {
        Document {
            path: path.into(),
            kind: DocKind::Rss,
            body: vec![fill; 1000],
            last_modified: None,
            fingerprint: None,
            long_cache: false,
        }
    }

    fn publish(
        publisher: &Publisher,
        unit: Unit,
        docs: Vec<Document>,
    ) -> crate::publish::Published {
        let mut staging = publisher.stage();
        staging.replace_unit(unit, docs);
        publisher.commit(staging)
    }

    #[test]
    fn stored_bodies_leave_memory_beyond_the_budget_and_come_back_checked() {
        let dir = tempfile::tempdir().unwrap();
        let publisher = Publisher::with_bodies_on_disk(dir.path().to_owned(), 1500);
        let published = publish(
            &publisher,
            Unit::Robots,
            vec![doc("a.xml", b'a'), doc("b.xml", b'b')],
        );
        assert_eq!(
            publisher.trim(),
            0,
            "nothing is written yet: nothing may leave"
        );
        let snapshot = publisher.snapshot();
        let (a, b) = (
            snapshot.get("a.xml").unwrap(),
            snapshot.get("b.xml").unwrap(),
        );
        b.ready(Encoding::Identity).unwrap(); // b was served last
        assert!(mirror_commit(dir.path(), &published).first.is_none());
        publisher.mirrored(&published);
        assert!(
            a.ready(Encoding::Identity).is_none(),
            "the least recently served one left"
        );
        assert!(
            b.ready(Encoding::Identity).is_some(),
            "within the budget, b stays"
        );
        let back = publisher.body(a, Encoding::Identity).unwrap().bytes;
        assert_eq!(&back[..], &[b'a'; 1000][..]);
        let gz = publisher.body(a, Encoding::Gzip).unwrap().bytes;
        assert!(gz.len() < 100, "gzip made from the bytes read back");
        publisher.trim();
        let held: usize = [a, b].iter().map(|x| x.resident_bytes()).sum();
        assert!(held <= 1500, "{held} bytes held over a budget of 1500");
        // Someone else's bytes in the file are never served under this ETag.
        a.evict();
        b.evict();
        std::fs::write(dir.path().join("a.xml"), b"tampered").unwrap();
        let err = publisher.body(a, Encoding::Identity).unwrap_err();
        assert!(err.to_string().contains("a.xml"), "{err}");
    }

    #[test]
    fn without_a_budget_every_body_stays() {
        let dir = tempfile::tempdir().unwrap();
        let publisher = Publisher::new();
        let published = publish(&publisher, Unit::Robots, vec![doc("a.xml", b'a')]);
        assert!(mirror_commit(dir.path(), &published).first.is_none());
        assert_eq!(publisher.trim(), 0);
        assert!(
            publisher
                .snapshot()
                .get("a.xml")
                .unwrap()
                .ready(Encoding::Identity)
                .is_some()
        );
    }
}
