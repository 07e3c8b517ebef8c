//! The LISTEN side of the PostgreSQL store: one dedicated connection per process
//! that wakes the watch loop when another writer commits.

use super::postgres::{CHANNEL, PostgresStore};
use postgres::NoTls;
use postgres::fallible_iterator::FallibleIterator;
use std::time::{Duration, Instant};

impl PostgresStore {
    /// Starts the LISTEN thread: `on_change` runs on every notification and after
    /// every (re)connection (notifications sent while away are lost, so the caller
    /// re-reads the log). It stops when `on_change` returns false. A lost
    /// connection is retried after 0.1 s, doubling to 2 s, reset once a session
    /// has lasted a minute.
    pub fn listen(&self, on_change: Box<dyn Fn() -> bool + Send>) {
        let config = self.config().clone();
        let url = self.location().to_owned();
        let spawned = std::thread::Builder::new().name("syndic-listen".into()).spawn(move || {
            let mut backoff = Duration::from_millis(100);
            loop {
                let started = Instant::now();
                match listen_once(&config, &*on_change) {
                    Ok(()) => return,
                    Err(e) => tracing::warn!(store = %url, error = %e, retry_in = ?backoff, "LISTEN connection lost"),
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_millis(100);
                }
                std::thread::sleep(backoff);
                if !on_change() {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the LISTEN thread; relying on polling");
        }
    }
}

/// One LISTEN session; `Ok` when asked to stop, `Err` when the connection is lost.
fn listen_once(
    config: &postgres::Config,
    on_change: &dyn Fn() -> bool,
) -> Result<(), postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    if !on_change() {
        return Ok(());
    }
    loop {
        let arrived = {
            let mut notifications = client.notifications();
            let mut it = notifications.timeout_iter(Duration::from_secs(1));
            let mut arrived = false;
            while it.next()?.is_some() {
                arrived = true;
                if !on_change() {
                    return Ok(());
                }
            }
            arrived
        };
        if !arrived {
            // A quiet second: check that the connection is alive.
            client.simple_query("SELECT 1")?;
        }
    }
}
