//! The built-in hub's rows in the store, on both backends: subscriptions and
//! pending deliveries survive reopening (a restart), and replicas claiming at
//! once each take disjoint deliveries, so each is sent once; a claim left by
//! a crashed replica is retaken after it lapses.

use crate::store_suite::{Backend, both_backends, postgres, sqlite};
use std::collections::BTreeSet;
use syndic::store::{Failure, NewSubscription, PostgresStore, SqliteStore, Store, StoreUrl};

fn reopen(b: &Backend) -> Box<dyn Store> {
    if b.url.starts_with("postgres://") {
        let StoreUrl::Postgres(pg) = b.url.parse().unwrap() else {
            unreachable!()
        };
        Box::new(PostgresStore::open(&pg, Default::default()).unwrap())
    } else {
        Box::new(SqliteStore::open(&b.url).unwrap())
    }
}

fn sub(topic: &str, n: usize) -> NewSubscription {
    NewSubscription {
        topic: topic.into(),
        callback: format!("http://127.0.0.1:9/cb/{n}"),
        callback_host: "127.0.0.1".into(),
        secret: Some("k".into()),
        lease_seconds: 600,
        expires_at: 600_000,
        delivered: "{}".into(),
        seq: 5,
    }
}

fn survive_reopening(b: &Backend) {
    let s = b.store.subscriptions();
    s.subscribe(&sub("feed.xml", 1)).unwrap();
    s.subscribe(&sub("tags/x/feed.xml", 2)).unwrap();
    assert_eq!(s.mark_changed(&["feed.xml".into()], 7, 1000).unwrap(), 1);
    let again = reopen(b);
    let claimed = again
        .subscriptions()
        .claim("r2", 7, 1000, 5000, 10)
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].topic, "feed.xml");
    assert_eq!(claimed[0].secret.as_deref(), Some("k"));
    // Not claimable by a replica that has not rendered up to the change.
    assert_eq!(again.subscriptions().count_live(1000).unwrap(), 2);
}

fn claims_are_disjoint(b: &Backend) {
    let s = b.store.subscriptions();
    for n in 0..200 {
        s.subscribe(&sub("feed.xml", n)).unwrap();
    }
    s.mark_changed(&["feed.xml".into()], 9, 1000).unwrap();
    // A second replica marks the same change: still one pending delivery each.
    let other = reopen(b);
    other
        .subscriptions()
        .mark_changed(&["feed.xml".into()], 9, 1000)
        .unwrap();
    assert!(s.claim("lagging", 8, 1000, 5000, 10).unwrap().is_empty());
    let stores: [&dyn Store; 2] = [&*b.store, &*other];
    let taken: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, st)| {
                scope.spawn(move || {
                    let owner = format!("replica-{i}");
                    let mut ids = Vec::new();
                    loop {
                        let c = st.subscriptions().claim(&owner, 9, 1000, 5000, 7).unwrap();
                        if c.is_empty() {
                            return ids;
                        }
                        for d in c {
                            st.subscriptions()
                                .delivered(d.id, &owner, d.marks, "{}")
                                .unwrap();
                            ids.push(d.id);
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<i64> = taken.iter().flatten().copied().collect();
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 200, "each delivery claimed once");
    assert_eq!(distinct.len(), 200);
    assert!(s.claim("late", 9, 1000, 5000, 10).unwrap().is_empty());
}

fn lapsed_claims_are_retaken(b: &Backend) {
    let s = b.store.subscriptions();
    s.subscribe(&sub("feed.xml", 1)).unwrap();
    s.mark_changed(&["feed.xml".into()], 3, 1000).unwrap();
    let first = s.claim("crashed", 5, 1000, 2000, 10).unwrap();
    assert_eq!(first.len(), 1);
    assert!(s.claim("alive", 5, 1500, 3500, 10).unwrap().is_empty());
    let again = s.claim("alive", 5, 2000, 4000, 10).unwrap();
    assert_eq!(again.len(), 1);
    // The crashed replica's late report is ignored: the row is not its own.
    s.delivered(first[0].id, "crashed", first[0].marks, "{\"a\":\"1\"}")
        .unwrap();
    s.failed(again[0].id, "alive", 2000, Failure::RetryAt(9000))
        .unwrap();
    assert!(s.claim("alive", 5, 8999, 20000, 10).unwrap().is_empty());
    let retry = s.claim("alive", 5, 9000, 20000, 10).unwrap();
    assert_eq!((retry[0].attempts, retry[0].failing_since), (1, Some(2000)));
    assert_eq!(retry[0].delivered, "{}");
    s.failed(retry[0].id, "alive", 9000, Failure::Drop).unwrap();
    assert_eq!(s.count_live(9000).unwrap(), 0);
}

fn renewal_keeps_what_was_sent_and_leases_end(b: &Backend) {
    let s = b.store.subscriptions();
    let mut first = sub("feed.xml", 1);
    first.delivered = "{\"a\":\"1\"}".into();
    s.subscribe(&first).unwrap();
    let mut renewed = sub("feed.xml", 1);
    renewed.expires_at = 900_000;
    renewed.secret = None;
    s.subscribe(&renewed).unwrap();
    assert_eq!(s.count_live(700_000).unwrap(), 1);
    s.mark_changed(&["feed.xml".into()], 6, 1000).unwrap();
    let c = s.claim("r", 6, 1000, 2000, 10).unwrap();
    assert_eq!(
        (c[0].delivered.as_str(), c[0].secret.as_deref()),
        ("{\"a\":\"1\"}", None)
    );
    assert_eq!(
        s.count_for_host("127.0.0.1", "other", "x", 1000).unwrap(),
        1
    );
    assert_eq!(
        s.count_for_host("127.0.0.1", "feed.xml", &renewed.callback, 1000)
            .unwrap(),
        0
    );
    assert_eq!(s.expire(900_000).unwrap(), 1);
    assert!(
        s.unsubscribe("feed.xml", &renewed.callback)
            .is_ok_and(|gone| !gone)
    );
}

both_backends!(
    survive_reopening,
    claims_are_disjoint,
    lapsed_claims_are_retaken,
    renewal_keeps_what_was_sent_and_leases_end,
);
