//! The submitting task: claims due URLs of the store's queue, sends, retries,
//! and removes from the queue what the endpoint accepted.

use super::bodies;
use crate::config::IndexNow;
use crate::metrics::Metrics;
use crate::outbound::{Client, Policy, Request};
use crate::store::{Store, StoreError};
use crate::watch::Clock;
use hyper::header::HeaderValue;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// Attempts per request before it is given up (logged, counted).
const ATTEMPTS: u32 = 6;
/// First wait before a retry; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a claim holds URLs: longer than a request's attempts (6 × 30 s
/// timeouts plus backoff); a crashed replica's URLs are taken over after it.
pub(crate) const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// How often the queue is looked at without a wake-up: writes other
/// replicas did not see through their change log, lapsed claims, embargoes.
const POLL: Duration = Duration::from_secs(30);
/// URLs claimed at a time.
const CLAIM: usize = super::batch::MAX_URLS;

/// What the task works with.
pub(crate) struct Parts {
    /// `[indexnow]`.
    pub(crate) settings: IndexNow,
    /// The `keyLocation` every request names.
    pub(crate) key_location: String,
    /// The outbound client.
    pub(crate) client: Client,
    /// Metrics to keep.
    pub(crate) metrics: Arc<Metrics>,
    /// The store holding the queue.
    pub(crate) store: Arc<dyn Store>,
    /// Time (due dates and claims).
    pub(crate) clock: Arc<dyn Clock>,
    /// Names this process's claims.
    pub(crate) owner: String,
}

/// Submits what is due now, then whenever woken (after gathering for the
/// window) or every [`POLL`], until every sender of `wake` is gone.
pub(crate) async fn run(parts: Parts, mut wake: UnboundedReceiver<()>) {
    let window = Duration::from_millis(parts.settings.window_ms);
    loop {
        submit_due(&parts).await;
        match tokio::time::timeout(POLL, wake.recv()).await {
            Ok(None) => return,
            Ok(Some(())) => {
                // Gather what else is written within the window.
                tokio::time::sleep(window).await;
                while wake.try_recv().is_ok() {}
            }
            Err(_) => {}
        }
    }
}

/// Claims the due URLs, sends them, deletes what was accepted; a store
/// error is logged and leaves the URLs for the next round.
async fn submit_due(parts: &Parts) {
    loop {
        let now = parts.clock.now();
        let (from, until) = (now.timestamp_millis(), (now + LEASE).timestamp_millis());
        let owner = parts.owner.clone();
        let claimed = blocking(parts, move |store| {
            store.submissions().claim(&owner, from, until, CLAIM)
        })
        .await;
        let urls = match claimed {
            Ok(urls) if urls.is_empty() => return,
            Ok(urls) => urls,
            Err(e) => {
                tracing::warn!(error = %e, "IndexNow: queued URLs not read; tried again later");
                return;
            }
        };
        let settings = &parts.settings;
        for batch in bodies(settings.key.as_str(), &parts.key_location, &urls) {
            let count = batch.urls.len() as u64;
            if !submit(parts, batch.body, count).await {
                continue;
            }
            let owner = parts.owner.clone();
            let sent = batch.urls;
            if let Err(e) = blocking(parts, move |s| s.submissions().submitted(&owner, &sent)).await
            {
                tracing::warn!(error = %e, "IndexNow: submitted URLs left in the queue; they will be sent again");
            }
        }
        if urls.len() < CLAIM {
            return;
        }
    }
}

/// Runs a store call off the runtime's threads.
async fn blocking<T: Send + 'static>(
    parts: &Parts,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = parts.store.clone();
    tokio::task::spawn_blocking(move || f(&*store))
        .await
        .unwrap_or_else(|e| Err(StoreError::Unavailable(format!("IndexNow store call: {e}"))))
}

/// Sends one body, retrying on 429, 5xx and transport errors; whether the
/// endpoint accepted it. URLs given up stay claimed and are tried again when
/// the claim lapses ([`LEASE`]).
async fn submit(parts: &Parts, body: Vec<u8>, urls: u64) -> bool {
    let (settings, metrics) = (&parts.settings, &parts.metrics);
    let json = HeaderValue::from_static("application/json; charset=utf-8");
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let request = Request::post(
            settings.endpoint.url().clone(),
            json.clone(),
            body.clone().into(),
        );
        let outcome = parts.client.send(&Policy::Trusted, request).await;
        let retry = match &outcome {
            Ok(r) if r.status.is_success() => {
                metrics.indexnow_requests.inc();
                metrics.indexnow_urls.inc_by(urls);
                return true;
            }
            Ok(r) => r.status.as_u16() == 429 || r.status.is_server_error(),
            Err(_) => true,
        };
        let what = match &outcome {
            Ok(r) => format!("status {}", r.status),
            Err(e) => e.to_string(),
        };
        if !retry || attempt == ATTEMPTS {
            metrics.indexnow_failures.inc();
            tracing::warn!(endpoint = %settings.endpoint.as_str(), urls, attempt, %what,
                "IndexNow submission given up until its claim lapses (5 min); check [indexnow] endpoint and key, and that the key file is served on the articles' host");
            return false;
        }
        metrics.indexnow_retries.inc();
        tracing::debug!(%what, attempt, ?backoff, "IndexNow submission retried");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    false
}
