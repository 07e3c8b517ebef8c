//! Bodies the server may send from a file rather than by copying them.
//!
//! Sending a 200 KB body with `write` copies it into the socket's buffers: on
//! loopback that copy was 70 % of the serving CPU (README, "Serving against
//! nginx"). `sendfile(2)` from a file hands the file's pages to the socket
//! without it. Each big body served from memory is therefore also put, once per
//! version, in a file with no name, and noted here by the address range of its
//! bytes. The file is made on the output folder's disk when one is named
//! ([`keep_files_under`]; `O_TMPFILE`): `sendfile` from the page cache of a disk
//! file, in large folios, costs about 10 % less CPU a request than from a
//! memory file's 4 KB pages (README, "Serving against nginx"). Otherwise, or
//! when that file system refuses, it is a sealed memory file (`memfd`). Either
//! has no name and is written once, before it is noted: nothing but syndic's
//! own descriptor reaches it (a process that could use that descriptor through
//! `/proc` could as well write syndic's memory). The connection
//! (`http`) looks up each chunk hyper writes: a chunk inside a noted range is
//! sent from the file at the same offset, any other is copied as before.
//!
//! Addresses are process-wide, so is this table. An entry holds its own clone
//! of the bytes: while noted, their memory cannot be freed and reused by other
//! bytes, so a chunk inside a noted range *is* those bytes, and the file holds
//! the same. Entries leave with the version ([`Resident`] dropped: a newer
//! version, or the body left memory). Files are bounded in number and bytes
//! ([`MAX_FILES`], [`MAX_FILE_BYTES`]); past them bodies are copied.
//! Must not: decide what is served (the artifact does) or write to sockets.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Smaller bodies are copied: the file would cost more than the copy saves.
pub(crate) const MIN_FILE_BYTES: usize = 16 * 1024;
/// At most this many bodies in files at once (each an open file descriptor).
pub(crate) const MAX_FILES: usize = 512;
/// At most this many bytes in files at once (memory, besides the bodies' own).
pub(crate) const MAX_FILE_BYTES: usize = 128 * 1024 * 1024;

/// A noted range: where it ends, the bytes (kept alive), the file.
struct Entry {
    end: usize,
    _bytes: Bytes,
    file: Arc<OwnedFd>,
}

/// The noted ranges by start address.
static FILES: RwLock<BTreeMap<usize, Entry>> = RwLock::new(BTreeMap::new());
/// Files open and bytes in them (reserved before a file is made).
static OPEN: AtomicUsize = AtomicUsize::new(0);
static OPEN_BYTES: AtomicUsize = AtomicUsize::new(0);
/// Set when the system refuses memory files or `sendfile` from them: bodies
/// are copied from then on.
static REFUSED: AtomicBool = AtomicBool::new(false);
/// The folder whose disk holds the files, if any (see [`keep_files_under`]).
static DISK_FOLDER: RwLock<Option<PathBuf>> = RwLock::new(None);

/// Makes the files of bodies from now on on the disk of `folder` (the output
/// folder), unnamed; a folder that refuses (gone, no `O_TMPFILE`) falls back
/// to memory files, body by body.
pub(crate) fn keep_files_under(folder: &Path) {
    *DISK_FOLDER.write().unwrap_or_else(|p| p.into_inner()) = Some(folder.to_owned());
}

fn table() -> std::sync::RwLockReadGuard<'static, BTreeMap<usize, Entry>> {
    FILES.read().unwrap_or_else(|p| p.into_inner())
}

fn table_mut() -> std::sync::RwLockWriteGuard<'static, BTreeMap<usize, Entry>> {
    FILES.write().unwrap_or_else(|p| p.into_inner())
}

/// The file holding `chunk` and its offset there, if `chunk` lies within a
/// body noted here.
pub(crate) fn file_for(chunk: &[u8]) -> Option<(Arc<OwnedFd>, u64)> {
    if REFUSED.load(Ordering::Relaxed) {
        return None;
    }
    let start = chunk.as_ptr() as usize;
    let table = table();
    let (&base, entry) = table.range(..=start).next_back()?;
    let end = start.checked_add(chunk.len())?;
    (end <= entry.end).then(|| (entry.file.clone(), (start - base) as u64))
}

