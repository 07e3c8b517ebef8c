//! Two `syndic serve` processes with the built-in hub on one PostgreSQL
//! store: a subscriber (subscribed through one of them) receives each new
//! article exactly once, whichever replica took the write, although both
//! replicas render every change and mark it.

use crate::cluster::{Replica, record, request};
use crate::store_suite::postgres;
use crate::websub_hub::{WEBSUB, rss_guids};
use crate::websub_stub::{Event, Subscriber};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TOKEN: &str = "hub-replicas";
const PUBLIC: &str = "https://feeds.actu.example.ma/";

#[test]
fn two_replicas_deliver_each_change_once() {
    let store = postgres();
    let a = Replica::start_with(&store.url, TOKEN, WEBSUB);
    let b = Replica::start_with(&store.url, TOKEN, WEBSUB);
    let sub = Subscriber::start("127.0.0.1");
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &format!("{PUBLIC}feed.xml"))
        .append_pair("hub.callback", &sub.url("/both"))
        .append_pair("hub.secret", "two")
        .finish();
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    let (status, _, body) = request(a.port, "POST", "/websub", &ct, Some(&form));
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    assert!(matches!(
        sub.next(Duration::from_secs(5)),
        Some(Event::Verify { .. })
    ));
    std::thread::sleep(Duration::from_millis(500));

    let ids: Vec<String> = (0..20).map(|i| format!("rep-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let replica = if i % 2 == 0 { &a } else { &b };
        assert_eq!(replica.put(id, TOKEN, &record(id, id, &[])), 201);
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let wanted = |seen: &BTreeMap<String, usize>| {
        ids.iter()
            .all(|id| seen.keys().any(|g| g.ends_with(&format!("/{id}"))))
    };
    while !wanted(&seen) && Instant::now() < deadline {
        if let Some(Event::Delivery { body, .. }) = sub.delivery(Duration::from_millis(200)) {
            for g in rss_guids(&body) {
                *seen.entry(g).or_default() += 1;
            }
        }
    }
    // Anything sent twice would arrive now.
    while let Some(Event::Delivery { body, .. }) = sub.delivery(Duration::from_millis(1500)) {
        for g in rss_guids(&body) {
            *seen.entry(g).or_default() += 1;
        }
    }
    assert!(wanted(&seen), "not every article delivered: {seen:?}");
    assert_eq!(seen.len(), ids.len(), "{seen:?}");
    assert!(
        seen.values().all(|n| *n == 1),
        "an item delivered twice: {seen:?}"
    );
}

/// A delivery that failed before a replica was killed is sent by the next
/// process on the same store (SQLite here): pending deliveries live in the store.
#[test]
fn a_pending_delivery_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("db").display());
    let config = format!("{WEBSUB}request_timeout_seconds = 2\n");
    let first = Replica::start_with(&url, TOKEN, &config);
    let sub = Subscriber::start("127.0.0.1");
    sub.accept.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        first.put("keep-0", TOKEN, &record("keep-0", "Zéro", &[])),
        201
    );
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &format!("{PUBLIC}atom.xml"))
        .append_pair("hub.callback", &sub.url("/kept"))
        .finish();
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(
        request(first.port, "POST", "/websub", &ct, Some(&form)).0,
        202
    );
    assert!(matches!(
        sub.next(Duration::from_secs(5)),
        Some(Event::Verify { .. })
    ));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        first.put("keep-1", TOKEN, &record("keep-1", "Un", &[])),
        201
    );
    // Refused (500): retried with backoff, then the process dies.
    assert!(sub.delivery(Duration::from_secs(3)).is_some());
    drop(first);
    sub.accept.store(true, std::sync::atomic::Ordering::SeqCst);
    while sub.next(Duration::from_millis(10)).is_some() {}
    let second = Replica::start_with(&url, TOKEN, &config);
    let d = sub
        .delivery(Duration::from_secs(15))
        .expect("delivered after the restart");
    let Event::Delivery { body, .. } = &d else {
        unreachable!()
    };
    let text = String::from_utf8_lossy(body);
    assert!(text.contains("/keep-1</id>"), "{text}");
    assert!(!text.contains("/keep-0</id>"), "{text}");
    drop(second);
}
