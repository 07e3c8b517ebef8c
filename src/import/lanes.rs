//! The writers' side of an import: batches of valid articles, each with its
//! digest, and which writer an article goes to.
//!
//! Owns: batching and the id → writer assignment (the records of one id always
//! go to the same writer, so they are written in the order of the input).
//! Must not: read input or write the store (the writers do).

use crate::model::Article;
use std::sync::mpsc::SyncSender;

/// Records per transaction, shared among the writers.
pub const BATCH: usize = 5_000;

/// Articles on their way to a writer, each with its digest.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) articles: Vec<Article>,
    pub(super) digests: Vec<String>,
}

/// The writers' queues, each with the batch being filled for it: an article
/// goes to the writer its id hashes to, a batch leaves when full.
pub(super) struct Lanes {
    lanes: Vec<(SyncSender<Batch>, Batch)>,
    /// Records per batch: [`BATCH`] shared among the writers, so that the
    /// records in flight stay as many whatever their number.
    batch: usize,
}

impl Lanes {
    pub(super) fn new(senders: Vec<SyncSender<Batch>>) -> Lanes {
        let batch = (BATCH / senders.len().max(1)).max(1);
        Lanes {
            lanes: senders.into_iter().map(|s| (s, Batch::default())).collect(),
            batch,
        }
    }

    /// Adds `article` to its writer's batch, sending the batch when full;
    /// false if that writer has stopped (failed).
    pub(super) fn push(&mut self, article: Article, digest: String) -> bool {
        let lane = match self.lanes.len() {
            1 => 0,
            n => (lane_hash(&article.id) % n as u64) as usize,
        };
        let (sender, batch) = &mut self.lanes[lane];
        batch.articles.push(article);
        batch.digests.push(digest);
        batch.articles.len() < self.batch || sender.send(std::mem::take(batch)).is_ok()
    }

    /// Sends what is left; the writers end when their queue is empty.
    pub(super) fn finish(self) {
        for (sender, batch) in self.lanes {
            if !batch.articles.is_empty() {
                let _ = sender.send(batch);
            }
        }
    }
}

/// A hash of an id, the same for the whole process: which writer takes it.
fn lane_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

#[cfg(test)]
mod tests {
    use super::lane_hash;

    #[test]
    fn ids_spread_over_the_writers_and_always_to_the_same_one() {
        let ids: Vec<String> = (0..1000).map(|n| format!("article-{n}")).collect();
        let first = ids
            .iter()
            .filter(|id| lane_hash(id).is_multiple_of(2))
            .count();
        assert!(
            (400..=600).contains(&first),
            "{first} of 1000 to the first of two"
        );
        assert_eq!(lane_hash("a"), lane_hash("a"));
    }
}
