//! The LISTEN side of the PostgreSQL store: one dedicated connection per process
//! (not pooled: a pooled connection's messages are discarded by the pool) that
//! wakes the watch loop when another writer commits. It runs as a task on the
//! store's runtime and ends with it.

use super::postgres::{CHANNEL, PostgresStore};
use std::time::{Duration, Instant};
use tokio_postgres::AsyncMessage;

impl PostgresStore {
    /// Starts the LISTEN task: `on_change` runs on every notification and after
    /// every (re)connection (notifications sent while away are lost, so the caller
    /// re-reads the log). It stops when `on_change` returns false or the store is
    /// dropped. A lost connection is retried after 0.1 s, doubling to 2 s, reset
    /// once a session has lasted a minute.
    pub(crate) fn listen(&self, on_change: Box<dyn Fn() -> bool + Send>) {
        let config = self.config.clone();
        let tls = self.tls.clone();
        let url = self.location().to_owned();
        let mut on_change = on_change;
        self.handle.spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                let started = Instant::now();
                match listen_once(&config, tls.clone(), &mut *on_change).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(store = %url, error = %e, retry_in = ?backoff, "LISTEN connection lost")
                    }
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_millis(100);
                }
                tokio::time::sleep(backoff).await;
                if !on_change() {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
    }
}

/// One LISTEN session; `Ok` when asked to stop, `Err` when the connection is lost.
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    on_change: &mut (dyn Fn() -> bool + Send),
) -> Result<(), Lost> {
    let (client, mut connection) = config.connect(tls).await?;
    // The connection must be driven while LISTEN runs.
    let statement = format!("LISTEN {CHANNEL}");
    let listen = client.batch_execute(&statement);
    let mut listen = std::pin::pin!(listen);
    loop {
        tokio::select! {
            done = &mut listen => { done?; break; }
            message = std::future::poll_fn(|cx| connection.poll_message(cx)) => if let Some(Err(e)) = message { return Err(e.into()) },
        }
    }
    if !on_change() {
        return Ok(());
    }
    loop {
        // Keepalives (set on the config) end a session whose server vanished.
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(_))) => {
                if !on_change() {
                    return Ok(());
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err(Lost::Closed),
        }
    }
}

/// Why a LISTEN session ended.
#[derive(Debug, thiserror::Error)]
enum Lost {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the server closed the connection")]
    Closed,
}
