//! IndexNow's queue of URLs to submit (`indexnow_queue`), which triggers on
//! `articles` fill in the transaction of each write (see the 0004 migrations).
//!
//! Owns: the blocking trait both backends implement (the SQL is in
//! `sqlite_indexnow` and `postgres_indexnow`). Must not: decide what is
//! submitted (the triggers do), send anything, or read the clock (times are
//! passed in, as milliseconds since the Unix epoch).

use super::StoreError;

/// The queue of IndexNow submissions, shared by every replica on the store.
pub trait Submissions: Send + Sync {
    /// Starts filling the queue: from now on every write of a published (or
    /// formerly published) article queues its URL. Stays on.
    fn enable(&self) -> Result<(), StoreError>;
    /// Claims up to `limit` URLs due at `now` and not claimed (or whose claim
    /// lapsed), for `owner`, until `claim_until`. A URL is claimed by one
    /// caller at a time.
    fn claim(
        &self,
        owner: &str,
        now: i64,
        claim_until: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;
    /// Deletes these URLs, submitted by `owner`, unless their claim was taken
    /// over or cleared by a newer write since (then they are sent again); how
    /// many were deleted.
    fn submitted(&self, owner: &str, urls: &[String]) -> Result<u64, StoreError>;
    /// Deletes the URLs due and queued before `before` (never sent within the
    /// change log's retention); how many.
    fn prune(&self, before: i64) -> Result<u64, StoreError>;
    /// URLs in the queue (tests, `/metrics`).
    fn queued(&self) -> Result<u64, StoreError>;
}
