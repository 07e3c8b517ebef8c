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
    mirror_thread: std::thread::JoinHandle<Result<(), crate::publish::DiskError>>,
    /// IndexNow's settings and the URLs the watcher hands it, when configured.
    indexnow: Option<(
        crate::config::IndexNow,
        tokio::sync::mpsc::UnboundedReceiver<Vec<crate::indexnow::Pending>>,
    )>,
}

fn prepare(config: Config, clock: Arc<dyn Clock>) -> Result<Prepared, ServeError> {
    let started = Instant::now();
    let config = Arc::new(config);
    let store: Arc<dyn store::Store> =
        Arc::from(store::open(&config.store.url, (&config.store).into())?);
    let now = clock.now();
    build::seed_if_empty(&config, &*store, now)?;
    let (index, cursor) = build::load_index(&config, &*store, now)?;
    let dir = config.output.dir.clone();
    let publisher = Arc::new(Publisher::with_bodies_on_disk(
        dir.clone(),
        config.server.body_cache_mb << 20,
    ));
    let first =
        build::publish_all(&config, &*store, &index, &publisher, &dir).map_err(BuildError::from)?;
    let metrics = Arc::new(Metrics::new());
    metrics.store_up.set(1);
    metrics.documents.set(publisher.snapshot().len() as i64);
    metrics.articles.set(index.article_count() as i64);
    metrics.index_bytes.set(index.memory_bytes() as i64);
    metrics.render_failures.inc_by(first.failed.len() as u64);
    tracing::info!(documents = publisher.snapshot().len(), articles = index.article_count(),
        elapsed = ?started.elapsed(), dir = %dir.display(), "first build done and mirrored on disk");
    let (disk_tx, disk_rx) = std::sync::mpsc::channel();
    let mirror_publisher = publisher.clone();
    let mirror_thread = std::thread::Builder::new()
        .name("syndic-disk".into())
        .spawn(move || crate::publish::mirror_loop(&dir, &mirror_publisher, disk_rx))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    let (nudge_tx, nudges) = std::sync::mpsc::channel();
    let listener_nudge = nudge_tx.clone();
    store.listen(Box::new(move || {
        listener_nudge.send(Nudge::Changed).is_ok()
    }));
    let services = crate::watch::Services {
        config: config.clone(),
        store: store.clone(),
        publisher: publisher.clone(),
        clock,
        metrics: metrics.clone(),
    };
    let start = crate::watch::Start {
        index,
        cursor,
        first,
    };
    let mut watcher = Watcher::new(services, start).mirror_to(disk_tx);
    let mut indexnow = None;
    if let Some(settings) = config.indexnow.clone() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        watcher = watcher.submit_to(tx);
        indexnow = Some((settings, rx));
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
    if let Some((settings, urls)) = indexnow {
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
        let metrics = state.metrics.clone();
        tokio::spawn(crate::indexnow::run(
            settings,
            key_location,
            client,
            metrics,
            urls,
        ));
    }
    let watch_thread = std::thread::Builder::new()
        .name("syndic-watch".into())
        .spawn(move || watcher.run(nudges))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(%addr, startup = ?started.elapsed(), "serving http://{addr}/");
    http::run(listener, state.clone(), shutdown).await;
    let _ = state.nudge.lock().map(|n| n.send(Nudge::Stop));
    // The watcher stops, then the mirror writes what it was sent; the store's
    // connections close when the last holder (`state`, below) drops it.
    let _ = tokio::task::spawn_blocking(move || {
        let _ = watch_thread.join();
        mirror_thread.join()
    })
    .await;
    tracing::info!("stopped");
    Ok(())
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
