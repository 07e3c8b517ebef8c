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
    pub(crate) kind: std::borrow::Cow<'static, str>,
    /// HTTP status code.
    pub(crate) status: u16,
}

/// Labels of a WebSub publish ping.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PingLabels {
    /// The hub, as configured.
    pub(crate) hub: String,
    /// `sent` (2xx), `retried` (failed, tried again later), `failed` (given
    /// up), `dropped` (topics beyond the queue's bound).
    pub(crate) outcome: &'static str,
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
    /// The built-in WebSub hub's.
    pub(crate) hub: HubMetrics,
    /// WebSub publish pings by hub and outcome.
    pub(crate) websub_pings: Family<PingLabels, Counter>,
    /// Compressed variants made (once per document version and encoding asked for).
    pub(crate) compressions: Counter,
    /// 1 when start-up served the mirror its manifest described (no full pass).
    pub(crate) started_from_manifest: Gauge,
    /// Milliseconds from the start of `serve` to the first document servable.
    pub(crate) start_serving_ms: Gauge,
    /// Milliseconds from the start of `serve` to following the store.
    pub(crate) start_following_ms: Gauge,
    /// IndexNow requests accepted (2xx).
    pub(crate) indexnow_requests: Counter,
    /// URLs in accepted IndexNow requests.
    pub(crate) indexnow_urls: Counter,
    /// IndexNow requests retried (429, 5xx, transport).
    pub(crate) indexnow_retries: Counter,
    /// IndexNow requests given up.
    pub(crate) indexnow_failures: Counter,
    /// The disk mirror, as last observed.
    mirror: MirrorMetrics,
}

/// The disk mirror's health, copied from the publisher at each scrape.
#[derive(Default)]
struct MirrorMetrics {
    /// Held while copying totals, so two scrapes at once do not both add.
    observing: std::sync::Mutex<()>,
    pending: Gauge,
    failures: Counter,
    repaired: Counter,
}

impl MirrorMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "mirror_pending_documents",
            "Served documents whose current version is not written under [output] dir yet",
            self.pending.clone(),
        );
        registry.register(
            "mirror_write_failures",
            "Document writes under [output] dir that failed (full or failing disk)",
            self.failures.clone(),
        );
        registry.register(
            "mirror_repaired_documents",
            "Documents written by a repair after the disk refused them",
            self.repaired.clone(),
        );
    }
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
            compressions: Counter::default(),
            store_lock_timeouts: Counter::default(),
            mirror: MirrorMetrics::default(),
            hub: HubMetrics::default(),
            websub_pings: Family::default(),
            started_from_manifest: Gauge::default(),
            start_serving_ms: Gauge::default(),
            start_following_ms: Gauge::default(),
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
        m.mirror.register(&mut registry);
        m.hub.register(&mut registry);
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
            "compressions",
            "Compressed variants made (gzip or br; once per document version and encoding)",
            m.compressions.clone(),
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
        registry.register(
            "websub_pings",
            "WebSub publish pings to external hubs by outcome (sent, retried, failed, dropped)",
            m.websub_pings.clone(),
        );
        registry.register(
            "started_from_manifest",
            "1 when start-up served the mirror under [output] dir (its manifest matched), 0 after a full pass",
            m.started_from_manifest.clone(),
        );
        registry.register(
            "start_serving_milliseconds",
            "Milliseconds from the start of serve to the first document servable (the mirror's, or a full pass's)",
            m.start_serving_ms.clone(),
        );
        registry.register(
            "start_following_milliseconds",
            "Milliseconds from the start of serve to following the store (index loaded, what changed since the mirror rendered)",
            m.start_following_ms.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Counts a WebSub ping to `hub` with `outcome`.
    pub(crate) fn count_ping(&self, hub: &str, outcome: &'static str) {
        let labels = PingLabels {
            hub: hub.to_owned(),
            outcome,
        };
        self.websub_pings.get_or_create(&labels).inc();
    }

    /// Takes note of the disk mirror's state (totals since start).
    pub(crate) fn observe_mirror(&self, pending: usize, failures: u64, repaired: u64) {
        let _one_at_a_time = self.mirror.observing.lock();
        self.mirror.pending.set(pending as i64);
        let add = |counter: &Counter, total: u64| {
            counter.inc_by(total.saturating_sub(counter.get()));
        };
        add(&self.mirror.failures, failures);
        add(&self.mirror.repaired, repaired);
    }

    /// The OpenMetrics text exposition.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The built-in WebSub hub's metrics.
#[derive(Debug, Default)]
pub(crate) struct HubMetrics {
    /// Live subscriptions (all replicas'), as last counted.
    pub(crate) subscriptions: Gauge,
    /// Diffs delivered (2xx answers).
    pub(crate) deliveries_ok: Counter,
    /// Delivery attempts that failed (retried with backoff).
    pub(crate) deliveries_failed: Counter,
    /// Subscribers dropped after failing for `[websub] drop_after_seconds`.
    pub(crate) dropped: Counter,
    /// Intents verified (subscribe or unsubscribe).
    pub(crate) verified: Counter,
    /// Intents whose verification failed (not acted on).
    pub(crate) verification_failures: Counter,
    /// Subscription requests refused (4xx).
    pub(crate) refused: Counter,
}

impl HubMetrics {
    fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("websub_hub");
        r.register(
            "subscriptions",
            "Live subscriptions",
            self.subscriptions.clone(),
        );
        r.register(
            "deliveries_ok",
            "Diffs delivered",
            self.deliveries_ok.clone(),
        );
        r.register(
            "deliveries_failed",
            "Delivery attempts failed (retried with backoff)",
            self.deliveries_failed.clone(),
        );
        r.register(
            "subscribers_dropped",
            "Subscribers dropped after failing for [websub] drop_after_seconds",
            self.dropped.clone(),
        );
        r.register("verified", "Intents verified", self.verified.clone());
        r.register(
            "verification_failures",
            "Intents whose verification failed",
            self.verification_failures.clone(),
        );
        r.register(
            "refused",
            "Subscription requests refused with a 4xx",
            self.refused.clone(),
        );
    }
}
