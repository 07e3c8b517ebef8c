//! `syndic serve`: wires store, index, pipeline, watch loop, disk mirror and HTTP.
//!
//! Owns: the start-up sequence (seed; then either serve the mirror at once
//! while the index loads and what changed since is rendered, or render
//! everything and then serve; then follow the store) and the orderly stop. Must not: contain logic of its own beyond that wiring.

use crate::build::{self, BuildError};
use crate::config::Config;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::resume::Opened;
use crate::store::{self, StoreError};
use crate::watch::{Clock, Nudge, Watcher};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Seeding or the first build failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A start-up task died.
    #[error("start-up task failed: {0}")]
    Task(String),
}

/// What every start is made of before its first documents: settings, the
/// store (seeded), the publisher, metrics and the feeds' kept heads.
struct Base {
    config: Arc<Config>,
    store: Arc<dyn store::Store>,
    publisher: Arc<Publisher>,
    metrics: Arc<Metrics>,
    heads: Arc<crate::pipeline::FeedHeads>,
    clock: Arc<dyn Clock>,
}

/// What runs once the first documents are there: the watch loop (not yet
/// started), the thread writing the mirror, and IndexNow's start.
struct Running {
    watcher: Watcher,
    /// Writes published documents under `output.dir`; ends once the watcher
    /// (which sends to it) has stopped and everything sent is written.
    mirror_thread: std::thread::JoinHandle<()>,
    /// IndexNow's settings, clock and wake-ups from the watcher, when configured.
    indexnow: Option<IndexNowStart>,
}

/// What the IndexNow task starts from: its settings, the clock, and the
/// watcher's wake-ups.
type IndexNowStart = (
    crate::config::IndexNow,
    Arc<dyn Clock>,
    tokio::sync::mpsc::UnboundedReceiver<()>,
);

/// Opens and seeds the store and, when the mirror's manifest matches it,
/// restores the mirror's documents so they can be served at once.
fn open(config: Config, clock: Arc<dyn Clock>) -> Result<(Base, Option<Opened>), ServeError> {
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
fn first_documents(
    base: &Base,
    opened: Option<Opened>,
) -> Result<(crate::watch::Start, crate::index::Dirty), ServeError> {
    let (config, store, publisher) = (&base.config, &*base.store, &base.publisher);
    let now = base.clock.now();
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
    for path in publisher.drop_unowned() {
        // Restored from the manifest, and no longer produced.
        let _ = std::fs::remove_file(dir.join(&*path));
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
fn prepare(
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
fn app_state(
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
    })
}

/// The built-in WebSub hub, when configured, going on from `cursor`.
fn hub(base: &Base, cursor: u64) -> Option<Arc<crate::hub::Hub>> {
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

/// Runs blocking start-up work off the runtime's workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServeError> + Send + 'static,
) -> Result<T, ServeError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServeError::Task(e.to_string()))?
}

/// Serves on `listener` until `shutdown` completes. When the mirror's
/// manifest matches the store, its documents are served at once, while the
/// index loads and what changed since is rendered; else after a full pass.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let started = Instant::now();
    let (base, opened) = blocking(move || open(config, clock)).await?;
    let base = Arc::new(base);
    let (nudge_tx, nudges) = std::sync::mpsc::channel();
    let listener_nudge = nudge_tx.clone();
    base.store.listen(Box::new(move || {
        listener_nudge.send(Nudge::Changed).is_ok()
    }));
    let (applied_tx, applied_rx) = tokio::sync::watch::channel(0);
    let (state, launched) = match opened {
        Some(opened) => {
            let state = app_state(&base, None, applied_rx, nudge_tx);
            log_serving(
                &state,
                &listener,
                started,
                "the mirror, while the index loads",
            );
            let b = base.clone();
            let go_on = async {
                let running = blocking(move || {
                    let first = first_documents(&b, Some(opened))?;
                    prepare(&b, first, None, applied_tx)
                })
                .await?;
                launch(running, &state, nudges, started)
            };
            let (failed_tx, failed_rx) = tokio::sync::watch::channel(false);
            let go_on = async {
                let launched = go_on.await;
                failed_tx.send_replace(launched.is_err());
                launched
            };
            let stop = until_stopped_or_failed(shutdown, failed_rx);
            let ((), launched) = tokio::join!(http::run(listener, state.clone(), stop), go_on);
            (state, launched?)
        }
        None => {
            let b = base.clone();
            let first = blocking(move || first_documents(&b, None)).await?;
            let hub = hub(&base, first.0.cursor);
            let state = app_state(&base, hub.clone(), applied_rx, nudge_tx);
            let b = base.clone();
            let running = blocking(move || prepare(&b, first, hub.as_ref(), applied_tx)).await?;
            let launched = launch(running, &state, nudges, started)?;
            log_serving(&state, &listener, started, "a full pass");
            http::run(listener, state.clone(), shutdown).await;
            (state, launched)
        }
    };
    stop(state, launched).await;
    Ok(())
}

/// Completes when `shutdown` does or when `failed` says start-up failed.
async fn until_stopped_or_failed(
    shutdown: impl Future<Output = ()>,
    mut failed: tokio::sync::watch::Receiver<bool>,
) {
    let failed = async move {
        if failed.wait_for(|&f| f).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = shutdown => {},
        () = failed => {},
    }
}

