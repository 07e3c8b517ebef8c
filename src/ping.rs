//! WebSub publisher pings: after each regeneration, every external hub of
//! `[websub] hubs` is told which feed documents changed, with one
//! `hub.mode=publish` request carrying each changed topic as a `hub.url`
//! (the PubSubHubbub 0.4 publish form that Google's hub, Superfeedr and the
//! WordPress plugin use; WebSub itself leaves publishing to the hub) and as a
//! `hub.topic` (the name other hubs read). `[websub] topics_per_ping` bounds
//! the topics of one request (1 for hubs that read only one).
//!
//! Each hub has its own task and its own pending set: the watch loop only adds
//! topic URLs to the sets (a lock and an insert, never a wait), changes that
//! arrive while a ping is in flight or backing off coalesce into the next one,
//! and a failed ping is retried with exponential backoff. A slow, failing or
//! hanging hub therefore delays neither regeneration, serving, nor other hubs.
//!
//! Owns: the queues, the ping requests, their retries and their metrics.
//! Must not: render, or reach a hub other than through [`crate::outbound`].

use crate::config::Config;
use crate::metrics::Metrics;
use crate::outbound::{Client, OutboundError, Policy, Request};
use crate::publish::Published;
use crate::render::DocKind;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use url::Url;

/// Topics pending for one hub beyond which new ones are dropped (counted as
/// failed): a hub down for long must not grow memory without bound.
const MAX_PENDING: usize = 10_000;

/// How failed pings are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    /// Wait before the first retry; doubled for each next one.
    pub(crate) first: Duration,
    /// Longest wait.
    pub(crate) max: Duration,
    /// Retries before a batch is given up.
    pub(crate) retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            retries: 6,
        }
    }
}

impl Backoff {
    fn wait(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// One hub's queue of topics to announce.
#[derive(Debug)]
struct HubQueue {
    hub: Url,
    topics_per_ping: usize,
    pending: Mutex<BTreeSet<String>>,
    wake: Notify,
}

impl HubQueue {
    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The pingers of every external hub; dropping it stops them.
pub(crate) struct Pinger {
    public_url: String,
    queues: Vec<Arc<HubQueue>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl Pinger {
    /// Starts one task per hub of `[websub] hubs` (call inside the runtime);
    /// `None` when there is no external hub.
    pub(crate) fn start(
        config: &Config,
        client: Client,
        metrics: Arc<Metrics>,
        backoff: Backoff,
    ) -> Option<Pinger> {
        if config.websub.hubs.is_empty() {
            return None;
        }
        let queues: Vec<Arc<HubQueue>> = (config.websub.hubs.iter())
            .map(|hub| {
                Arc::new(HubQueue {
                    hub: hub.url().clone(),
                    topics_per_ping: config.websub.topics_per_ping,
                    pending: Mutex::default(),
                    wake: Notify::new(),
                })
            })
            .collect();
        let tasks = (queues.iter())
            .map(|q| tokio::spawn(run(q.clone(), client.clone(), metrics.clone(), backoff)))
            .collect();
        Some(Pinger {
            public_url: config.site.public_url.to_string(),
            queues,
            tasks,
            metrics,
        })
    }

    /// Queues the feed documents `published` changed for every hub. Never waits.
    pub(crate) fn published(&self, published: &Published) {
        let feeds = (published.changed.iter())
            .filter(|a| matches!(a.kind, DocKind::Rss | DocKind::Atom | DocKind::JsonFeed));
        let topics: Vec<String> = feeds
            .map(|a| format!("{}{}", self.public_url, a.path))
            .collect();
        self.changed(&topics);
    }

    /// Queues `topics` (absolute URLs) for every hub. Never waits.
    pub(crate) fn changed(&self, topics: &[String]) {
        if topics.is_empty() {
            return;
        }
        for queue in &self.queues {
            let mut pending = queue.pending.lock().unwrap_or_else(|p| p.into_inner());
            for topic in topics {
                if pending.len() < MAX_PENDING {
                    pending.insert(topic.clone());
                } else if !pending.contains(topic) {
                    self.metrics.count_ping(queue.hub.as_str(), "dropped");
                }
            }
            drop(pending);
            queue.wake.notify_one();
        }
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A hub's task: waits for topics, pings, retries; forever.
async fn run(queue: Arc<HubQueue>, client: Client, metrics: Arc<Metrics>, backoff: Backoff) {
    let hub = queue.hub.as_str();
    let mut batch = BTreeSet::new();
    let mut attempt = 0;
    loop {
        if batch.is_empty() {
            queue.wake.notified().await;
        }
        batch.append(&mut queue.take());
        if batch.is_empty() {
            continue;
        }
        match ping(&client, &queue, &batch).await {
            Ok(()) => {
                metrics.count_ping(hub, "sent");
                tracing::debug!(hub, topics = batch.len(), "WebSub hub pinged");
                batch.clear();
                attempt = 0;
            }
            Err(e) if e.permanent || attempt >= backoff.retries => {
                metrics.count_ping(hub, "failed");
                tracing::warn!(hub, topics = batch.len(), error = %e.message,
                    "WebSub ping given up; the hub learns of these changes at the next one");
                batch.clear();
                attempt = 0;
            }
            Err(e) => {
                attempt += 1;
                metrics.count_ping(hub, "retried");
                let wait = backoff.wait(attempt);
                tracing::info!(hub, error = %e.message, ?wait, "WebSub ping failed; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Why a ping failed, and whether trying again could help.
struct PingError {
    message: String,
    permanent: bool,
}

impl From<OutboundError> for PingError {
    fn from(e: OutboundError) -> Self {
        PingError {
            permanent: e.is_refused(),
            message: e.to_string(),
        }
    }
}

/// Announces `topics` to the queue's hub, in parts of `topics_per_ping`; each
/// answered 2xx (a part accepted before a failure is announced again on retry).
async fn ping(
    client: &Client,
    queue: &HubQueue,
    topics: &BTreeSet<String>,
) -> Result<(), PingError> {
    let hub = &queue.hub;
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    for part in topics.chunks(queue.topics_per_ping) {
        let response = client
            .send(
                &Policy::Trusted,
                Request::post_form(hub.clone(), publish_form(part)),
            )
            .await?;
        let status = response.status;
        if !status.is_success() {
            // A 4xx other than 408/429 says the request itself is wrong.
            let permanent = status.is_client_error() && ![408, 429].contains(&status.as_u16());
            return Err(PingError {
                message: format!("{hub}: answered {status}"),
                permanent,
            });
        }
    }
    Ok(())
}

/// `hub.mode=publish`, then each topic as `hub.url`, then as `hub.topic`.
fn publish_form<'a>(topics: &'a [&'a str]) -> impl Iterator<Item = (&'a str, &'a str)> {
    let urls = topics.iter().map(|t| ("hub.url", *t));
    let named = topics.iter().map(|t| ("hub.topic", *t));
    std::iter::once(("hub.mode", "publish"))
        .chain(urls)
        .chain(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_publish_form_names_every_topic_both_ways() {
        let form: Vec<_> = publish_form(&["http://a/f.xml", "http://a/g.json"]).collect();
        assert_eq!(
            form,
            [
                ("hub.mode", "publish"),
                ("hub.url", "http://a/f.xml"),
                ("hub.url", "http://a/g.json"),
                ("hub.topic", "http://a/f.xml"),
                ("hub.topic", "http://a/g.json"),
            ]
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let b = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(10),
            retries: 9,
        };
        let waits: Vec<u64> = (1..=6).map(|n| b.wait(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
    }
}
