//! The PostgreSQL store's pool across a server restart (private cluster): calls
//! fail fast with `Unavailable` while the server is down, and the first call
//! after it returns succeeds (connections lost while idle are replaced when taken
//! from the pool, never handed out).

use crate::cluster::PgCluster;
use std::time::{Duration, Instant};
use syndic::store::{self, StoreError, StoreUrl};

#[test]
fn a_server_restart_is_answered_unavailable_then_recovered_without_a_failed_call() {
    let cluster = PgCluster::start();
    let url: StoreUrl = cluster.url().parse().unwrap();
    let store = store::open(
        &url,
        syndic::store::Limits {
            pool_size: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(store.count().unwrap(), 0);
    assert_eq!(store.latest_seq().unwrap(), 0);

    cluster.down();
    let asked = Instant::now();
    match store.count() {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                message.contains(&format!("127.0.0.1:{}", cluster.port)),
                "{message}"
            )
        }
        other => panic!("expected Unavailable while the server is down, got {other:?}"),
    }
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "failing took {:?}",
        asked.elapsed()
    );

    cluster.up();
    assert_eq!(
        store.count().unwrap(),
        0,
        "the first call after the restart"
    );
    assert_eq!(store.latest_seq().unwrap(), 0);
}
