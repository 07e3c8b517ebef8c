//! The built-in WebSub hub's rows: subscriptions and their pending deliveries.
//!
//! Owns: the types and the blocking trait both backends implement (the SQL is
//! in `sqlite_hub` and `postgres_hub`). Must not: decide leases, backoff or
//! what a diff holds (the hub does), or read the clock (times are passed in,
//! as milliseconds since the Unix epoch).

use super::StoreError;

/// A verified subscription to store (new, or renewing one with the same
/// topic and callback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// The topic: a feed document's path under the public URL (`tags/x/feed.xml`).
    pub topic: String,
    /// The subscriber's callback URL.
    pub callback: String,
    /// The callback's host (the limit per host counts these).
    pub callback_host: String,
    /// `hub.secret`, when given.
    pub secret: Option<String>,
    /// The lease granted.
    pub lease_seconds: i64,
    /// When the lease ends (ms).
    pub expires_at: i64,
    /// What the subscriber is taken to have (the topic's items when it
    /// subscribed), as JSON `{"item id": "version"}`; kept on renewal.
    pub delivered: String,
    /// The change-log position the subscriber is taken to be current with.
    pub seq: i64,
}

/// A delivery claimed by one replica: send it, then report
/// [`Subscriptions::delivered`] or [`Subscriptions::failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// The topic path.
    pub topic: String,
    /// Where to POST.
    pub callback: String,
    /// For `X-Hub-Signature`.
    pub secret: Option<String>,
    /// What was delivered so far (JSON `{"item id": "version"}`).
    pub delivered: String,
    /// The change-log position of the last change marked.
    pub pending_seq: i64,
    /// Marks so far: [`Subscriptions::delivered`] records them as delivered.
    pub marks: i64,
    /// Failed attempts in a row.
    pub attempts: i64,
    /// Since when deliveries fail (ms), if they do.
    pub failing_since: Option<i64>,
}

/// How a failed delivery is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Try again at this time (ms).
    RetryAt(i64),
    /// Failing for too long: the subscription is deleted.
    Drop,
}

/// Subscriptions and deliveries, shared by every replica on the store.
pub trait Subscriptions: Send + Sync {
    /// Inserts a subscription, or renews the one with the same topic and
    /// callback (new secret and lease; what it was delivered is kept).
    fn subscribe(&self, s: &NewSubscription) -> Result<(), StoreError>;
    /// Deletes the subscription; whether there was one.
    fn unsubscribe(&self, topic: &str, callback: &str) -> Result<bool, StoreError>;
    /// Live subscriptions whose callback is on `host`, other than `topic`+`callback`.
    fn count_for_host(
        &self,
        host: &str,
        topic: &str,
        callback: &str,
        now: i64,
    ) -> Result<u64, StoreError>;
    /// Live subscriptions.
    fn count_live(&self, now: i64) -> Result<u64, StoreError>;
    /// The topics were rendered anew, up to change-log position `seq`: a
    /// delivery becomes pending for each live subscription to them (every
    /// replica marks; a second mark of a change finds nothing new to send).
    fn mark_changed(&self, topics: &[String], seq: i64, now: i64) -> Result<u64, StoreError>;
    /// Claims up to `limit` pending deliveries due at `now` whose change is at
    /// or below `cursor` (what this replica has applied), for `owner`, until
    /// `claim_until`. A row is claimed by one caller at a time.
    fn claim(
        &self,
        owner: &str,
        cursor: i64,
        now: i64,
        claim_until: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Records a delivery sent: the subscriber now has `delivered` as of `seq`.
    fn delivered(&self, id: i64, owner: &str, seq: i64, delivered: &str) -> Result<(), StoreError>;
    /// Records a failed delivery (`now` starts the failing period if none is open).
    fn failed(&self, id: i64, owner: &str, now: i64, failure: Failure) -> Result<(), StoreError>;
    /// Deletes subscriptions whose lease ended by `now`; how many.
    fn expire(&self, now: i64) -> Result<u64, StoreError>;
}
