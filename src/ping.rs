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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A hub on 127.0.0.1 answering 500 to its first request and 204 after,
    /// handing each request's form to `forms`.
    async fn flaky_hub(forms: tokio::sync::mpsc::UnboundedSender<String>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        tokio::spawn(async move {
            for n in 0.. {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut got = Vec::new();
                let mut buf = [0u8; 8192];
                while let Ok(k @ 1..) = s.read(&mut buf).await {
                    got.extend_from_slice(&buf[..k]);
                    if complete(&got) {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&got).into_owned();
                let _ = forms.send(text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned());
                let status = if n == 0 { "500 Oops" } else { "204 No Content" };
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        url
    }

    /// Whether `got` holds a whole request (head and `Content-Length` body).
    fn complete(got: &[u8]) -> bool {
        let text = String::from_utf8_lossy(got).to_ascii_lowercase();
        let Some(end) = text.find("\r\n\r\n") else {
            return false;
        };
        let length = (text[..end].lines())
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        got.len() >= end + 4 + length
    }

    #[tokio::test]
    async fn changes_during_a_retry_coalesce_into_it() {
        let (tx, mut forms) = tokio::sync::mpsc::unbounded_channel();
        let hub = flaky_hub(tx).await;
        let text = format!(
            "[site]\ntitle = \"A\"\ndescription = \"A\"\nlanguage = \"fr\"\n\
             home_url = \"https://a.example/\"\npublic_url = \"https://f.example/\"\n\
             publication_name = \"A\"\nguid_authority = \"a.example,2024\"\n\
             [websub]\nhubs = [\"{hub}\"]\n"
        );
        let config =
            Config::from_toml(std::path::Path::new("t.toml"), &text, std::iter::empty()).unwrap();
        let client = Client::new(crate::outbound::Limits::from_config(&config.websub));
        let metrics = Arc::new(Metrics::new());
        let backoff = Backoff {
            first: Duration::from_millis(300),
            max: Duration::from_secs(1),
            retries: 3,
        };
        let pinger = Pinger::start(&config, client, metrics.clone(), backoff).unwrap();
        pinger.changed(&["https://f.example/feed.xml".into()]);
        let first = forms.recv().await.unwrap();
        assert_eq!(
            first,
            "hub.mode=publish&hub.url=https%3A%2F%2Ff.example%2Ffeed.xml&hub.topic=https%3A%2F%2Ff.example%2Ffeed.xml"
        );
        // Answered 500: while the pinger waits to retry, two more changes come.
        pinger.changed(&["https://f.example/atom.xml".into()]);
        pinger.changed(&[
            "https://f.example/feed.xml".into(),
            "https://f.example/feed.json".into(),
        ]);
        let retry = forms.recv().await.unwrap();
        let urls: Vec<_> = url::form_urlencoded::parse(retry.as_bytes())
            .filter(|(k, _)| k == "hub.url")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(
            urls,
            [
                "https://f.example/atom.xml",
                "https://f.example/feed.json",
                "https://f.example/feed.xml"
            ]
        );
        let count = |outcome| {
            metrics
                .websub_pings
                .get_or_create(&crate::metrics::PingLabels {
                    hub: hub.clone(),
                    outcome,
                })
                .get()
        };
        tokio::time::timeout(Duration::from_secs(2), async {
            while count("sent") == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .unwrap();
        assert_eq!(
            (count("retried"), count("sent"), count("failed")),
            (1, 1, 0)
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(400), forms.recv())
                .await
                .is_err(),
            "one ping per batch"
        );
    }

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
