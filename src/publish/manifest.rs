//! The mirror's manifest: what the files under the output folder are, so that a
//! later start can serve them without rendering them again.
//!
//! Owns: the manifest's format (which documents each unit published, with their
//! validators, digests, sizes, modification times and whether they are cached
//! for long (closed archive pages), and what the caller says
//! they reflect), writing it atomically, taking it (reading and removing it in
//! one step, so that a manifest describes a mirror nobody has written since),
//! checking each file's size and modification time, and restoring a generation
//! from it, bodies left on disk. Must not: decide whether the documents are
//! current (the caller checks the store and the configuration).

use super::{Artifact, Publisher, Snapshot};
use crate::index::Unit;
use crate::render::DocKind;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The manifest's file name under the output folder: not a name a document can
/// take, nor one a full pass prunes.
pub(crate) const FILE: &str = ".syndic.manifest";

/// One document as the mirror holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct DocEntry {
    pub(crate) path: String,
    kind: String,
    len: usize,
    /// The ETag's digest (a renderer's fingerprint when `fingerprinted`).
    digest: String,
    /// BLAKE3 of the file's bytes (see `digest_of`).
    file_digest: String,
    fingerprinted: bool,
    last_modified: Option<i64>,
    /// A closed archive page, served with `[archives] cache_seconds`.
    #[serde(default)]
    long_cache: bool,
    /// The file's modification time (ns since the epoch) when the manifest was written.
    mtime_ns: u128,
}

impl DocEntry {
    /// The digest of a fingerprinted document (sitemaps), as its renderer made it.
    pub(crate) fn fingerprint(&self) -> Option<&str> {
        self.fingerprinted.then_some(self.digest.as_str())
    }

    /// Its `Last-Modified`.
    pub(crate) fn last_modified(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.last_modified
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
    }
}

/// The documents of one unit, the unit named by the caller (stable across
/// processes, unlike the index's numbers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct UnitEntry {
    pub(crate) unit: String,
    pub(crate) docs: Vec<DocEntry>,
}

/// The manifest: the caller's facts (`about`: what the documents reflect) and
/// every document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Manifest<A> {
    pub(crate) about: A,
    pub(crate) units: Vec<UnitEntry>,
}

fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Rss => "rss",
        DocKind::Atom => "atom",
        DocKind::JsonFeed => "json",
        DocKind::Sitemap => "sitemap",
        DocKind::Opml => "opml",
        DocKind::Text => "text",
        DocKind::Html => "html",
        DocKind::Css => "css",
    }
}

fn kind_of(name: &str) -> Option<DocKind> {
    [
        DocKind::Rss,
        DocKind::Atom,
        DocKind::JsonFeed,
        DocKind::Sitemap,
        DocKind::Opml,
        DocKind::Text,
        DocKind::Html,
        DocKind::Css,
    ]
    .into_iter()
    .find(|&k| kind_name(k) == name)
}

fn mtime_ns(file: &Path) -> Result<(u64, u128), String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok((meta.len(), mtime))
}

impl Publisher {
    /// Every document of the current generation as the mirror under `dir`
    /// holds it, units named by `name`; `Err` (why) when some document is not
    /// written there (yet, or a write failed) or a file cannot be read.
    pub(crate) fn mirrored_units(
        &self,
        dir: &Path,
        name: impl Fn(Unit) -> Option<String>,
    ) -> Result<Vec<UnitEntry>, String> {
        let snapshot = self.snapshot();
        let mut units = Vec::with_capacity(snapshot.units.len());
        for (unit, paths) in snapshot.units.iter() {
            let unit_name = name(*unit).ok_or_else(|| format!("{unit:?} has no name"))?;
            let mut docs = Vec::with_capacity(paths.len());
            for path in paths {
                let a = snapshot
                    .docs
                    .get(path)
                    .ok_or("a unit lists a missing document")?;
                let file_digest = a.file_digest.get().filter(|_| a.is_stored());
                let file_digest = file_digest.ok_or_else(|| format!("{path} is not written"))?;
                let (len, mtime) = mtime_ns(&dir.join(&**path))?;
                if len != a.len as u64 {
                    return Err(format!("{path} does not hold the served bytes"));
                }
                docs.push(DocEntry {
                    path: path.to_string(),
                    kind: kind_name(a.kind).into(),
                    len: a.len,
                    digest: a.digest.clone(),
                    file_digest: file_digest.clone(),
                    fingerprinted: a.fingerprinted,
                    last_modified: a.last_modified.map(|t| t.timestamp()),
                    long_cache: a.long_cache,
                    mtime_ns: mtime,
                });
            }
            units.push(UnitEntry {
                unit: unit_name,
                docs,
            });
        }
        Ok(units)
    }