/// A body variant held in memory, and its file once it has been served.
#[derive(Debug)]
pub(crate) struct Resident {
    bytes: Bytes,
    file: OnceLock<Noted>,
}

impl Resident {
    pub(crate) fn new(bytes: Bytes) -> Resident {
        Resident {
            bytes,
            file: OnceLock::new(),
        }
    }

    /// The bytes.
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Puts the bytes in a file for `sendfile` if they are big enough and
    /// there is room; once per version (made at its first serve, not at
    /// publication: a million documents are never all served).
    pub(crate) fn offer_file(&self) {
        if self.bytes.len() < MIN_FILE_BYTES
            || self.file.get().is_some()
            || REFUSED.load(Ordering::Relaxed)
        {
            return;
        }
        if let Some(noted) = Noted::new(&self.bytes) {
            // Only one of two first requests at once gets a `Noted`.
            let _ = self.file.set(noted);
        }
    }

    /// Whether the bytes are in a file.
    #[cfg(test)]
    pub(crate) fn in_file(&self) -> bool {
        self.file.get().is_some()
    }
}

/// A body's entry in the table; dropping it closes the file.
#[derive(Debug)]
struct Noted {
    start: usize,
    len: usize,
}

impl Noted {
    fn new(bytes: &Bytes) -> Option<Noted> {
        let (start, len) = (bytes.as_ptr() as usize, bytes.len());
        if table().contains_key(&start) || !reserve(len) {
            return None;
        }
        let file = match body_file(bytes) {
            Ok(file) => file,
            Err(e) => {
                release(len);
                if lasting(&e) {
                    refuse(&e);
                } else {
                    // Out of descriptors or memory for now: this body is
                    // copied, a later request tries again.
                    tracing::debug!(error = %e, "no memory file for a body this time");
                }
                return None;
            }
        };
        let entry = Entry {
            end: start + len,
            _bytes: bytes.clone(),
            file: Arc::new(file),
        };
        let mut table = table_mut();
        if table.contains_key(&start) {
            // Another first request for these bytes noted them meanwhile: its
            // entry stays (and is dropped with it), this file goes.
            drop(table);
            release(len);
            return None;
        }
        table.insert(start, entry);
        Some(Noted { start, len })
    }
}

impl Drop for Noted {
    fn drop(&mut self) {
        table_mut().remove(&self.start);
        release(self.len);
    }
}

fn reserve(len: usize) -> bool {
    if OPEN.fetch_add(1, Ordering::Relaxed) >= MAX_FILES {
        OPEN.fetch_sub(1, Ordering::Relaxed);
        return false;
    }
    if OPEN_BYTES.fetch_add(len, Ordering::Relaxed) + len > MAX_FILE_BYTES {
        release(len);
        return false;
    }
    true
}

fn release(len: usize) {
    OPEN.fetch_sub(1, Ordering::Relaxed);
    OPEN_BYTES.fetch_sub(len, Ordering::Relaxed);
}

/// Whether the system will keep refusing memory files (no `memfd_create`,
/// sealing, or a sandbox forbidding them), rather than lacking room now.
fn lasting(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    let lasting = [
        Errno::NOSYS,
        Errno::INVAL,
        Errno::PERM,
        Errno::ACCESS,
        Errno::OPNOTSUPP,
    ];
    lasting
        .iter()
        .any(|n| e.raw_os_error() == Some(n.raw_os_error()))
}

/// The system refused memory files or `sendfile` from them (`e`): bodies are
/// copied from now on (the files made stay until their versions go).
pub(crate) fn refuse(e: &std::io::Error) {
    if !REFUSED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            error = %e,
            "memory files (memfd) or sendfile(2) from them refused by the system; bodies \
             are copied to sockets from now on, which costs CPU but serves the same bytes"
        );
    }
}