/// Says where it serves (`serving http://…/`: scripts wait for that line),
/// and from what.
fn log_serving(state: &AppState, listener: &TcpListener, started: Instant, from: &str) {
    let ms = started.elapsed().as_millis() as i64;
    state.metrics.start_serving_ms.set(ms);
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(%addr, startup = ?started.elapsed(), from, "serving http://{addr}/");
}

/// The watch loop and the hub, running.
struct Launched {
    watch_thread: std::thread::JoinHandle<Watcher>,
    mirror_thread: std::thread::JoinHandle<()>,
    stop_hub: tokio::sync::watch::Sender<bool>,
}

/// Starts the watch loop (with WebSub pings and compression ahead), IndexNow
/// and the hub. Call inside the runtime: those are its tasks.
fn launch(
    running: Running,
    state: &Arc<AppState>,
    nudges: std::sync::mpsc::Receiver<Nudge>,
    started: Instant,
) -> Result<Launched, ServeError> {
    let watcher = with_pings(running.watcher, state);
    let ahead = http::make_ahead(state.clone());
    let watcher = watcher.on_publish(Box::new(move |published| ahead.published(published)));
    start_indexnow(state, running.indexnow);
    let watch_thread = std::thread::Builder::new()
        .name("syndic-watch".into())
        .spawn(move || watcher.run(nudges))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    state
        .caught_up
        .store(true, std::sync::atomic::Ordering::Release);
    let ms = started.elapsed().as_millis() as i64;
    state.metrics.start_following_ms.set(ms);
    tracing::info!(elapsed = ?started.elapsed(), "following the store");
    let (stop_hub, hub_stopping) = tokio::sync::watch::channel(false);
    if let Some(hub) = &state.hub {
        hub.start(hub_stopping);
    }
    Ok(Launched {
        watch_thread,
        mirror_thread: running.mirror_thread,
        stop_hub,
    })
}

/// The orderly stop: the hub, then the watcher, then the mirror writes what
/// it was sent, then the manifest. The store's connections close when the
/// last holder (`state`) drops it.
async fn stop(state: Arc<AppState>, launched: Launched) {
    let _ = launched.stop_hub.send(true);
    let _ = state.nudge.lock().map(|n| n.send(Nudge::Stop));
    let _ = tokio::task::spawn_blocking(move || {
        let watcher = launched.watch_thread.join();
        let mirrored = launched.mirror_thread.join();
        if let (Ok(watcher), Ok(())) = (watcher, mirrored) {
            write_manifest(&state, &watcher);
        }
    })
    .await;
    tracing::info!("stopped");
}

/// The watcher, telling the external WebSub hubs (if any) what each
/// regeneration changed. Call inside the runtime: the pingers are its tasks.
fn with_pings(watcher: Watcher, state: &AppState) -> Watcher {
    let config = &state.config;
    let client = crate::outbound::Client::new(crate::outbound::Limits::from_config(&config.websub));
    let backoff = crate::ping::Backoff::default();
    match crate::ping::Pinger::start(config, client, state.metrics.clone(), backoff) {
        Some(pinger) => watcher.on_publish(Box::new(move |published| pinger.published(published))),
        None => watcher,
    }
}

/// Writes the manifest of the mirror, so that the next start serves it: only
/// when every document rendered and was written (else the next start makes a
/// full pass, as it would without a manifest).
fn write_manifest(state: &AppState, watcher: &Watcher) {
    if !watcher.retrying().is_empty() {
        tracing::info!("no manifest written: some documents await a retry");
        return;
    }
    let unwritten = state.publisher.mirror_health().pending();
    if unwritten > 0 {
        tracing::info!(
            unwritten,
            "no manifest written: the disk refused some documents"
        );
        return;
    }
    let (config, store) = (&state.config, &*state.store);
    match crate::resume::save(
        config,
        store,
        watcher.index(),
        watcher.cursor(),
        &state.publisher,
    ) {
        Ok(()) => tracing::info!(cursor = watcher.cursor(), "manifest of the mirror written"),
        Err(why) => tracing::warn!(%why, "no manifest written; the next start renders everything"),
    }
}

/// Starts the IndexNow submitter, when configured, on the runtime.
fn start_indexnow(state: &AppState, indexnow: Option<IndexNowStart>) {
    let Some((settings, clock, wake)) = indexnow else {
        return;
    };
    {
        let key_location = settings.key_location.as_ref().map_or_else(
            || {
                format!(
                    "{}{}.txt",
                    state.config.site.public_url,
                    settings.key.as_str()
                )
            },
            |l| l.as_str().to_owned(),
        );
        let limits = crate::outbound::Limits {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 64 << 10,
        };
        let client = crate::outbound::Client::new(limits);
        let owner = format!(
            "{}-{}-{}",
            std::process::id(),
            clock.now().timestamp_millis(),
            crate::hub::challenge()
        );
        let parts = crate::indexnow::Parts {
            settings,
            key_location,
            client,
            metrics: state.metrics.clone(),
            store: state.store.clone(),
            clock,
            owner,
        };
        tokio::spawn(crate::indexnow::run(parts, wake));
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed at the
/// call, not at the first poll, so a signal that arrives during start-up is
/// kept (and answered once serving begins) instead of killing the process.
/// Call inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        )
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut term), Ok(mut interrupt)) => tokio::select! {
                _ = term.recv() => {},
                _ = interrupt.recv() => {},
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing open requests");
    }
}
