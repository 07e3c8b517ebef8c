//! Publishing: rendered bytes become servable artifacts.
//!
//! Owns: artifacts (body, strong ETag from the bytes, Last-Modified, content
//! type, gzip and brotli variants compressed at most once while in memory), the
//! current generation of every document, swapped atomically, the mirror of that
//! generation under the output folder (repaired when a failing disk recovers),
//! and which bodies stay in memory: with a budget, bodies the mirror has
//! written leave memory least recently served first and are read back from the
//! mirror (checked against their digest) when asked for; bodies it could not
//! write stay compressed. Must not: render, read the store or decide what
//! changed.

mod artifact;
mod bodies;
mod compress;
mod disk;
pub(crate) mod manifest;
mod repair;
pub(crate) mod sendable;

pub use artifact::Encoding;
pub(crate) use artifact::{Artifact, BodyError, Loaded, digest_of};
pub(crate) use disk::{DiskError, mirror_loop, prune_dir};
pub use repair::MirrorHealth;
pub(crate) use repair::mirror_service;

use crate::index::Unit;
use crate::render::Document;
use arc_swap::ArcSwap;
use imbl::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One generation of documents: what the server serves. Persistent maps: the next
/// generation starts as a copy in constant time and shares what it does not change.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    docs: HashMap<Arc<str>, Arc<Artifact>>,
    units: HashMap<Unit, Vec<Arc<str>>>,
    /// Increases with every commit that changed something.
    pub(crate) generation: u64,
}

impl Snapshot {
    /// The artifact at `path` (no leading slash).
    pub fn get(&self, path: &str) -> Option<&Arc<Artifact>> {
        self.docs.get(path)
    }

    /// Number of documents.
    pub(crate) fn len(&self) -> usize {
        self.docs.len()
    }

    /// Every artifact, in no particular order.
    pub fn artifacts(&self) -> impl Iterator<Item = &Arc<Artifact>> {
        self.docs.values()
    }

    /// Every unit that has documents.
    pub(crate) fn units(&self) -> impl Iterator<Item = Unit> + '_ {
        self.units.keys().copied()
    }
}

/// What a commit changed.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// Documents new or with new bytes.
    pub(crate) changed: Vec<Arc<Artifact>>,
    /// Paths that no longer exist.
    pub(crate) removed: Vec<Arc<str>>,
}

impl Published {
    /// Folds `later`, a commit made after this one, into it: each path once,
    /// at what the later commit made of it (a newer version, or its removal),
    /// so that writing the result leaves the disk as writing both in turn
    /// would, and versions already replaced are neither written nor kept.
    pub(crate) fn then(&mut self, later: Published) {
        {
            let touched: std::collections::HashSet<&str> = later
                .changed
                .iter()
                .map(|a| a.path.as_str())
                .chain(later.removed.iter().map(|p| &**p))
                .collect();
            self.changed.retain(|a| !touched.contains(a.path.as_str()));
            self.removed.retain(|p| !touched.contains(&**p));
        }
        self.changed.extend(later.changed);
        self.removed.extend(later.removed);
    }
}

/// The current generation, readable without locks, replaced whole.
#[derive(Debug, Default)]
pub struct Publisher {
    current: ArcSwap<Snapshot>,
    /// Where stored bodies are read back from, and how many bytes may stay in
    /// memory; `None` keeps every body in memory.
    bodies: Option<bodies::Budget>,
    /// Whether every served document is on disk (kept by the mirror).
    mirror: MirrorHealth,
}

impl Publisher {
    /// An empty publisher that keeps every body in memory.
    pub fn new() -> Publisher {
        Publisher::default()
    }

    /// An empty publisher whose bodies leave memory, once the mirror has written
    /// them under `dir`, beyond `budget` bytes (see [`Publisher::trim`]).
    pub(crate) fn with_bodies_on_disk(dir: PathBuf, budget: usize) -> Publisher {
        Publisher {
            current: ArcSwap::default(),
            bodies: Some(bodies::Budget::new(dir, budget)),
            mirror: MirrorHealth::default(),
        }
    }

    /// Whether the served documents are all on disk (see [`MirrorHealth`]).
    pub fn mirror_health(&self) -> &MirrorHealth {
        &self.mirror
    }

    /// The generation being served.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The served artifact at `path`, if any: looked up without taking the
    /// generation (no shared count changed but the artifact's own), as every
    /// request does.
    pub(crate) fn artifact(&self, path: &str) -> Option<Arc<Artifact>> {
        self.current.load().get(path).cloned()
    }

    /// A copy of the current generation to change and then [`Publisher::commit`].
    pub(crate) fn stage(&self) -> Staging {
        Staging {
            next: (*self.current.load_full()).clone(),
            published: Published::default(),
        }
    }

    /// Makes a staged generation the served one, in one step.
    pub(crate) fn commit(&self, mut staging: Staging) -> Published {
        if !staging.published.changed.is_empty() || !staging.published.removed.is_empty() {
            staging.next.generation += 1;
        }
        self.current.store(Arc::new(staging.next));
        staging.published
    }
}

/// A generation being prepared.
#[derive(Debug)]
pub(crate) struct Staging {
    next: Snapshot,
    published: Published,
}

impl Staging {
    /// Replaces the documents of a unit: unchanged bytes keep their artifact (and
    /// ETag), paths the unit no longer produces are removed.
    pub(crate) fn replace_unit(&mut self, unit: Unit, docs: Vec<Document>) {
        let old_paths = self.next.units.remove(&unit).unwrap_or_default();
        let mut new_paths: Vec<Arc<str>> = Vec::with_capacity(docs.len());
        for doc in docs {
            let path: Arc<str> = doc.path.as_str().into();
            let digest = match &doc.fingerprint {
                Some(fingerprint) => fingerprint.clone(),
                None => digest_of(&doc.body),
            };
            let previous = self.next.docs.get(&path).cloned();
            let same = (previous.as_ref()).is_some_and(|a| a.same_content(&doc, &digest));
            if !same && doc.is_unchanged() {
                // The renderer was told this fingerprint was published here.
                tracing::error!(path = %path, "a part said unchanged is not published; left out until it changes");
                continue;
            }
            if !same {
                let artifact = Arc::new(Artifact::new(doc, digest));
                if let Some(previous) = &previous {
                    artifact.inherit_asked(previous);
                }
                self.next.docs.insert(path.clone(), artifact.clone());
                self.published.changed.push(artifact);
            }
            new_paths.push(path);
        }
        for gone in old_paths.into_iter().filter(|p| !new_paths.contains(p)) {
            self.next.docs.remove(&gone);
            self.published.removed.push(gone);
        }
        if !new_paths.is_empty() {
            self.next.units.insert(unit, new_paths);
        }
    }
}
