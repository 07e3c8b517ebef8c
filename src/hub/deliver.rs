//! Content distribution (WebSub §7): marking, claiming and sending diffs.
//!
//! Owns: the hub's loop. It marks the subscriptions of the feeds each
//! regeneration rendered; claims the due deliveries in the store (one
//! replica gets each); POSTs each a diff with the topic's `Content-Type`,
//! `Link` rel="hub" and rel="self", and `X-Hub-Signature` when the subscriber
//! gave a secret; records success, or a retry with backoff, or drops a
//! subscriber failing for longer than `[websub] drop_after_seconds`; deletes
//! expired subscriptions. Must not: accept subscriptions.

use super::request::Topic;
use super::{Hub, Rendered, diff};
use crate::outbound::Request;
use crate::render::paths;
use crate::store::{Claimed, Failure};
use hmac::{Hmac, KeyInit, Mac};
use hyper::header::{HeaderName, HeaderValue};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often due deliveries (retries, other replicas' marks) are looked for.
const TICK: Duration = Duration::from_millis(500);
/// How often expired subscriptions are deleted and live ones counted.
const HOUSEKEEPING_MS: i64 = 10_000;
/// Deliveries claimed at a time.
const BATCH: usize = 64;
/// Longest wait between retries.
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// Runs until `stop` turns true.
pub(super) async fn run(
    hub: Arc<Hub>,
    mut inbox: mpsc::UnboundedReceiver<Rendered>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut housekeeping = i64::MIN;
    // What changed while no replica ran was never marked: every topic is
    // marked once at start (a subscriber already current is sent nothing).
    let every_feed = hub.parts.heads.dirs();
    hub.mark(vec![Rendered {
        dirs: every_feed,
        cursor: hub.cursor(),
    }])
    .await;
    loop {
        let mut rendered = Vec::new();
        tokio::select! {
            _ = stop.changed() => return,
            Some(r) = inbox.recv() => rendered.push(r),
            () = hub.wake.notified() => {}
            _ = tick.tick() => {}
        }
        while let Ok(r) = inbox.try_recv() {
            rendered.push(r);
        }
        if *stop.borrow() {
            return;
        }
        hub.mark(rendered).await;
        if hub.now_ms() >= housekeeping {
            housekeeping = hub.now_ms() + HOUSEKEEPING_MS;
            hub.housekeeping().await;
        }
        hub.deliver_due().await;
    }
}

impl Hub {
    /// Marks the subscriptions of the feeds rendered (all their formats).
    async fn mark(self: &Arc<Hub>, rendered: Vec<Rendered>) {
        let Some(cursor) = rendered.iter().map(|r| r.cursor).max() else {
            return;
        };
        let topics: Vec<String> = rendered
            .iter()
            .flat_map(|r| &r.dirs)
            .flat_map(|d| [paths::RSS, paths::ATOM, paths::JSON].map(|f| format!("{d}{f}")))
            .collect();
        let now = self.now_ms();
        if !topics.is_empty() {
            let marked = self
                .blocking(move |s| s.subscriptions().mark_changed(&topics, cursor as i64, now))
                .await;
            if let Err(e) = marked {
                tracing::warn!(error = %e, "websub: subscriptions not marked; their subscribers miss this change until the next one");
            }
        }
        self.cursor.fetch_max(cursor, Ordering::AcqRel);
    }

    async fn housekeeping(self: &Arc<Hub>) {
        let now = self.now_ms();
        match self.blocking(move |s| s.subscriptions().expire(now)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "websub: leases ended; subscriptions deleted"),
            Err(e) => tracing::warn!(error = %e, "websub: expired subscriptions not deleted"),
        }
        if let Ok(n) = self
            .blocking(move |s| s.subscriptions().count_live(now))
            .await
        {
            self.parts.metrics.hub.subscriptions.set(n as i64);
        }
    }

    /// Claims and sends every due delivery, a batch at a time, in parallel.
    async fn deliver_due(self: &Arc<Hub>) {
        let lease = Duration::from_secs(self.parts.config.websub.request_timeout_seconds.into());
        loop {
            let (owner, cursor, now) = (self.owner.clone(), self.cursor() as i64, self.now_ms());
            let until = now + lease.as_millis() as i64 + 5_000;
            let claimed = self
                .blocking(move |s| s.subscriptions().claim(&owner, cursor, now, until, BATCH))
                .await;
            let claimed = match claimed {
                Ok(c) if c.is_empty() => return,
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "websub: deliveries not claimed; trying again");
                    return;
                }
            };
            let mut sending = tokio::task::JoinSet::new();
            for c in claimed {
                let hub = self.clone();
                sending.spawn(async move { hub.deliver(c).await });
            }
            while sending.join_next().await.is_some() {}
        }
    }

    /// Sends one claimed delivery and records the outcome.
    async fn deliver(self: &Arc<Hub>, c: Claimed) {
        let site = &self.parts.config.site;
        let head =
            Topic::from_path(&c.topic).and_then(|t| Some((self.parts.heads.get(&t.dir)?, t.kind)));
        let made = head.map(|(head, kind)| (diff::diff(site, &head, kind, &c.delivered), kind));
        let (diff, kind) = match made {
            // The feed is gone: nothing to send.
            None => return self.record_sent(&c, c.delivered.clone()).await,
            Some((Ok(d), kind)) => (d, kind),
            Some((Err(e), _)) => {
                tracing::error!(error = %e, topic = %c.topic, "websub: diff not rendered");
                return self.record_failure(&c).await;
            }
        };
        let Some(body) = diff.body else {
            return self.record_sent(&c, diff.sent).await;
        };
        let Ok(callback) = url::Url::parse(&c.callback) else {
            return self.record_failure(&c).await;
        };
        let request = self.delivery(callback, kind.content_type(), &c, body);
        match self.parts.client.send(&self.policy, request).await {
            Ok(r) if r.status.is_success() => {
                tracing::debug!(callback = %c.callback, topic = %c.topic, items = diff.items, "websub diff delivered");
                self.record_sent(&c, diff.sent).await;
                // Counted once recorded (tests wait on the counters).
                self.parts.metrics.hub.deliveries_ok.inc();
            }
            answer => {
                let why =
                    answer.map_or_else(|e| e.to_string(), |r| format!("answered {}", r.status));
                tracing::info!(callback = %c.callback, %why, attempts = c.attempts + 1, "websub delivery failed; retried later");
                self.record_failure(&c).await;
                self.parts.metrics.hub.deliveries_failed.inc();
            }
        }
    }

    /// The POST of a diff, with its `Link` headers and signature.
    fn delivery(
        &self,
        callback: url::Url,
        content_type: &'static str,
        c: &Claimed,
        body: Vec<u8>,
    ) -> Request {
        let link = |url: String, rel: &str| {
            HeaderValue::from_str(&format!("<{url}>; rel=\"{rel}\""))
                .unwrap_or(HeaderValue::from_static(""))
        };
        let signature = c
            .secret
            .as_ref()
            .map(|secret| signature(secret.as_bytes(), &body));
        let mut request = Request::post(
            callback,
            HeaderValue::from_static(content_type),
            body.into(),
        )
        .with_header(hyper::header::LINK, link(self.hub_url(), "hub"))
        .with_header(hyper::header::LINK, link(self.topic_url(&c.topic), "self"));
        if let Some(value) = signature.and_then(|s| HeaderValue::from_str(&s).ok()) {
            request = request.with_header(HeaderName::from_static("x-hub-signature"), value);
        }
        request
    }

    async fn record_sent(self: &Arc<Hub>, c: &Claimed, sent: String) {
        let (id, owner, marks) = (c.id, self.owner.clone(), c.marks);
        let done = self
            .blocking(move |s| s.subscriptions().delivered(id, &owner, marks, &sent))
            .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "websub: delivery not recorded; it may be sent again");
        }
    }

    async fn record_failure(self: &Arc<Hub>, c: &Claimed) {
        let now = self.now_ms();
        let drop_after = i64::from(self.parts.config.websub.drop_after_seconds) * 1000;
        let failure = if c
            .failing_since
            .is_some_and(|since| now - since >= drop_after)
        {
            self.parts.metrics.hub.dropped.inc();
            tracing::warn!(callback = %c.callback, topic = %c.topic,
                "websub: subscriber failing for longer than [websub] drop_after_seconds; dropped");
            Failure::Drop
        } else {
            let backoff = (1000i64 << c.attempts.clamp(0, 22)).min(MAX_BACKOFF_MS);
            Failure::RetryAt(now + backoff)
        };
        let (id, owner) = (c.id, self.owner.clone());
        if let Err(e) = self
            .blocking(move |s| s.subscriptions().failed(id, &owner, now, failure))
            .await
        {
            tracing::warn!(error = %e, "websub: failed delivery not recorded; its claim lapses");
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body keyed by secret>` (WebSub §7.1).
pub(crate) fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}
