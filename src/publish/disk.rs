//! The mirror under the output folder: atomic writes, removal of what is gone.

use super::{Artifact, Published, Publisher};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// A file could not be written or removed.
#[derive(Debug, Error)]
#[error("{path}: {source}; {}", advice(source))]
pub struct DiskError {
    /// The file.
    pub(crate) path: PathBuf,
    /// The cause.
    pub(crate) source: std::io::Error,
}

/// What to do about a failed write.
fn advice(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "free space on the disk of the output folder ([output] dir): meanwhile documents are served from memory, and `serve` writes them once the disk takes them"
        }
        _ => "check that the output folder ([output] dir) is writable",
    }
}

/// Names of the temporary files a write goes through; one left by a killed
/// process is removed by the next full pass.
const TEMP_PREFIX: &str = ".syndic-";

fn readable_by_all() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o666) // the umask applies
}

/// Writes `bytes` to `dir/path` through a temporary file in the same folder and a
/// rename, so that a reader never sees a partial file.
pub(crate) fn write_atomically(dir: &Path, path: &str, bytes: &[u8]) -> Result<(), DiskError> {
    let target = dir.join(path);
    let fail = |source| DiskError {
        path: target.clone(),
        source,
    };
    let folder = target.parent().unwrap_or(dir);
    std::fs::create_dir_all(folder).map_err(fail)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        // What any file gets (0644 under umask 022), not tempfile's private 0600:
        // a static server running as another user must be able to read it.
        .permissions(readable_by_all())
        .tempfile_in(folder)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.persist(&target).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Writes what a commit changed under `dir` and removes what it removed; each
/// body written is marked stored (it may leave memory). A document that cannot
/// be written stays in memory, [compacted](super::Artifact::compact), until a
/// repair writes it; the failures are logged in one line and returned.
pub(crate) fn mirror_commit(dir: &Path, published: &Published) -> Failures {
    let failures = write_all(dir, published.changed.iter(), OnFailure::TryAll);
    for path in &published.removed {
        match std::fs::remove_file(dir.join(&**path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::error!(path = %dir.join(&**path).display(), error = %e, "could not remove a document from disk");
            }
            _ => {}
        }
    }
    failures
}

/// Documents that could not be written, and the first error.
#[derive(Debug, Default)]
pub(crate) struct Failures {
    pub(crate) count: usize,
    pub(crate) first: Option<DiskError>,
}

impl Failures {
    pub(crate) fn into_result(self) -> Result<(), DiskError> {
        self.first.map_or(Ok(()), Err)
    }
}

/// How [`write_all`] goes on after a failed write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFailure {
    /// Try every document (a commit: each failure is compacted).
    TryAll,
    /// Stop at the first (a repair: the disk still refuses, try later; no
    /// need to unpack every pending document to learn it again).
    Stop,
}

/// Writes each artifact whose current bytes are not on disk yet; those that
/// fail are compacted. Logs the failures once.
pub(crate) fn write_all<'a>(
    dir: &Path,
    artifacts: impl Iterator<Item = &'a Arc<Artifact>>,
    on_failure: OnFailure,
) -> Failures {
    let mut failures = Failures::default();
    for artifact in artifacts {
        if failures.count > 0 && on_failure == OnFailure::Stop {
            break;
        }
        let Some(body) = artifact.unwritten_body() else {
            continue; // already written: only stored bodies leave memory
        };
        artifact.note_file_digest(&body);
        match write_atomically(dir, &artifact.path, &body) {
            Ok(()) => artifact.mark_stored(),
            Err(e) => {
                artifact.compact();
                failures.count += 1;
                failures.first.get_or_insert(e);
            }
        }
    }
    if let Some(first) = &failures.first {
        tracing::error!(documents = failures.count, first = %first,
            "could not mirror documents on disk; they are served from memory (compressed) and written when the disk accepts them");
    }
    failures
}

/// The disk mirror, for `syndic build` and `serve` alike: applies each
/// commit's changes under `dir`, in order, then tells `publisher` (the bodies
/// written may leave memory, see [`Publisher::trim`]). Runs until the commits
/// end; every failure is logged (those documents stay in memory) and the first
/// one returned.
pub(crate) fn mirror_loop(
    dir: &Path,
    publisher: &Publisher,
    commits: impl IntoIterator<Item = Published>,
) -> Result<(), DiskError> {
    let mut first_error = Ok(());
    for published in commits {
        first_error = first_error.and(mirror_commit(dir, &published).into_result());
        publisher.mirrored(&published);
    }
    first_error
}

/// Extensions of the files syndic writes; nothing else is ever removed.
const OURS: &[&str] = &["xml", "json", "opml", "txt", "html"];

/// Removes from `dir` the files syndic could have written that `keep` does not
/// list (documents of feeds that no longer exist), temporary files left by a
/// killed process, then empty folders. Call it when no write is under way.
pub(crate) fn prune_dir(dir: &Path, keep: &HashSet<String>) -> Result<usize, DiskError> {
    prune(dir, dir, keep)
}

fn prune(root: &Path, dir: &Path, keep: &HashSet<String>) -> Result<usize, DiskError> {
    let fail = |source| DiskError {
        path: dir.to_owned(),
        source,
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry.map_err(fail)?.path();
        // Never follow a link out of the output folder.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        if meta.is_dir() {
            removed += prune(root, &path, keep)?;
            let _ = std::fs::remove_dir(&path); // only succeeds when empty
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let left_over = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(TEMP_PREFIX));
        let ours = left_over
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| OURS.contains(&e));
        if ours && !keep.contains(&relative) {
            std::fs::remove_file(&path).map_err(|source| DiskError {
                path: path.clone(),
                source,
            })?;
            removed += 1;
        }
    }
    Ok(removed)
}
