//! `syndic serve`: wires store, index, pipeline, watch loop, disk mirror and HTTP.
//!
//! Owns: the start-up sequence (seed, load, first full render, then serve) and
//! the orderly stop. Must not: contain logic of its own beyond that wiring.

use crate::build::{self, BuildError};
use crate::config::Config;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::publish::Publisher;
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

/// Everything a running service is made of, ready to serve.
struct Prepared {
    state: Arc<AppState>,
    watcher: Watcher,
    nudges: std::sync::mpsc::Receiver<Nudge>,
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

fn prepare(config: Config, clock: Arc<dyn Clock>) -> Result<Prepared, ServeError> {
    let started = Instant::now();
    let config = Arc::new(config);
    let store: Arc<dyn store::Store> =
        Arc::from(store::open(&config.store.url, (&config.store).into())?);
    let now = clock.now();
    build::seed_if_empty(&config, &*store, now)?;
    if config.indexnow.is_some() {
        // From now on the store queues the URLs of writes (the seed is not submitted).
        store.submissions().enable()?;
    }
    let dir = config.output.dir.clone();
    let publisher = Arc::new(Publisher::with_bodies_on_disk(
        dir.clone(),
        config.server.body_cache_mb << 20,
    ));
    let heads = Arc::new(match config.websub.builtin_hub {
        true => crate::pipeline::FeedHeads::kept(),
        false => crate::pipeline::FeedHeads::default(),
    });
    let metrics = Arc::new(Metrics::new());
    let (start, dirty) = first_documents(&config, &*store, now, &publisher, &metrics, &heads)?;
    metrics.store_up.set(1);
    metrics.documents.set(publisher.snapshot().len() as i64);
    metrics.articles.set(start.index.article_count() as i64);
    metrics.index_bytes.set(start.index.memory_bytes() as i64);
    metrics
        .render_failures
        .inc_by(start.first.failed.len() as u64);
    tracing::info!(documents = publisher.snapshot().len(), articles = start.index.article_count(),
        elapsed = ?started.elapsed(), dir = %dir.display(), "documents ready");
    let (disk_tx, disk_rx) = std::sync::mpsc::channel();
    let mirror_publisher = publisher.clone();
    let mirror_thread = std::thread::Builder::new()
        .name("syndic-disk".into())
        .spawn(move || crate::publish::mirror_service(&dir, &mirror_publisher, disk_rx))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    let (nudge_tx, nudges) = std::sync::mpsc::channel();
    let listener_nudge = nudge_tx.clone();
    store.listen(Box::new(move || {
        listener_nudge.send(Nudge::Changed).is_ok()
    }));
    let hub = config.websub.builtin_hub.then(|| {
        let limits = crate::outbound::Limits::from_config(&config.websub);
        let parts = crate::hub::Parts {
            config: config.clone(),
            store: store.clone(),
            heads: heads.clone(),
            client: crate::outbound::Client::new(limits),
            clock: clock.clone(),
            metrics: metrics.clone(),
        };
        crate::hub::Hub::new(parts, start.cursor)
    });
    let services = crate::watch::Services {
        config: config.clone(),
        store: store.clone(),
        publisher: publisher.clone(),
        clock: clock.clone(),
        metrics: metrics.clone(),
    };
    let mut watcher = Watcher::new(services, start).mirror_to(disk_tx);
    watcher.catch_up(&dirty);
    if let Some(hub) = hub.clone() {
        let told = Box::new(move |dirs, cursor| hub.rendered(dirs, cursor));
        watcher = watcher.keeping_heads(heads, told);
    }
    let mut indexnow = None;
    if let Some(settings) = config.indexnow.clone() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        watcher = watcher.submit_to(tx);
        indexnow = Some((settings, clock, rx));
    }
    let state = Arc::new(AppState {
        config: config.clone(),
        publisher: publisher.clone(),
        store: store.clone(),
        metrics: metrics.clone(),
        nudge: std::sync::Mutex::new(nudge_tx),
        applied: watcher.applied(),
        cache_control: hyper::header::HeaderValue::from_str(&format!(
            "public, max-age={}",
            config.server.max_age
        ))
        .unwrap_or(hyper::header::HeaderValue::from_static("public")),
        loads: Default::default(),
        hub,
        archive_cache_control: hyper::header::HeaderValue::from_str(&format!(
            "public, max-age={}",
            config.archives.cache_seconds
        ))
        .unwrap_or(hyper::header::HeaderValue::from_static("public")),
    });
    Ok(Prepared {
        state,
        watcher,
        nudges,
        mirror_thread,
        indexnow,
    })
}

