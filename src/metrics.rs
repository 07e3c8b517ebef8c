//! Prometheus metrics of the service (OpenMetrics text at `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a served request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    /// Document kind (`rss`, `atom`, `jsonfeed`, `sitemap`, …), `api`, or `other`.
    pub(crate) kind: String,
    /// HTTP status code.
    pub(crate) status: u16,
}

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    /// Requests by kind and status.
    pub(crate) requests: Family<RequestLabels, Counter>,
    /// `304 Not Modified` answers.
    pub(crate) not_modified: Counter,
    /// Body bytes sent.
    pub(crate) bytes_sent: Counter,
    /// Regeneration passes.
    pub(crate) regenerations: Counter,
    /// Watch passes, those that found nothing to regenerate included.
    pub(crate) watch_passes: Counter,
    /// Duration of regeneration passes, seconds.
    pub(crate) regeneration_seconds: Histogram,
    /// Units that failed to render (their last good version stayed).
    pub(crate) render_failures: Counter,
    /// Documents being served.
    pub(crate) documents: Gauge,
    /// Articles in the index.
    pub(crate) articles: Gauge,
    /// Estimated heap of the index, bytes.
    pub(crate) index_bytes: Gauge,
    /// Change-log entries committed but not yet applied.
    pub(crate) store_lag_changes: Gauge,
    /// 1 when the last store poll succeeded, 0 when the store is unreachable.
    pub(crate) store_up: Gauge,
    /// Writes refused because another writer held the store's lock too long.
    pub(crate) store_lock_timeouts: Counter,
    /// Connections closed on arrival because `[server] max_connections` were open.
    pub(crate) connections_refused: Counter,
    /// IndexNow requests accepted (2xx).
    pub(crate) indexnow_requests: Counter,
    /// URLs in accepted IndexNow requests.
    pub(crate) indexnow_urls: Counter,
    /// IndexNow requests retried (429, 5xx, transport).
    pub(crate) indexnow_retries: Counter,
    /// IndexNow requests given up.
    pub(crate) indexnow_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("syndic");
        let m = Metrics {
            requests: Family::default(),
            not_modified: Counter::default(),
            bytes_sent: Counter::default(),
            regenerations: Counter::default(),
            watch_passes: Counter::default(),
            regeneration_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            render_failures: Counter::default(),
            documents: Gauge::default(),
            articles: Gauge::default(),
            index_bytes: Gauge::default(),
            store_lag_changes: Gauge::default(),
            store_up: Gauge::default(),
            connections_refused: Counter::default(),
            store_lock_timeouts: Counter::default(),
            indexnow_requests: Counter::default(),
            indexnow_urls: Counter::default(),
            indexnow_retries: Counter::default(),
            indexnow_failures: Counter::default(),
            registry: Registry::default(),
        };
        for (name, help, counter) in [
            (
                "indexnow_requests",
                "IndexNow submissions accepted",
                &m.indexnow_requests,
            ),
            (
                "indexnow_urls",
                "URLs in accepted IndexNow submissions",
                &m.indexnow_urls,
            ),
            (
                "indexnow_retries",
                "IndexNow submissions retried (429, 5xx, no answer)",
                &m.indexnow_retries,
            ),
            (
                "indexnow_failures",
                "IndexNow submissions given up",
                &m.indexnow_failures,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "store_lock_timeouts",
            "Writes refused after waiting [store] lock_timeout_seconds for another writer",
            m.store_lock_timeouts.clone(),
        );
        registry.register(
            "http_connections_refused",
            "Connections closed on arrival at the connection limit",
            m.connections_refused.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by document kind and status",
            m.requests.clone(),
        );
        registry.register(
            "http_not_modified",
            "304 answers to conditional requests",
            m.not_modified.clone(),
        );
        registry.register(
            "http_response_body_bytes",
            "Body bytes sent",
            m.bytes_sent.clone(),
        );
        registry.register(
            "regenerations",
            "Regeneration passes",
            m.regenerations.clone(),
        );
        registry.register(
            "watch_passes",
            "Watch passes (store and clock looked at), with or without a regeneration",
            m.watch_passes.clone(),
        );
        registry.register(
            "regeneration_duration_seconds",
            "Duration of regeneration passes",
            m.regeneration_seconds.clone(),
        );
        registry.register(
            "render_failures",
            "Units that failed to render",
            m.render_failures.clone(),
        );
        registry.register("documents", "Documents served", m.documents.clone());
        registry.register("articles", "Articles in the index", m.articles.clone());
        registry.register(
            "index_bytes",
            "Estimated heap of the index",
            m.index_bytes.clone(),
        );
        registry.register(
            "store_lag_changes",
            "Committed changes not yet applied",
            m.store_lag_changes.clone(),
        );
        registry.register(
            "store_up",
            "Whether the store answered the last poll",
            m.store_up.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The OpenMetrics text exposition.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
