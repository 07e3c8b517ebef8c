//! The pieces a start of `serve` is made of: the store opened and seeded, the
//! mirror's documents restored when its manifest matches, the first
//! documents (the rest of a start from the mirror, or a full pass), the watch
//! loop set to go on from them, and what request handlers share.
//!
//! Owns: building those pieces. Must not: serve, or start tasks (see `serve`).

use super::ServeError;
use crate::build::{self, BuildError};
use crate::config::Config;
use crate::http::AppState;
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::resume::Opened;
use crate::store;
use crate::watch::{Clock, Nudge, Watcher};
use std::sync::Arc;

/// What every start is made of before its first documents: settings, the
/// store (seeded), the publisher, metrics and the feeds' kept heads.
pub(super) struct Base {
    config: Arc<Config>,
    pub(super) store: Arc<dyn store::Store>,
    publisher: Arc<Publisher>,
    metrics: Arc<Metrics>,
    heads: Arc<crate::pipeline::FeedHeads>,
    clock: Arc<dyn Clock>,
}

/// What runs once the first documents are there: the watch loop (not yet
/// started), the thread writing the mirror, and IndexNow's start.
pub(super) struct Running {
    pub(super) watcher: Watcher,
    /// Writes published documents under `output.dir`; ends once the watcher
    /// (which sends to it) has stopped and everything sent is written.
    pub(super) mirror_thread: std::thread::JoinHandle<()>,
    /// IndexNow's settings, clock and wake-ups from the watcher, when configured.
    pub(super) indexnow: Option<IndexNowStart>,
}

/// What the IndexNow task starts from: its settings, the clock, and the
/// watcher's wake-ups.
pub(super) type IndexNowStart = (
    crate::config::IndexNow,
    Arc<dyn Clock>,
    tokio::sync::mpsc::UnboundedReceiver<()>,
);