/// The documents to start serving: those the mirror's manifest describes (and
/// the units changed since, to render before serving), else a full pass.
fn first_documents(
    config: &Config,
    store: &dyn store::Store,
    now: chrono::DateTime<chrono::Utc>,
    publisher: &Publisher,
    metrics: &Metrics,
    heads: &Arc<crate::pipeline::FeedHeads>,
) -> Result<(crate::watch::Start, crate::index::Dirty), ServeError> {
    // The built-in hub diffs against every feed's items, which only a full
    // pass gathers: with it on, the manifest is not used.
    let resumed = match config.websub.builtin_hub {
        true => {
            // Spent like one read: a later start must not trust it.
            let _ = std::fs::remove_file(config.output.dir.join(crate::publish::manifest::FILE));
            Err("the built-in WebSub hub needs every feed's items".to_owned())
        }
        false => crate::resume::resume(config, store, now, publisher),
    };
    Ok(match resumed {
        Ok(r) => {
            tracing::info!(
                units = r.dirty.len(),
                "serving the mirror its manifest describes; rendering what changed since"
            );
            metrics.started_from_manifest.set(1);
            let start = crate::watch::Start {
                index: r.index,
                cursor: r.cursor,
                first: r.first,
            };
            (start, r.dirty)
        }
        Err(why) => {
            tracing::info!(%why, "rendering every document (the mirror cannot be served as it is)");
            let (index, cursor) = build::load_index(config, store, now)?;
            let dir = &config.output.dir;
            let first =
                build::publish_all_keeping(config, store, &index, publisher, dir, heads.clone())
                    .map_err(BuildError::from)?;
            let start = crate::watch::Start {
                index,
                cursor,
                first,
            };
            (start, crate::index::Dirty::new())
        }
    })
}

/// Builds everything, then serves on `listener` until `shutdown` completes.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let started = Instant::now();
    let prepared = tokio::task::spawn_blocking(move || prepare(config, clock))
        .await
        .map_err(|e| ServeError::Task(e.to_string()))??;
    let Prepared {
        state,
        watcher,
        nudges,
        mirror_thread,
        indexnow,
    } = prepared;
    let watcher = with_pings(watcher, &state);
    let ahead = http::make_ahead(state.clone());
    let watcher = watcher.on_publish(Box::new(move |published| ahead.published(published)));
    start_indexnow(&state, indexnow);
    let watch_thread = std::thread::Builder::new()
        .name("syndic-watch".into())
        .spawn(move || watcher.run(nudges))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(%addr, startup = ?started.elapsed(), "serving http://{addr}/");
    let (stop_hub, hub_stopping) = tokio::sync::watch::channel(false);
    if let Some(hub) = &state.hub {
        hub.start(hub_stopping);
    }
    http::run(listener, state.clone(), shutdown).await;
    let _ = stop_hub.send(true);
    let _ = state.nudge.lock().map(|n| n.send(Nudge::Stop));
    // The watcher stops, then the mirror writes what it was sent; the store's
    // connections close when the last holder (`state`, below) drops it.
    let _ = tokio::task::spawn_blocking(move || {
        let watcher = watch_thread.join();
        let mirrored = mirror_thread.join();
        if let (Ok(watcher), Ok(())) = (watcher, mirrored) {
            write_manifest(&state, &watcher);
        }
    })
    .await;
    tracing::info!("stopped");
    Ok(())
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
