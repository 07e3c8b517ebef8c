//! Start-up from the mirror: serving the documents a previous process left under
//! `[output] dir` instead of rendering everything again.
//!
//! Owns: what a manifest must match to be trusted (this very build of syndic,
//! the rendering settings, the store and its change log still holding the
//! cursor the documents reflect, every file's size and modification time),
//! and the two steps of a start from it: [`open`] restores the documents, so
//! they are served at once; [`finish`] then loads the index as of the
//! documents' time, attaches each document to its unit, and returns the units
//! the changes since that cursor and the time since then dirtied. The bytes are checked against their
//! digests when read back (see `publish`), not here: hashing gigabytes would
//! cost what this saves. Anything amiss is an `Err` saying why: the caller
//! makes a full pass. Must not: render (the caller renders what is dirty).

use crate::build::FullPass;
use crate::config::Config;
use crate::index::{Dirty, FeedKey, FeedKind, Index, Loader, Month, Period, Unit};
use crate::pipeline::{self, FeedTimes, SitemapFiles};
use crate::publish::Publisher;
use crate::publish::manifest::{self, Manifest, UnitEntry};
use crate::render::paths;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What the documents of a manifest reflect.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct About {
    /// The build of syndic that rendered them (version and source digest).
    build: String,
    /// The digest of the settings rendering depends on.
    settings: String,
    /// The store they were rendered from (a digest of its location: the
    /// output folder may be served as it is).
    store: String,
    /// The change-log position they reflect...
    cursor: u64,
    /// ...and that entry's article and time, so another store is not taken for it.
    entry: Option<(String, i64)>,
    /// The index's time when they were rendered (UNIX seconds).
    now: i64,
}

/// A start from the mirror: the index, the cursor it reflects, what the first
/// pass would have left, and the units to render before serving.
pub(crate) struct Resumed {
    pub(crate) index: Index,
    pub(crate) cursor: u64,
    pub(crate) first: FullPass,
    pub(crate) dirty: Dirty,
}

/// The build: one that renders differently never trusts another's manifest.
/// The digest is made at compile time from the sources, the locked
/// dependencies, the compiler and the profile (see `build.rs`).
fn build_id() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), " ", env!("SYNDIC_SOURCE_DIGEST"))
}

fn settings_digest(config: &Config) -> String {
    let text = format!(
        "{:?} {:?} {}",
        config.site,
        config.feeds,
        config.archives.bound()
    );
    crate::publish::digest_of(text.as_bytes())
}

fn store_digest(config: &Config) -> String {
    crate::publish::digest_of(config.store.url.to_string().as_bytes())
}

/// The change-log entry at `cursor` (article, time), if still there.
fn entry_at(store: &dyn Store, cursor: u64) -> Result<Option<(String, i64)>, String> {
    if cursor == 0 {
        return Ok(None);
    }
    let entry = store
        .changes_since(cursor - 1, 1)
        .map_err(|e| e.to_string())?;
    Ok(entry
        .into_iter()
        .find(|c| c.seq == cursor)
        .map(|c| (c.article_id, c.at.timestamp())))
}

fn about(config: &Config, store: &dyn Store, cursor: u64, now: i64) -> Result<About, String> {
    Ok(About {
        build: build_id().into(),
        settings: settings_digest(config),
        store: store_digest(config),
        cursor,
        entry: entry_at(store, cursor)?,
        now,
    })
}

/// A unit's name in the manifest: stable across processes (feeds by folder and
/// slug, not by the index's numbers; an archive page by its period and feed).
fn unit_name(index: &Index, unit: Unit) -> Option<String> {
    let dir = |key| paths::feed_dir(&index.feed_info(key));
    Some(match unit {
        Unit::Feed(key) => format!("feed:{}", dir(key)),
        Unit::Archive(key, Period::Month(m)) => format!("archive:m{}:{}", m.0, dir(key)),
        Unit::Archive(key, Period::Day(d)) => format!("archive:d{d}:{}", dir(key)),
        Unit::Archive(key, Period::Hour(h)) => format!("archive:h{h}:{}", dir(key)),
        Unit::Month(m) => format!("month:{}", m.0),
        other => format!("{other:?}"),
    })
}

