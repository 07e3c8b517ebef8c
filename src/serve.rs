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
use std::time::Instant;
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
}

fn prepare(config: Config, clock: Arc<dyn Clock>) -> Result<Prepared, ServeError> {
    let started = Instant::now();
    let config = Arc::new(config);
    let store: Arc<dyn store::Store> = Arc::from(store::open(&config.store.url)?);
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
    let caches = crate::pipeline::Caches {
        links: first.links,
        items: crate::pipeline::ItemCache::default(),
        sitemaps: first.sitemaps,
    };
    let failed = first.failed;
    let metrics = Arc::new(Metrics::new());
    metrics.store_up.set(1);
    metrics.documents.set(publisher.snapshot().len() as i64);
    metrics.articles.set(index.article_count() as i64);
    metrics.index_bytes.set(index.memory_bytes() as i64);
    metrics.render_failures.inc_by(failed.len() as u64);
    tracing::info!(documents = publisher.snapshot().len(), articles = index.article_count(),
        elapsed = ?started.elapsed(), dir = %dir.display(), "first build done and mirrored on disk");
    let (disk_tx, disk_rx) = std::sync::mpsc::channel();
    let mirror_publisher = publisher.clone();
    std::thread::Builder::new()
        .name("syndic-disk".into())
        .spawn(move || crate::publish::mirror_loop(&dir, &mirror_publisher, disk_rx))
        .map_err(|e| ServeError::Task(e.to_string()))?;
    let (applied_tx, applied_rx) = tokio::sync::watch::channel(cursor);
    let (nudge_tx, nudges) = std::sync::mpsc::channel();
    let listener_nudge = nudge_tx.clone();
    store.listen(Box::new(move || {
        listener_nudge.send(Nudge::Changed).is_ok()
    }));
    let state = Arc::new(AppState {
        config: config.clone(),
        publisher: publisher.clone(),
        store: store.clone(),
        metrics: metrics.clone(),
        nudge: std::sync::Mutex::new(nudge_tx),
        applied: applied_rx,
        cache_control: hyper::header::HeaderValue::from_str(&format!(
            "public, max-age={}",
            config.server.max_age
        ))
        .unwrap_or(hyper::header::HeaderValue::from_static("public")),
    });
    let watcher = Watcher {
        config,
        store,
        index,
        cursor,
        publisher,
        clock,
        metrics,
        disk: Some(disk_tx),
        applied: applied_tx,
        failures: 0,
        retry: failed.into_iter().collect(),
        caches,
    };
    Ok(Prepared {
        state,
        watcher,
        nudges,
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
    } = prepared;
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
    let _ = tokio::task::spawn_blocking(move || watch_thread.join()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = interrupt => {},
                _ = term.recv() => {},
            },
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing open requests");
}
