//! The HTTP server: published documents, health, metrics and the ingest API.
//!
//! Owns: connections (hyper HTTP/1.1, with a header-read timeout, a header size
//! limit, a request timeout and graceful shutdown; admission in [`admission`];
//! each served start to end on one of the connection threads of [`workers`],
//! one per core) and routing. Documents are read from
//! the published generation only; URLs never reach the file system. A body not
//! in memory is made or read back once per variant however many ask
//! ([`loads`]), on a bounded blocking pool; the variants asked for of a
//! document's previous version are made ahead for the new one ([`warm`]).
//! Must not: render, or write the store except through the ingest API.

mod admission;
mod api;
mod documents;
mod loads;
mod negotiate;
mod sendfile;
mod warm;
mod websub;
mod workers;

pub(crate) use warm::start as make_ahead;

use crate::config::Config;
use crate::metrics::{Metrics, RequestLabels};
use crate::publish::Publisher;
use crate::store::Store;
use crate::watch::Nudge;
use admission::{Admission, Refusal};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioTimer;
use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::net::TcpListener;

/// Response body type.
pub(crate) type Body = Full<Bytes>;

/// Time a client has to send its request headers.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a request may take, body included.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head accepted (larger gets 431).
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Time given to open connections to finish on shutdown.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What request handlers share.
pub(crate) struct AppState {
    /// Settings.
    pub(crate) config: Arc<Config>,
    /// The served generation.
    pub(crate) publisher: Arc<Publisher>,
    /// The store the ingest API writes.
    pub(crate) store: Arc<dyn Store>,
    /// Metrics.
    pub(crate) metrics: Arc<Metrics>,
    /// Wakes the watch loop after an ingest write.
    pub(crate) nudge: std::sync::Mutex<Sender<Nudge>>,
    /// How far the served documents have caught up with the change log.
    pub(crate) applied: tokio::sync::watch::Receiver<u64>,
    /// Whether the watch loop follows the store (false while a start from
    /// the mirror serves it and loads the index).
    pub(crate) caught_up: std::sync::atomic::AtomicBool,
    /// `Cache-Control` of every document, from `[server] max_age`.
    pub(crate) cache_control: header::HeaderValue,
    /// Bodies being made or read back, one load per variant.
    pub(crate) loads: loads::Loads,
    /// The built-in WebSub hub, when `[websub] builtin_hub` is on.
    pub(crate) hub: Option<Arc<crate::hub::Hub>>,
    /// `Cache-Control` of closed archive pages, from `[archives] cache_seconds`.
    pub(crate) archive_cache_control: header::HeaderValue,
    /// The service's runtime: blocking work runs on its bounded pool, whichever
    /// connection thread asks (see [`workers`]).
    pub(crate) runtime: tokio::runtime::Handle,
}

/// Serves until `shutdown` completes, then lets open requests finish (bounded).
pub(crate) async fn run(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) {
    // HTTP/1.1 only: hyper's HTTP/1 reader applies the header timeout from the
    // first byte on (the auto-detecting builder reads its preface without one,
    // so a silent client could hold a connection forever). HTTP/2 and TLS belong
    // to the proxy or CDN in front.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES.max(8192))
        .keep_alive(true);
    let server = &state.config.server;
    let admission = Admission::new(
        server.max_connections,
        server.max_connections_per_address,
        HEADER_READ_TIMEOUT,
    );
    let refusals = Arc::new(std::sync::Mutex::new(Refusals::default()));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = workers::Workers::start(cores).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot start the connection threads; connections \
            are served on the service's runtime instead");
        workers::Workers::on_this_runtime()
    });
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ticket = match admission.admit(peer.ip()) {
            Ok(ticket) => ticket,
            Err(refusal) => {
                note_refusal(&refusals, &state, refusal);
                continue;
            }
        };
        let (state, admission, refusals) = (state.clone(), admission.clone(), refusals.clone());
        let (builder, stopping) = (builder.clone(), stopping.clone());
        // Off this runtime's poller, onto the connection thread's (see workers).
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "an accepted connection could not be handed over; closed");
                continue;
            }
        };
        workers.spawn(async move {
            let _slot = match admission.slot(&ticket).await {
                Ok(slot) => slot,
                Err(refusal) => return note_refusal(&refusals, &state, refusal),
            };
            let stream = match tokio::net::TcpStream::from_std(stream) {
                Ok(stream) => stream,
                Err(e) => {
                    return tracing::warn!(error = %e, "a connection could not be polled; closed");
                }
            };
            let _ = stream.set_nodelay(true);
            let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
            let conn = builder.serve_connection(sendfile::Conn::new(stream), service);
            serve_until_asked_to_close(conn, &ticket, stopping).await;
        });
    }
    drop(listener);
    let _ = stop.send(true);
    if !admission.drained(SHUTDOWN_GRACE).await {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
    drop(workers);
}

/// How long a connection asked to close is still polled before it is closed.
const ARRIVING_GRACE: Duration = Duration::from_millis(20);