/// The feed whose folder is `dir` (`sections/maroc/`, or empty for the global feed).
fn feed_of(index: &Index, dir: &str) -> Option<FeedKey> {
    let (kind, slug) = match dir.trim_end_matches('/').split_once('/') {
        None => (FeedKind::Global, ""),
        Some((folder, slug)) => (
            FeedKind::TERMED
                .into_iter()
                .find(|k| k.folder() == Some(folder))?,
            slug,
        ),
    };
    index.find_feed(kind, slug)
}

/// The unit a manifest name stands for in `index` (`None`: a feed, or an
/// archive page, it no longer has).
fn unit_of(index: &Index, name: &str) -> Option<Unit> {
    if let Some(dir) = name.strip_prefix("feed:") {
        return feed_of(index, dir).map(Unit::Feed);
    }
    if let Some(rest) = name.strip_prefix("archive:") {
        let (period, dir) = rest.split_once(':')?;
        let period = match period.split_at_checked(1)? {
            ("m", n) => Period::Month(Month(n.parse().ok()?)),
            ("d", n) => Period::Day(n.parse().ok()?),
            ("h", n) => Period::Hour(n.parse().ok()?),
            _ => return None,
        };
        let key = feed_of(index, dir)?;
        return index
            .is_archive_page(key, period)
            .then_some(Unit::Archive(key, period));
    }
    if let Some(month) = name.strip_prefix("month:") {
        return month.parse().ok().map(|m| Unit::Month(Month(m)));
    }
    [
        Unit::SitemapIndex,
        Unit::News,
        Unit::Robots,
        Unit::Directory,
    ]
    .into_iter()
    .find(|u| format!("{u:?}") == name)
}

/// Writes the manifest of the mirror under `[output] dir`: its documents are
/// what `publisher` serves, rendered from `index` as of change `cursor`. Call
/// once everything is rendered and written (the mirror has stopped).
pub(crate) fn save(
    config: &Config,
    store: &dyn Store,
    index: &Index,
    cursor: u64,
    publisher: &Publisher,
) -> Result<(), String> {
    let dir = &config.output.dir;
    let units = publisher.mirrored_units(dir, |u| unit_name(index, u))?;
    let about = about(config, store, cursor, index.now().timestamp())?;
    manifest::write(dir, &Manifest { about, units })
}

/// A manifest that matches the store, its documents already served: what
/// [`finish`] goes on from.
pub(crate) struct Opened {
    manifest: Manifest<About>,
}

/// Takes the manifest under `[output] dir` and, if it matches, restores its
/// documents into `publisher` (empty), so they can be served at once; `Err`
/// says why not (the manifest is gone either way: a full pass follows).
pub(crate) fn open(
    config: &Config,
    store: &dyn Store,
    publisher: &Publisher,
) -> Result<Opened, String> {
    let dir = &config.output.dir;
    let started = std::time::Instant::now();
    let manifest: Manifest<About> = match manifest::take(dir) {
        None => return Err("no manifest of the mirror".into()),
        Some(m) => m?,
    };
    let read = started.elapsed();
    let about = &manifest.about;
    if about.build != build_id() {
        return Err("written by another build of syndic".into());
    }
    if about.settings != settings_digest(config) {
        return Err("[site] or [feeds] changed".into());
    }
    if about.store != store_digest(config) {
        return Err("another store".into());
    }
    let floor = store.floor().map_err(|e| e.to_string())?;
    if floor > about.cursor {
        return Err(format!("the change log was pruned past {}", about.cursor));
    }
    if entry_at(store, about.cursor)? != about.entry {
        return Err(format!("change {} is not the one recorded", about.cursor));
    }
    let checking = std::time::Instant::now();
    manifest::check_files(dir, &manifest.units)?;
    let checked = checking.elapsed();
    publisher.restore_docs(&manifest.units)?;
    tracing::info!(manifest_read = ?read, files_checked = ?checked,
        restored = ?(checking.elapsed() - checked),
        documents = publisher.snapshot().len(), "the mirror matches the store; serving it");
    Ok(Opened { manifest })
}

