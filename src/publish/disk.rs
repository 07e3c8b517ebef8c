//! The mirror under the output folder: atomic writes, removal of what is gone.

use super::{Published, Publisher};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A file could not be written or removed.
#[derive(Debug, Error)]
#[error("{path}: {source}; check that the output folder ([output] dir) is writable")]
pub struct DiskError {
    /// The file.
    pub(crate) path: PathBuf,
    /// The cause.
    pub(crate) source: std::io::Error,
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
/// body written is marked stored (it may leave memory). Every failure is
/// logged (those documents stay in memory) and the first one returned.
pub(crate) fn mirror_commit(dir: &Path, published: &Published) -> Result<(), DiskError> {
    let mut first_error = Ok(());
    for artifact in &published.changed {
        let Some(body) = artifact.resident_body() else {
            continue; // already written: only stored bodies leave memory
        };
        artifact.note_file_digest(&body);
        match write_atomically(dir, &artifact.path, &body) {
            Ok(()) => artifact.mark_stored(),
            Err(e) => {
                tracing::error!(error = %e, "could not mirror a document on disk");
                first_error = first_error.and(Err(e));
            }
        }
    }
    for path in &published.removed {
        match std::fs::remove_file(dir.join(&**path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::error!(path = %dir.join(&**path).display(), error = %e, "could not remove a document from disk");
            }
            _ => {}
        }
    }
    first_error
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
        first_error = first_error.and(mirror_commit(dir, &published));
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
