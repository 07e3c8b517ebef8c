//! `syndic serve`: wires store, index, pipeline, watch loop, disk mirror and HTTP.
//!
//! Owns: the start-up sequence (seed; then either serve the mirror at once
//! while the index loads and what changed since is rendered, or render
//! everything and then serve; then follow the store) and the orderly stop.
//! Must not: contain logic of its own beyond that wiring. The pieces a start
//! is made of are in [`start`].

mod start;

use crate::build::BuildError;
use crate::config::Config;
use crate::http::{self, AppState};
use crate::store::StoreError;
use crate::watch::{Clock, Nudge, Watcher};
use start::{IndexNowStart, Running, app_state, first_documents, hub, open, prepare};
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
