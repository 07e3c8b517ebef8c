//! Subscription requests and intent verification (WebSub §5.1–5.3).
//!
//! Owns: answering `POST /websub` (202 once the request is checked and the
//! callback's addresses pass the guard, a 4xx otherwise), then verifying the
//! intent by a GET to the callback whose body must echo `hub.challenge`, and
//! only then storing or deleting the subscription. Must not: deliver content.

use super::Hub;
use super::request::{self, Intent, Mode, Refused, refused};
use crate::outbound::Request;
use crate::store::NewSubscription;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// An unguessable token: 128 bits from the process's random hash keys and a counter.
pub(crate) fn challenge() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n ^ salt);
        h.finish()
    };
    format!("{:016x}{:016x}", half(0), half(u64::MAX))
}

impl Hub {
    /// Checks a subscription request (the form body of `POST /websub`) and,
    /// when it is acceptable, verifies it in the background: `Ok` is a 202.
    pub(crate) async fn request(self: &Arc<Hub>, body: &[u8]) -> Result<(), Refused> {
        let heads = &self.parts.heads;
        let intent = request::parse(&self.parts.config, body, &|dir| heads.get(dir).is_some())?;
        self.admit(&intent.callback).await?;
        if intent.mode == Mode::Subscribe {
            self.within_host_limit(&intent).await?;
        }
        let hub = self.clone();
        tokio::spawn(async move { hub.verify(intent).await });
        Ok(())
    }

    /// Refuses a callback any of whose addresses the guard refuses (nothing is
    /// sent; the delivery client checks again the address it connects to).
    async fn admit(&self, callback: &url::Url) -> Result<(), Refused> {
        match self.parts.client.check(&self.policy, callback).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_refused() => Err(Refused {
                status: 403,
                text: format!("hub.callback: {e}"),
            }),
            Err(e) => Err(refused(format!("hub.callback: {e}"))),
        }
    }

    /// Refuses a new subscription past `[websub] max_subscriptions_per_host`.
    async fn within_host_limit(self: &Arc<Hub>, intent: &Intent) -> Result<(), Refused> {
        let host = intent.callback.host_str().unwrap_or_default().to_owned();
        let (topic, callback) = (intent.topic.path.clone(), intent.callback.to_string());
        let now = self.now_ms();
        let h = host.clone();
        let count = self
            .blocking(move |s| s.subscriptions().count_for_host(&h, &topic, &callback, now))
            .await
            .map_err(|e| Refused {
                status: 503,
                text: format!("subscriptions cannot be read now ({e}); try again later"),
            })?;
        let limit = self.parts.config.websub.max_subscriptions_per_host;
        if count >= u64::from(limit) {
            return Err(Refused {
                status: 429,
                text: format!(
                    "{host} already has {count} subscriptions, the most this hub keeps per callback host ([websub] max_subscriptions_per_host)"
                ),
            });
        }
        Ok(())
    }

    /// Verifies the intent; acts on it only when the callback echoes the challenge.
    async fn verify(self: Arc<Hub>, intent: Intent) {
        let challenge = challenge();
        let mut url = intent.callback.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("hub.mode", intent.mode.as_str())
                .append_pair("hub.topic", &intent.topic_url)
                .append_pair("hub.challenge", &challenge);
            if intent.mode == Mode::Subscribe {
                q.append_pair("hub.lease_seconds", &intent.lease_seconds.to_string());
            }
        }
        let limit =
            Duration::from_secs(self.parts.config.websub.verification_timeout_seconds.into());
        let send = self.parts.client.send(&self.policy, Request::get(url));
        let answer = tokio::time::timeout(limit, send).await;
        let echoed = match &answer {
            Ok(Ok(r)) => r.status.is_success() && r.body.trim_ascii() == challenge.as_bytes(),
            _ => false,
        };
        let hub_metrics = &self.parts.metrics.hub;
        if !echoed {
            hub_metrics.verification_failures.inc();
            let why = match answer {
                Ok(Ok(r)) => format!("answered {} without the challenge", r.status),
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {limit:?}"),
            };
            tracing::info!(callback = %intent.callback, topic = %intent.topic.path,
                mode = intent.mode.as_str(), %why, "websub intent not verified; nothing changed");
            return;
        }
        match self.act(&intent).await {
            Ok(()) => {
                hub_metrics.verified.inc();
                self.wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, callback = %intent.callback,
                "websub intent verified but not stored; the subscriber may ask again"),
        }
    }

    /// Stores (or renews) or deletes the verified subscription.
    async fn act(self: &Arc<Hub>, intent: &Intent) -> Result<(), crate::store::StoreError> {
        let (topic, callback) = (intent.topic.path.clone(), intent.callback.to_string());
        if intent.mode == Mode::Unsubscribe {
            return self
                .blocking(move |s| s.subscriptions().unsubscribe(&topic, &callback).map(drop))
                .await;
        }
        let delivered = self.parts.heads.get(&intent.topic.dir).map_or_else(
            || "{}".to_owned(),
            |h| super::diff::baseline(&h, intent.topic.kind),
        );
        let lease = i64::from(intent.lease_seconds);
        let sub = NewSubscription {
            topic,
            callback_host: intent.callback.host_str().unwrap_or_default().to_owned(),
            callback,
            secret: intent.secret.clone(),
            lease_seconds: lease,
            expires_at: self.now_ms() + lease * 1000,
            delivered,
            seq: self.cursor() as i64,
        };
        self.blocking(move |s| s.subscriptions().subscribe(&sub))
            .await
    }
}
