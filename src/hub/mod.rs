//! The built-in WebSub hub (W3C WebSub Recommendation, 2018) for syndic's own
//! feeds, at `POST {public_url}websub` when `[websub] builtin_hub = true`.
//!
//! Owns: subscription requests (checked in [`request`], the callback's
//! addresses checked by the outbound guard before anything is answered),
//! intent verification ([`verify`]), and content distribution ([`deliver`]):
//! after each regeneration the watch loop tells the hub which feeds it
//! rendered; the hub marks their subscriptions in the store, claims due
//! deliveries there (so that of several replicas one sends each), and POSTs
//! each subscriber a signed diff ([`diff`]) made from what the feed shows
//! ([`crate::pipeline::FeedHeads`]). Must not: render whole documents, read
//! the published artifacts, or send a request except through
//! [`crate::outbound`] under the guarded policy.

mod deliver;
mod diff;
mod request;
mod verify;

pub(crate) use verify::challenge;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::outbound::{Client, Policy};
use crate::pipeline::FeedHeads;
use crate::store::Store;
use crate::watch::Clock;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Notify, mpsc};

/// What the hub is made of.
pub(crate) struct Parts {
    /// Settings (`[websub]`, `[site] public_url`).
    pub(crate) config: Arc<Config>,
    /// Where subscriptions live.
    pub(crate) store: Arc<dyn Store>,
    /// What each feed shows (the watch loop keeps it).
    pub(crate) heads: Arc<FeedHeads>,
    /// The outbound client (guarded for callbacks; it also checks a callback
    /// before a request is answered).
    pub(crate) client: Client,
    /// Time.
    pub(crate) clock: Arc<dyn Clock>,
    /// Counters.
    pub(crate) metrics: Arc<Metrics>,
}

/// Feeds rendered anew up to a change-log position.
#[derive(Debug)]
struct Rendered {
    dirs: Vec<String>,
    cursor: u64,
}

/// The hub: cheap to share; [`Hub::start`] runs its delivery loop.
pub(crate) struct Hub {
    parts: Parts,
    /// Admits public addresses and `[websub] allow_callbacks`.
    policy: Policy,
    /// Names this process's claims in the store.
    owner: String,
    /// The change-log position the heads are current with.
    cursor: AtomicU64,
    rendered: mpsc::UnboundedSender<Rendered>,
    inbox: std::sync::Mutex<Option<mpsc::UnboundedReceiver<Rendered>>>,
    /// Wakes the delivery loop (a subscription was verified, a change marked).
    wake: Notify,
}

impl Hub {
    /// A hub; nothing runs until [`Hub::start`].
    pub(crate) fn new(parts: Parts, cursor: u64) -> Arc<Hub> {
        let policy = Policy::guarded(&parts.config.websub.allow_callbacks);
        let (rendered, inbox) = mpsc::unbounded_channel();
        let owner = format!(
            "{}-{}-{}",
            std::process::id(),
            parts.clock.now().timestamp_millis(),
            verify::challenge()
        );
        Arc::new(Hub {
            parts,
            policy,
            owner,
            cursor: AtomicU64::new(cursor),
            rendered,
            inbox: std::sync::Mutex::new(Some(inbox)),
            wake: Notify::new(),
        })
    }

    /// Called by the watch loop after each commit: the feeds in folders
    /// `dirs` were rendered, and what every feed shows is current with `cursor`.
    pub(crate) fn rendered(&self, dirs: Vec<String>, cursor: u64) {
        let _ = self.rendered.send(Rendered { dirs, cursor });
    }

    /// Starts the delivery loop on the current runtime; it ends with `stop`.
    pub(crate) fn start(self: &Arc<Hub>, stop: tokio::sync::watch::Receiver<bool>) {
        let inbox = self.inbox.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(inbox) = inbox {
            tokio::spawn(deliver::run(self.clone(), inbox, stop));
        }
    }

    fn now_ms(&self) -> i64 {
        self.parts.clock.now().timestamp_millis()
    }

    fn cursor(&self) -> u64 {
        self.cursor.load(Ordering::Acquire)
    }

    /// `{public_url}websub`.
    fn hub_url(&self) -> String {
        format!("{}websub", self.parts.config.site.public_url)
    }

    /// The public URL of a topic path.
    fn topic_url(&self, path: &str) -> String {
        format!("{}{path}", self.parts.config.site.public_url)
    }

    /// Runs a blocking store call off the runtime's threads.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Hub>,
        f: impl FnOnce(&dyn Store) -> Result<T, crate::store::StoreError> + Send + 'static,
    ) -> Result<T, crate::store::StoreError> {
        let hub = self.clone();
        tokio::task::spawn_blocking(move || f(&*hub.parts.store))
            .await
            .unwrap_or_else(|e| Err(crate::store::StoreError::Unavailable(e.to_string())))
    }
}
