//! Single-flight loads of bodies that are not in memory: the first request for
//! a compressed variant, or for a body that left memory, makes or reads it once
//! on the blocking pool; requests for the same variant arriving meanwhile wait
//! for that one load (as tasks, holding no thread) and then take its bytes from
//! the artifact. So a variant is compressed once per document version however
//! many clients ask at once, and concurrent loads are bounded by the distinct
//! variants asked for, not by the requests.
//!
//! Owns: the table of loads in flight. Must not: compress or read files itself
//! (publish does), nor make responses.

use super::AppState;
use crate::publish::{Artifact, BodyError, Encoding};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The loads in flight, by artifact (its address, live while the load is) and
/// variant.
#[derive(Default)]
pub(crate) struct Loads {
    flights: Mutex<Table>,
}

/// Why a body could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// Publish could not read it back.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The blocking task panicked.
    #[error("loading the body failed: {0}")]
    Task(String),
}

impl Loads {
    /// The bytes of `encoding` of `artifact`: from memory, else from the one
    /// load of that variant in flight (started here if there is none).
    pub(crate) async fn body(
        &self,
        state: &AppState,
        artifact: &Arc<Artifact>,
        encoding: Encoding,
    ) -> Result<Bytes, LoadError> {
        if let Some(bytes) = artifact.ready(encoding) {
            return Ok(bytes);
        }
        let key = (Arc::as_ptr(artifact) as usize, encoding);
        let flight = Flight {
            loads: self,
            key,
            lock: self.table().entry(key).or_default().clone(),
        };
        // The guard moves into the blocking task: a waiter whose client left
        // cannot let a second load start while the first still runs.
        let guard = flight.lock.clone().lock_owned().await;
        match artifact.ready(encoding) {
            Some(bytes) => Ok(bytes),
            None => {
                let (publisher, a) = (state.publisher.clone(), artifact.clone());
                let loaded = state
                    .runtime
                    .spawn_blocking(move || {
                        let loaded = publisher.body(&a, encoding);
                        drop(guard);
                        loaded
                    })
                    .await;
                match loaded {
                    Ok(Ok(loaded)) => {
                        if loaded.compressed {
                            state.metrics.compressions.inc();
                        }
                        Ok(loaded.bytes)
                    }
                    Ok(Err(e)) => Err(e.into()),
                    Err(e) => Err(LoadError::Task(e.to_string())),
                }
            }
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.flights.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type Table = HashMap<(usize, Encoding), Arc<tokio::sync::Mutex<()>>>;

/// One request's hold on a flight; the last one to leave (done or cancelled)
/// removes it from the table.
struct Flight<'a> {
    loads: &'a Loads,
    key: (usize, Encoding),
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        // Clones are only taken under the table's lock: the count cannot grow
        // meanwhile. Ours and the table's: nobody else waits.
        let mut table = self.loads.table();
        if Arc::strong_count(&self.lock) <= 2 {
            table.remove(&self.key);
        }
    }
}
