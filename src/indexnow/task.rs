//! The submitting task: gathers URLs over a window, sends, retries.

use super::bodies;
use crate::config::IndexNow;
use crate::metrics::Metrics;
use crate::outbound::{Client, Policy, Request};
use chrono::{DateTime, Utc};
use hyper::header::HeaderValue;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// A URL to submit once `due` has passed (an embargoed article's at its lifting).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pending {
    /// The article's URL.
    pub(crate) url: String,
    /// Not before.
    pub(crate) due: DateTime<Utc>,
}

/// Attempts per request before it is given up (logged, counted).
const ATTEMPTS: u32 = 6;
/// First wait before a retry; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Submits what `urls` receives until every sender is gone.
pub(crate) async fn run(
    settings: IndexNow,
    key_location: String,
    client: Client,
    metrics: Arc<Metrics>,
    mut urls: UnboundedReceiver<Vec<Pending>>,
) {
    let window = Duration::from_millis(settings.window_ms);
    let mut waiting: BTreeSet<(DateTime<Utc>, String)> = BTreeSet::new();
    loop {
        // Sleep until a URL arrives or the first waiting one is due.
        let next_due = waiting.first().map(|(due, _)| *due);
        let wait = next_due.map(|due| (due - Utc::now()).to_std().unwrap_or_default());
        let received = match wait {
            Some(wait) => tokio::time::timeout(wait, urls.recv()).await.ok(),
            None => Some(urls.recv().await),
        };
        match received {
            Some(None) => return,
            Some(Some(batch)) => {
                waiting.extend(batch.into_iter().map(|p| (p.due, p.url)));
                // Gather what else comes within the window.
                let _ = tokio::time::timeout(window, async {
                    while let Some(more) = urls.recv().await {
                        waiting.extend(more.into_iter().map(|p| (p.due, p.url)));
                    }
                })
                .await;
            }
            None => {}
        }
        let now = Utc::now();
        let due: Vec<String> = waiting
            .iter()
            .take_while(|(d, _)| *d <= now)
            .map(|(_, u)| u.clone())
            .collect();
        waiting.retain(|(d, _)| *d > now);
        if due.is_empty() {
            continue;
        }
        for body in bodies(settings.key.as_str(), &key_location, &due) {
            submit(&settings, &client, &metrics, body).await;
        }
    }
}

/// Sends one body, retrying on 429, 5xx and transport errors.
async fn submit(settings: &IndexNow, client: &Client, metrics: &Metrics, body: Vec<u8>) {
    let urls = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["urlList"].as_array().map(Vec::len))
        .unwrap_or(0) as u64;
    let json = HeaderValue::from_static("application/json; charset=utf-8");
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let request = Request::post(
            settings.endpoint.url().clone(),
            json.clone(),
            body.clone().into(),
        );
        let outcome = client.send(&Policy::Trusted, request).await;
        let retry = match &outcome {
            Ok(r) if r.status.is_success() => {
                metrics.indexnow_requests.inc();
                metrics.indexnow_urls.inc_by(urls);
                return;
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
                "IndexNow submission given up; check [indexnow] endpoint and key, and that the key file is served on the articles' host");
            return;
        }
        metrics.indexnow_retries.inc();
        tracing::debug!(%what, attempt, ?backoff, "IndexNow submission retried");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
