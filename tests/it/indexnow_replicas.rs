//! Two `syndic serve` processes with `[indexnow]` on one PostgreSQL store
//! (issue 14): although both follow the change log and are woken by every
//! change, the stub endpoint receives each changed URL exactly once, whichever
//! replica took the write, a deleted article's included.

use crate::cluster::{Replica, record, request};
use crate::indexnow::{accepted_urls, indexnow_toml, stub};
use crate::store_suite::postgres;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TOKEN: &str = "indexnow-replicas";

#[test]
fn two_replicas_submit_each_changed_url_once() {
    let store = postgres();
    let (endpoint, seen) = stub(vec![]);
    let config = indexnow_toml(&endpoint, 300);
    let a = Replica::start_with(&store.url, TOKEN, &config);
    let b = Replica::start_with(&store.url, TOKEN, &config);
    let ids: Vec<String> = (0..20).map(|i| format!("inr-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let replica = if i % 2 == 0 { &a } else { &b };
        assert_eq!(replica.put(id, TOKEN, &record(id, id, &[])), 201);
    }
    let url = |id: &str| format!("https://www.actu.example.ma/{id}.html");
    let count = || {
        let mut n: BTreeMap<String, usize> = BTreeMap::new();
        for u in accepted_urls(&seen) {
            *n.entry(u).or_default() += 1;
        }
        n
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while count().len() < ids.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // A deleted article's URL, deleted through the other replica.
    let auth = format!("Bearer {TOKEN}");
    let (status, _, _) = request(
        b.port,
        "DELETE",
        "/api/articles/inr-0",
        &[("Authorization", &auth)],
        None,
    );
    assert!(status < 300, "delete: {status}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while count().get(&url("inr-0")) != Some(&2) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Anything sent twice would arrive now.
    std::thread::sleep(Duration::from_secs(2));
    let counted = count();
    let wanted: BTreeMap<String, usize> = ids
        .iter()
        .map(|id| (url(id), if id == "inr-0" { 2 } else { 1 }))
        .collect();
    assert_eq!(
        counted,
        wanted,
        "each write submitted once (inr-0 written, then deleted)\nA:\n{}\nB:\n{}",
        a.log(),
        b.log()
    );
}