/// Opens and seeds the store and, when the mirror's manifest matches it,
/// restores the mirror's documents so they can be served at once.
pub(super) fn open(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<(Base, Option<Opened>), ServeError> {
    let config = Arc::new(config);
    let store: Arc<dyn store::Store> =
        Arc::from(store::open(&config.store.url, (&config.store).into())?);
    build::seed_if_empty(&config, &*store, clock.now())?;
    if config.indexnow.is_some() {
        // From now on the store queues the URLs of writes (the seed is not submitted).
        store.submissions().enable()?;
    }
    let publisher = Arc::new(Publisher::with_bodies_on_disk(
        config.output.dir.clone(),
        config.server.body_cache_mb << 20,
    ));
    crate::publish::sendable::keep_files_under(&config.output.dir);
    let heads = Arc::new(match config.websub.builtin_hub {
        true => crate::pipeline::FeedHeads::kept(),
        false => crate::pipeline::FeedHeads::default(),
    });
    // The built-in hub diffs against every feed's items, which only a full
    // pass gathers: with it on, the manifest is not used.
    let opened = match config.websub.builtin_hub {
        true => {
            // Spent like one read: a later start must not trust it.
            let _ = std::fs::remove_file(config.output.dir.join(crate::publish::manifest::FILE));
            Err("the built-in WebSub hub needs every feed's items".to_owned())
        }
        false => crate::resume::open(&config, &*store, &publisher),
    };
    let opened = opened
        .inspect_err(|why| tracing::info!(%why, "rendering every document (the mirror cannot be served as it is)"))
        .ok();
    let base = Base {
        config,
        store,
        publisher,
        metrics: Arc::new(Metrics::new()),
        heads,
        clock,
    };
    Ok((base, opened))
}

/// The first documents, with the index and cursor they reflect and the units
/// to render before following the store: those of the mirror `opened`
/// restored and what changed since, else a full pass.
pub(super) fn first_documents(
    base: &Base,
    opened: Option<Opened>,
) -> Result<(crate::watch::Start, crate::index::Dirty), ServeError> {
    let (config, store, publisher) = (&base.config, &*base.store, &base.publisher);
    let now = base.clock.now();
    // Whether documents restored from the mirror are being served.
    let restored = opened.is_some();
    if let Some(opened) = opened {
        match crate::resume::finish(config, store, now, opened, publisher) {
            Ok(r) => {
                tracing::info!(
                    units = r.dirty.len(),
                    "rendering what changed since the mirror was written"
                );
                base.metrics.started_from_manifest.set(1);
                let start = crate::watch::Start {
                    index: r.index,
                    cursor: r.cursor,
                    first: r.first,
                };
                return Ok((start, r.dirty));
            }
            Err(why) => {
                tracing::warn!(%why, "rendering every document (the mirror served so far cannot be followed)");
            }
        }
    }
    let (index, cursor) = build::load_index(config, store, now)?;
    let dir = &config.output.dir;
    let first =
        build::publish_all_keeping(config, store, &index, publisher, dir, base.heads.clone())
            .map_err(BuildError::from)?;
    if restored {
        for path in publisher.drop_unowned() {
            // Restored from the manifest, and no longer produced.
            let _ = std::fs::remove_file(dir.join(&*path));
        }
    }
    let start = crate::watch::Start {
        index,
        cursor,
        first,
    };
    Ok((start, crate::index::Dirty::new()))
}

/// The watch loop set to go on from `start` (the units of `dirty` rendered
/// first), mirroring to disk, reporting through `applied`.
pub(super) fn prepare(
    base: &Base,
    (start, dirty): (crate::watch::Start, crate::index::Dirty),
    hub: Option<&Arc<crate::hub::Hub>>,
    applied: tokio::sync::watch::Sender<u64>,
) -> Result<Running, ServeError> {
    let (metrics, publisher) = (&base.metrics, &base.publisher);
    metrics.store_up.set(1);
    metrics.articles.set(start.index.article_count() as i64);
    metrics.index_bytes.set(start.index.memory_bytes() as i64);
    metrics
        .render_failures
        .inc_by(start.first.failed.len() as u64);
    let dir = base.config.output.dir.clone();
    let (disk_tx, disk_rx) = std::sync::mpsc::channel();
    let mirror_publisher = publisher.clone();
    let mirror_thread = std::thread::Builder::new()
        .name("syndic-disk".into())
        .spawn(move || crate::publish::mirror_service(&dir, &mirror_publisher, disk_rx))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    let services = crate::watch::Services {
        config: base.config.clone(),
        store: base.store.clone(),
        publisher: publisher.clone(),
        clock: base.clock.clone(),
        metrics: metrics.clone(),
    };
    let mut watcher = Watcher::new(services, start)
        .mirror_to(disk_tx)
        .applied_to(applied);
    watcher.catch_up(&dirty);
    metrics.documents.set(publisher.snapshot().len() as i64);
    tracing::info!(
        documents = publisher.snapshot().len(),
        articles = watcher.index().article_count(),
        "documents ready"
    );
    if let Some(hub) = hub.cloned() {
        let told = Box::new(move |dirs, cursor| hub.rendered(dirs, cursor));
        watcher = watcher.keeping_heads(base.heads.clone(), told);
    }
    let mut indexnow = None;
    if let Some(settings) = base.config.indexnow.clone() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        watcher = watcher.submit_to(tx);
        indexnow = Some((settings, base.clock.clone(), rx));
    }
    Ok(Running {
        watcher,
        mirror_thread,
        indexnow,
    })
}

/// What request handlers share, from `base`.
pub(super) fn app_state(
    base: &Base,
    hub: Option<Arc<crate::hub::Hub>>,
    applied: tokio::sync::watch::Receiver<u64>,
    nudge: std::sync::mpsc::Sender<Nudge>,
) -> Arc<AppState> {
    let cache_control = |seconds: u32| {
        hyper::header::HeaderValue::from_str(&format!("public, max-age={seconds}"))
            .unwrap_or(hyper::header::HeaderValue::from_static("public"))
    };
    Arc::new(AppState {
        config: base.config.clone(),
        publisher: base.publisher.clone(),
        store: base.store.clone(),
        metrics: base.metrics.clone(),
        nudge: std::sync::Mutex::new(nudge),
        applied,
        caught_up: Default::default(),
        cache_control: cache_control(base.config.server.max_age),
        loads: Default::default(),
        hub,
        archive_cache_control: cache_control(base.config.archives.cache_seconds),
        runtime: tokio::runtime::Handle::current(),
    })
}

/// The built-in WebSub hub, when configured, going on from `cursor`.
pub(super) fn hub(base: &Base, cursor: u64) -> Option<Arc<crate::hub::Hub>> {
    let config = &base.config;
    config.websub.builtin_hub.then(|| {
        let limits = crate::outbound::Limits::from_config(&config.websub);
        let parts = crate::hub::Parts {
            config: config.clone(),
            store: base.store.clone(),
            heads: base.heads.clone(),
            client: crate::outbound::Client::new(limits),
            clock: base.clock.clone(),
            metrics: base.metrics.clone(),
        };
        crate::hub::Hub::new(parts, cursor)
    })
}