/// Serves one connection until it ends, closing it gracefully (an idle
/// keep-alive connection at once, a request in flight once answered) when
/// admission needs its slot or the server stops.
async fn serve_until_asked_to_close<C>(
    conn: C,
    ticket: &admission::Ticket,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    C: Future + hyper_util::server::graceful::GracefulConnection,
{
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = ticket.close.notified(), if !closing => {}
            _ = stopping.changed(), if !closing => {}
        }
        // A request whose bytes have arrived but not been reported by the
        // poller yet (a connection accepted just before the stop) would be
        // judged idle and dropped: the connection is polled once more after
        // the poller's next turn, which reads its head, before it is closed.
        if tokio::time::timeout(ARRIVING_GRACE, conn.as_mut())
            .await
            .is_ok()
        {
            return;
        }
        conn.as_mut().graceful_shutdown();
        closing = true;
    }
}

fn note_refusal(refusals: &std::sync::Mutex<Refusals>, state: &AppState, refusal: Refusal) {
    let mut refusals = refusals.lock().unwrap_or_else(|p| p.into_inner());
    refusals.note(&state.metrics, refusal);
}

/// How often, at most, refused connections are logged (a flood must not flood the log).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// Connections refused at the limit: each counted in the metrics, logged as one
/// line per [`REFUSAL_LOG_EVERY`] with how many there were since the last line.
#[derive(Default)]
struct Refusals {
    unlogged: u64,
    last_logged: Option<std::time::Instant>,
}

impl Refusals {
    fn note(&mut self, metrics: &crate::metrics::Metrics, refusal: Refusal) {
        metrics.connections_refused.inc();
        self.unlogged += 1;
        if self
            .last_logged
            .is_none_or(|t| t.elapsed() >= REFUSAL_LOG_EVERY)
        {
            let limit = match refusal {
                Refusal::PerAddress => "[server] max_connections_per_address",
                Refusal::Full => "[server] max_connections",
            };
            tracing::warn!(
                refused = self.unlogged,
                "connection limit reached ({limit}); connections closed without an answer \
                 (logged at most every 10 s; total in syndic_http_connections_refused_total)"
            );
            self.unlogged = 0;
            self.last_logged = Some(std::time::Instant::now());
        }
    }
}

async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let (kind, response) = within_request_timeout(route(&state, req)).await;
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            kind: kind.into(),
            status,
        })
        .inc();
    if status == 304 {
        state.metrics.not_modified.inc();
    }
    Ok(response)
}

/// Runs `answer` under [`REQUEST_TIMEOUT`]. A document in memory is answered
/// at the first poll: only a request that has to wait (a body being made or
/// read back, an ingest write) arms the timer, which costs a timer-wheel
/// insertion and removal per request otherwise.
async fn within_request_timeout(
    answer: impl Future<Output = (&'static str, Response<Body>)>,
) -> (&'static str, Response<Body>) {
    let mut answer = std::pin::pin!(answer);
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(answer.as_mut().poll(cx))).await;
    if let std::task::Poll::Ready(done) = first {
        return done;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
        Ok(done) => done,
        Err(_) => (
            "other",
            plain(StatusCode::REQUEST_TIMEOUT, "request took too long\n"),
        ),
    }
}

async fn route(state: &Arc<AppState>, req: Request<Incoming>) -> (&'static str, Response<Body>) {
    if req.uri().path().starts_with("/api/") {
        return ("api", api::handle(state, req).await);
    }
    if let (Some(hub), "/websub") = (&state.hub, req.uri().path()) {
        return ("websub", websub::handle(state, hub, req).await);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return ("other", r);
    }
    match req.uri().path() {
        "/healthz" => ("health", health(state)),
        "/metrics" => ("metrics", metrics(state)),
        path => documents::serve(state, &req, path).await,
    }
}

fn health(state: &AppState) -> Response<Body> {
    let up = state.metrics.store_up.get() == 1;
    let mirror = state.publisher.mirror_health();
    let on_disk = mirror.pending() == 0;
    let body = serde_json::json!({
        "status": if up && on_disk { "ok" } else { "degraded" },
        "store": if up { "up" } else { "unreachable" },
        "documents": state.publisher.snapshot().len(),
        "applied_seq": *state.applied.borrow(),
        "catching_up": !state.caught_up.load(std::sync::atomic::Ordering::Acquire),
        "store_lock_timeouts": state.metrics.store_lock_timeouts.get(),
        "mirror": {
            "status": if on_disk { "ok" } else { "failing" },
            "pending_documents": mirror.pending(),
            "write_failures": mirror.failures(),
            "last_error": mirror.last_error(),
        },
    });
    // Degraded still serves documents: 200, so load balancers keep the replica.
    json(StatusCode::OK, &body)
}

fn metrics(state: &AppState) -> Response<Body> {
    let mirror = state.publisher.mirror_health();
    state
        .metrics
        .observe_mirror(mirror.pending(), mirror.failures(), mirror.repaired());
    let mut r = Response::new(Body::from(state.metrics.encode()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
    );
    r
}

/// A plain-text response.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
    body.push(b'\n');
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}
