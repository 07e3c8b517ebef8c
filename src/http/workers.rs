//! Connection threads: one single-threaded runtime per core, each polling its
//! own connections, as nginx's workers do.
//!
//! Owns: those threads and the hand-out of accepted connections among them, in
//! turn. A connection lives on one thread from accept to close: its wake-ups
//! never cross threads, no task is stolen, no worker parks on a condition
//! variable while another holds the poller (what a work-stealing runtime pays
//! per request; `perf`: README, "Serving against nginx"). Blocking work (bodies
//! made or read back, store writes) still runs on the service's runtime, whose
//! bounded pool is shared.
//! Must not: serve requests itself (it runs what `http` gives it).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// The connection threads, stopped when dropped.
pub(super) struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    stops: Vec<oneshot::Sender<()>>,
}

impl Workers {
    /// Starts `count` threads (at least one), each with its own runtime.
    pub(super) fn start(count: usize) -> std::io::Result<Self> {
        let mut workers = Workers {
            handles: Vec::new(),
            next: AtomicUsize::new(0),
            stops: Vec::new(),
        };
        for n in 0..count.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let (stop, stopped) = oneshot::channel::<()>();
            workers.handles.push(runtime.handle().clone());
            workers.stops.push(stop);
            std::thread::Builder::new()
                .name(format!("syndic-http-{n}"))
                .spawn(move || {
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                    // Tasks left (connections past the grace period) end here;
                    // blocking work belongs to the service's runtime.
                    runtime.shutdown_background();
                })?;
        }
        Ok(workers)
    }

    /// No threads of its own: connections run on the calling runtime (when
    /// threads cannot be started).
    pub(super) fn on_this_runtime() -> Self {
        Workers {
            handles: vec![Handle::current()],
            next: AtomicUsize::new(0),
            stops: Vec::new(),
        }
    }

    /// Runs `connection` on the next thread in turn. It is first polled
    /// there, so a socket it registers then belongs to that thread's poller.
    pub(super) fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        self.handles[turn].spawn(connection);
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Workers;

    #[tokio::test]
    async fn connections_are_handed_out_in_turn_and_stay_on_their_thread() {
        let workers = Workers::start(2).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for n in 0..4 {
            let tx = tx.clone();
            workers.spawn(async move {
                let before = std::thread::current().name().map(str::to_owned);
                tokio::task::yield_now().await;
                let after = std::thread::current().name().map(str::to_owned);
                let _ = tx.send((n, before, after));
            });
        }
        drop(tx);
        let mut seen = Vec::new();
        while let Some(got) = rx.recv().await {
            seen.push(got);
        }
        seen.sort();
        let threads: Vec<_> = seen.iter().map(|(_, b, _)| b.clone().unwrap()).collect();
        assert_eq!(threads[0], threads[2]);
        assert_eq!(threads[1], threads[3]);
        assert_ne!(threads[0], threads[1]);
        assert!(threads[0].starts_with("syndic-http-"));
        assert!(seen.iter().all(|(_, before, after)| before == after));
    }
}