/// Goes on from documents [`open`] restored: loads the index, tells
/// `publisher` which unit each document belongs to, and returns the units to
/// render since. `Err` says why not (a full pass follows).
pub(crate) fn finish(
    config: &Config,
    store: &dyn Store,
    now: DateTime<Utc>,
    opened: Opened,
    publisher: &Publisher,
) -> Result<Resumed, String> {
    let Manifest { about, units } = opened.manifest;
    let started = std::time::Instant::now();
    let (index, cursor, dirty) = load_since(config, store, about.cursor, about.now, now)?;
    let loaded = started.elapsed();
    let (sitemaps, feed_times) = attach(&index, units, publisher, &config.output.dir);
    tracing::info!(index_loaded = ?loaded, attached = ?(started.elapsed() - loaded),
        "the index is loaded");
    let first = FullPass {
        sitemaps,
        feed_times,
        ..FullPass::default()
    };
    Ok(Resumed {
        index,
        cursor,
        first,
        dirty,
    })
}

/// The index of the store as it is now, and the units that differ from the
/// documents rendered as of change `since` at time `then`: where each article
/// written since is now and where it left, and what time lifted or slid.
fn load_since(
    config: &Config,
    store: &dyn Store,
    since: u64,
    then: i64,
    now: DateTime<Utc>,
) -> Result<(Index, u64, Dirty), String> {
    let then = DateTime::from_timestamp(then, 0).ok_or("a bad time")?;
    let mut loader = Loader::new(config.feeds.items, then).archives(config.archives.bound());
    let cursor = store
        .scan_meta(&mut |row| loader.add(row), &mut |bad| {
            tracing::warn!(id = %bad.id, errors = ?bad.errors, "stored article is invalid; left out of every document");
        })
        .map_err(|e| e.to_string())?;
    let mut index = loader.finish();
    for change in store.departures(since).map_err(|e| e.to_string())? {
        index.note_departure(&change);
    }
    let mut dirty = Dirty::new();
    let mut ids = BTreeSet::new();
    let mut at = since;
    while at < cursor {
        let changes = store.changes_since(at, 10_000).map_err(|e| e.to_string())?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            break;
        };
        for change in changes.iter().filter(|c| c.seq <= cursor) {
            // Where it was at `since`: dirty whether or not its change time moves.
            dirty.extend(index.departure_units(change));
            dirty.extend(index.note_departure(change));
            ids.insert(change.article_id.clone());
        }
        at = last;
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (rows, _) = store.meta(&ids).map_err(|e| e.to_string())?;
    let mut rows: std::collections::HashMap<String, _> =
        rows.into_iter().map(|r| (r.id.clone(), r)).collect();
    let caches = pipeline::Caches::default();
    for id in &ids {
        // Out, then in as it is now: the units where it shows now.
        dirty.extend(pipeline::apply_change(&mut index, &caches, id, None));
        dirty.extend(pipeline::apply_change(
            &mut index,
            &caches,
            id,
            rows.remove(*id),
        ));
    }
    if !ids.is_empty() {
        dirty.extend([Unit::Directory, Unit::News, Unit::SitemapIndex]);
    }
    dirty.extend(index.advance(now));
    Ok((index, cursor, dirty))
}

/// Tells `publisher` the unit of each restored document and records the
/// sitemap files; the documents and files of units the index no longer has
/// are removed.
fn attach(
    index: &Index,
    units: Vec<UnitEntry>,
    publisher: &Publisher,
    dir: &std::path::Path,
) -> (SitemapFiles, FeedTimes) {
    let (sitemaps, feed_times) = (SitemapFiles::default(), FeedTimes::default());
    let mut attached = Vec::with_capacity(units.len());
    let mut gone = Vec::new();
    for entry in units {
        let Some(unit) = unit_of(index, &entry.unit) else {
            for doc in entry.docs {
                let _ = std::fs::remove_file(dir.join(&doc.path));
                gone.push(doc.path);
            }
            continue;
        };
        if matches!(unit, Unit::Month(_) | Unit::SitemapIndex | Unit::News) {
            let files = entry.docs.iter().map(|d| {
                let fingerprint = d.fingerprint().map(str::to_owned);
                (d.path.clone(), d.last_modified(), fingerprint)
            });
            sitemaps.restore(unit, files);
        }
        feed_times.restore(unit, entry.docs.iter().map(|d| d.last_modified()));
        attached.push((unit, entry.docs.into_iter().map(|d| d.path).collect()));
    }
    publisher.attach_units(attached, &gone);
    (sitemaps, feed_times)
}