/// A file holding `bytes`: unnamed on the disk of [`DISK_FOLDER`] if it takes
/// one, else a sealed memory file.
fn body_file(bytes: &[u8]) -> std::io::Result<OwnedFd> {
    let folder = DISK_FOLDER
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if let Some(folder) = folder {
        match unnamed_disk_file(&folder, bytes) {
            Ok(fd) => return Ok(fd),
            Err(e) => tracing::debug!(folder = %folder.display(), error = %e,
                "no unnamed file on the output folder's disk; a memory file instead"),
        }
    }
    sealed_file(bytes)
}

/// An unnamed file (`O_TMPFILE`) in `folder` holding `bytes`, readable and
/// writable by syndic alone; it is gone from the disk when closed.
fn unnamed_disk_file(folder: &Path, bytes: &[u8]) -> std::io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        folder,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::RUSR | Mode::WUSR,
    )?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    Ok(OwnedFd::from(file))
}

/// A memory file holding `bytes`, sealed: nobody can change or resize it.
fn sealed_file(bytes: &[u8]) -> std::io::Result<OwnedFd> {
    use rustix::fs::{MemfdFlags, SealFlags};
    let fd = rustix::fs::memfd_create(
        "syndic-body",
        MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
    )?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    let fd = OwnedFd::from(file);
    rustix::fs::fcntl_add_seals(
        &fd,
        SealFlags::SEAL | SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK,
    )?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_served_big_body_is_found_by_any_range_inside_it_until_dropped() {
        let bytes = Bytes::from(vec![7u8; 40_000]);
        let resident = Resident::new(bytes.clone());
        assert!(file_for(&bytes).is_none(), "not served yet: no file");
        resident.offer_file();
        assert!(resident.in_file());
        let (file, offset) = file_for(&bytes[100..30_000]).expect("inside the body");
        assert_eq!(offset, 100);
        let mut back = vec![0u8; 10];
        let n = rustix::io::pread(&*file, &mut back, 100).unwrap();
        assert_eq!(&back[..n], &[7u8; 10][..]);
        assert!(file_for(&bytes.slice(39_999..)).is_some());
        let copy = bytes.to_vec();
        assert!(
            file_for(&copy).is_none(),
            "other bytes, same content: copied"
        );
        drop(resident);
        assert!(file_for(&bytes).is_none(), "dropped with its version");
    }

    #[test]
    fn small_bodies_stay_in_memory_only() {
        let resident = Resident::new(Bytes::from(vec![1u8; MIN_FILE_BYTES - 1]));
        resident.offer_file();
        assert!(!resident.in_file());
    }

    /// Where the file of a served body lives, as the kernel names it.
    fn file_name(bytes: &Bytes) -> String {
        let (file, _) = file_for(bytes).expect("served: in a file");
        let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&*file));
        std::fs::read_link(link).unwrap().display().to_string()
    }

    #[test]
    fn files_are_unnamed_on_the_output_disk_or_in_memory_when_it_refuses() {
        let folder = tempfile::tempdir().unwrap();
        keep_files_under(folder.path());
        let bytes = Bytes::from(vec![3u8; 50_000]);
        let resident = Resident::new(bytes.clone());
        resident.offer_file();
        let name = file_name(&bytes);
        assert!(
            name.starts_with(&folder.path().display().to_string()),
            "{name}"
        );
        assert!(name.ends_with("(deleted)"), "no name in the folder: {name}");
        assert!(std::fs::read_dir(folder.path()).unwrap().next().is_none());
        keep_files_under(&folder.path().join("gone"));
        let other = Bytes::from(vec![4u8; 50_000]);
        let in_memory = Resident::new(other.clone());
        in_memory.offer_file();
        assert!(
            file_name(&other).starts_with("/memfd:"),
            "{}",
            file_name(&other)
        );
        let mut back = vec![0u8; 4];
        let (file, _) = file_for(&bytes).unwrap();
        rustix::io::pread(&*file, &mut back, 49_000).unwrap();
        assert_eq!(back, [3u8; 4]);
    }
}
