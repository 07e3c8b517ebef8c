//! IndexNow: telling search engines (Bing, Yandex, Naver, Seznam…) which
//! article URLs were published, updated, unpublished or deleted.
//!
//! Owns: the submitting task ([`run`]): woken by the watch loop when it read
//! changes (and polling the store now and then), it waits `[indexnow]
//! window_ms` to gather more, claims the due URLs of the store's queue (which
//! the store's triggers fill in the transaction of each write, and which every
//! replica shares: a URL is claimed by one), sends them in batches of at most
//! 10,000 per host through the outbound client (the operator's endpoint:
//! trusted policy), retried with backoff on 429, 5xx and transport errors, and
//! deletes them from the queue once accepted; the request bodies ([`batch`]).
//! Must not: decide which writes are submitted (the store's triggers do),
//! render, publish, or block the watch loop (it only sends a wake-up).

mod batch;
mod task;

pub(crate) use batch::bodies;
pub(crate) use task::{Parts, run};