    /// Makes the documents of `units` the current generation, bodies left on
    /// disk (read back, digest-checked, when asked for), so that they can be
    /// served before the index is loaded; their units are attached later by
    /// [`Publisher::attach_units`]. Call on an empty publisher.
    pub(crate) fn restore_docs(&self, units: &[UnitEntry]) -> Result<(), String> {
        let made: Vec<Vec<(Arc<str>, Arc<Artifact>)>> = on_every_core(&every_doc(units), |docs| {
            docs.iter().map(|d| artifact_of(d)).collect()
        })
        .into_iter()
        .collect::<Result<_, String>>()?;
        let next = Snapshot {
            docs: made.into_iter().flatten().collect(),
            units: Default::default(),
            generation: 1,
        };
        self.current.store(Arc::new(next));
        Ok(())
    }

    /// Says which unit each restored document belongs to, and drops the
    /// documents of `gone` (units the index no longer has): from then on the
    /// generation is one a pass can go on from. Call before anything else
    /// commits to this publisher.
    pub(crate) fn attach_units(&self, units: Vec<(Unit, Vec<String>)>, gone: &[String]) {
        let mut next = (*self.current.load_full()).clone();
        for path in gone {
            next.docs.remove(path.as_str());
        }
        for (unit, paths) in units {
            let paths = paths.into_iter().map(Arc::from).collect();
            next.units.insert(unit, paths);
        }
        self.current.store(Arc::new(next));
    }

    /// Drops the documents no unit owns (those restored from a manifest whose
    /// units a full pass then replaced) and returns their paths.
    pub(crate) fn drop_unowned(&self) -> Vec<Arc<str>> {
        let mut next = (*self.current.load_full()).clone();
        let owned: std::collections::HashSet<&Arc<str>> = next.units.values().flatten().collect();
        let unowned: Vec<Arc<str>> = (next.docs.keys())
            .filter(|p| !owned.contains(p))
            .cloned()
            .collect();
        for path in &unowned {
            next.docs.remove(path);
        }
        if !unowned.is_empty() {
            next.generation += 1;
        }
        self.current.store(Arc::new(next));
        unowned
    }
}

/// The artifact a manifest's entry describes, bodies left on disk.
fn artifact_of(d: &DocEntry) -> Result<(Arc<str>, Arc<Artifact>), String> {
    let kind = kind_of(&d.kind).ok_or_else(|| format!("unknown kind {}", d.kind))?;
    let artifact = Artifact::on_disk(
        d.path.clone(),
        kind,
        d.len,
        (d.digest.clone(), d.file_digest.clone(), d.fingerprinted),
        d.last_modified(),
        d.long_cache,
    );
    Ok((Arc::from(d.path.as_str()), Arc::new(artifact)))
}

/// Whether every file under `dir` still has the size and modification time the
/// manifest recorded: `Err` names the first that does not. (Their bytes are
/// checked against their digests when read back.) The files are looked at on
/// every core: at 200,000 documents this is most of a start from the mirror.
pub(crate) fn check_files(dir: &Path, units: &[UnitEntry]) -> Result<(), String> {
    on_every_core(&every_doc(units), |docs| check_some(dir, docs))
        .into_iter()
        .collect()
}

fn every_doc(units: &[UnitEntry]) -> Vec<&DocEntry> {
    units.iter().flat_map(|u| &u.docs).collect()
}

/// `work` on a share of `items` per core, the results in the items' order.
fn on_every_core<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let shares: Vec<_> = (items.chunks(chunk))
            .map(|share| scope.spawn(move || work(share)))
            .collect();
        (shares.into_iter())
            .map(|s| s.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn check_some(dir: &Path, docs: &[&DocEntry]) -> Result<(), String> {
    for d in docs {
        let (len, mtime) = mtime_ns(&dir.join(&d.path))?;
        if len != d.len as u64 || mtime != d.mtime_ns {
            return Err(format!("{} changed since the manifest was written", d.path));
        }
    }
    Ok(())
}

/// Writes the manifest under `dir`, atomically.
pub(crate) fn write<A: Serialize>(dir: &Path, manifest: &Manifest<A>) -> Result<(), String> {
    let text = serde_json::to_vec(manifest).map_err(|e| e.to_string())?;
    super::disk::write_atomically(dir, FILE, &text).map_err(|e| e.to_string())
}

/// Reads the manifest under `dir` and removes it, so that it never outlives a
/// change to the mirror: `None` when there is none, `Err` when it is unreadable.
pub(crate) fn take<A: for<'de> Deserialize<'de>>(
    dir: &Path,
) -> Option<Result<Manifest<A>, String>> {
    let file = dir.join(FILE);
    let text = match std::fs::read(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("{}: {e}", file.display()))),
    };
    if let Err(e) = std::fs::remove_file(&file) {
        return Some(Err(format!("{}: cannot remove it: {e}", file.display())));
    }
    Some(serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", file.display())))
}
