//! The built-in WebSub hub end to end on loopback: a real `syndic serve` with
//! `[websub] builtin_hub = true` and test subscribers ([`crate::websub_stub`])
//! on 127.0.0.1 (the only network the callbacks may reach:
//! `allow_callbacks = ["127.0.0.1/32"]`).

use crate::support::{self, Options, PUBLIC_URL, Server, guid, record};
use crate::websub_stub::{Event, Subscriber};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use std::time::{Duration, Instant};

/// The hub's settings in the tests.
pub const WEBSUB: &str = r#"
[websub]
builtin_hub = true
allow_callbacks = ["127.0.0.1/32"]
min_lease_seconds = 60
max_lease_seconds = 3600
default_lease_seconds = 600
verification_timeout_seconds = 5
"#;

/// A server with the hub on.
pub fn hub_server() -> Server {
    Server::start(Options {
        extra_toml: WEBSUB.into(),
        ..Options::default()
    })
}

fn ago(minutes: i64) -> DateTime<Utc> {
    support::samples_as_of() - TimeDelta::minutes(minutes)
}

/// The hub URL a feed advertises in its `Link` header, as a path on `server`.
pub fn discover_hub(server: &Server, feed: &str) -> String {
    let r = server.get(feed);
    assert_eq!(r.status, 200);
    let links: Vec<&str> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "link")
        .map(|(_, v)| v.as_str())
        .collect();
    let hub = links
        .iter()
        .flat_map(|l| l.split(','))
        .find(|l| l.contains("rel=\"hub\""))
        .unwrap_or_else(|| panic!("{feed} advertises no hub: {links:?}"));
    let url = hub.trim().trim_start_matches('<');
    let url = &url[..url.find('>').unwrap()];
    let path = url
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is not this site's hub"));
    format!("/{path}")
}

/// POSTs a subscription request form; the response.
pub fn ask(server: &Server, pairs: &[(&str, &str)]) -> support::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    server.request("POST", "/websub", &ct, body.as_bytes())
}

/// Subscribes `callback` to `topic` (a path) and waits for the verification.
pub fn subscribe(server: &Server, sub: &Subscriber, path: &str, topic: &str, secret: Option<&str>) {
    let topic = format!("{PUBLIC_URL}{topic}");
    let callback = sub.url(path);
    let mut pairs = vec![
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", callback.as_str()),
        ("hub.lease_seconds", "600"),
    ];
    if let Some(s) = secret {
        pairs.push(("hub.secret", s));
    }
    let verified_before = verified(server);
    let r = ask(server, &pairs);
    assert_eq!(r.status, 202, "{}", r.text());
    match sub.next(Duration::from_secs(5)) {
        Some(Event::Verify { query, .. }) => {
            assert_eq!(query["hub.mode"], "subscribe");
            assert_eq!(query["hub.topic"], topic);
            assert_eq!(query["hub.lease_seconds"], "600");
            assert!(query["hub.challenge"].len() >= 32);
        }
        other => panic!("expected a verification, got {other:?}"),
    }
    support::wait_for("the subscription stored", Duration::from_secs(5), || {
        (verified(server) > verified_before).then_some(())
    });
}

fn verified(server: &Server) -> f64 {
    server
        .metrics()
        .get("syndic_websub_hub_verified_total", &[])
        .unwrap_or(0.0)
}

/// The GUIDs of the items of an RSS document.
pub fn rss_guids(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("guid"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

/// Checks `X-Hub-Signature: sha256=…` against the body and `secret`.
pub fn assert_signed(delivery: &Event, secret: &str) {
    let Event::Delivery { body, .. } = delivery else {
        panic!("not a delivery")
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        delivery.headers("x-hub-signature"),
        vec![format!("sha256={hex}")]
    );
}

#[test]
fn a_subscriber_gets_a_signed_diff_of_its_topic_and_nothing_else() {
    let server = hub_server();
    let sub = Subscriber::start("127.0.0.1");
    let topic = "tags/maroc-test/feed.xml";
    // The topic must exist to be subscribed to: one article makes the tag.
    assert_eq!(
        server
            .put(&record("hub-0", "Sport", &["Maroc test"], &[], ago(30)))
            .status,
        201
    );
    assert_eq!(discover_hub(&server, &format!("/{topic}")), "/websub");
    subscribe(&server, &sub, "/cb", topic, Some("sesame"));

    let put = server.put(&record("hub-1", "Sport", &["Maroc test"], &[], ago(20)));
    assert_eq!(put.status, 201);
    let returned = Instant::now();
    let d = sub
        .delivery(Duration::from_secs(1))
        .expect("a delivery within a second");
    let Event::Delivery { at, body, .. } = &d else {
        unreachable!()
    };
    assert!(at.duration_since(returned) < Duration::from_secs(1));
    assert_signed(&d, "sesame");
    assert_eq!(
        d.headers("content-type"),
        vec!["application/rss+xml; charset=utf-8"]
    );
    let links = d.headers("link");
    assert!(
        links.contains(&format!("<{PUBLIC_URL}websub>; rel=\"hub\"")),
        "{links:?}"
    );
    assert!(
        links.contains(&format!("<{PUBLIC_URL}{topic}>; rel=\"self\"")),
        "{links:?}"
    );
    // Only the new item: hub-0 was there when it subscribed.
    assert_eq!(rss_guids(body), vec![guid("hub-1")]);

    // A change elsewhere sends nothing.
    assert_eq!(
        server
            .put(&record("hub-2", "Économie", &["Autre"], &[], ago(10)))
            .status,
        201
    );
    assert!(sub.delivery(Duration::from_millis(1500)).is_none());

    // An edit sends the edited item only.
    let mut edited = record("hub-0", "Sport", &["Maroc test"], &[], ago(30));
    edited["title"] = "Titre corrigé".into();
    assert_eq!(server.put(&edited).status, 200);
    let d = sub
        .delivery(Duration::from_secs(2))
        .expect("the edit delivered");
    let Event::Delivery { body, .. } = &d else {
        unreachable!()
    };
    assert_eq!(rss_guids(body), vec![guid("hub-0")]);
    assert!(String::from_utf8_lossy(body).contains("Titre corrigé"));
    // Counted once the subscriber's answer is read.
    support::wait_for("two deliveries counted", Duration::from_secs(2), || {
        let m = server.metrics();
        (m.get("syndic_websub_hub_deliveries_ok_total", &[]) == Some(2.0)).then_some(())
    });
}

#[test]
fn nothing_after_unsubscribing_or_after_the_lease_ends() {
    let server = hub_server();
    let (a, b) = (
        Subscriber::start("127.0.0.1"),
        Subscriber::start("127.0.0.1"),
    );
    assert_eq!(
        server
            .put(&record("lease-0", "Sport", &["Bail"], &[], ago(30)))
            .status,
        201
    );
    let topic = "tags/bail/atom.xml";
    subscribe(&server, &a, "/a", topic, None);
    subscribe(&server, &b, "/b", topic, None);
    // a leaves (its intent verified too).
    let r = ask(
        &server,
        &[
            ("hub.mode", "unsubscribe"),
            ("hub.topic", &format!("{PUBLIC_URL}{topic}")),
            ("hub.callback", &a.url("/a")),
        ],
    );
    assert_eq!(r.status, 202);
    match a.next(Duration::from_secs(5)) {
        Some(Event::Verify { query, .. }) => assert_eq!(query["hub.mode"], "unsubscribe"),
        other => panic!("expected the unsubscribe verification, got {other:?}"),
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server
            .put(&record("lease-1", "Sport", &["Bail"], &[], ago(20)))
            .status,
        201
    );
    let d = b
        .delivery(Duration::from_secs(2))
        .expect("b still subscribed");
    assert_eq!(
        d.headers("content-type"),
        vec!["application/atom+xml; charset=utf-8"]
    );
    assert!(
        a.delivery(Duration::from_millis(500)).is_none(),
        "a unsubscribed"
    );

    // b's lease (600 s) ends.
    server
        .clock()
        .set(support::samples_as_of() + TimeDelta::seconds(601));
    assert_eq!(
        server
            .put(&record("lease-2", "Sport", &["Bail"], &[], ago(10)))
            .status,
        201
    );
    assert!(
        b.delivery(Duration::from_millis(1500)).is_none(),
        "b's lease ended"
    );
}

#[test]
fn an_unconfirmed_intent_is_not_acted_on() {
    let server = hub_server();
    let sub = Subscriber::start("127.0.0.1");
    sub.confirm
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let r = ask(
        &server,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &format!("{PUBLIC_URL}feed.xml")),
            ("hub.callback", &sub.url("/no")),
        ],
    );
    assert_eq!(r.status, 202);
    assert!(matches!(
        sub.next(Duration::from_secs(5)),
        Some(Event::Verify { .. })
    ));
    support::wait_for("the failure counted", Duration::from_secs(5), || {
        server
            .metrics()
            .get("syndic_websub_hub_verification_failures_total", &[])
            .filter(|v| *v >= 1.0)
    });
    assert_eq!(
        server
            .put(&record("unconfirmed-1", "Sport", &[], &[], ago(5)))
            .status,
        201
    );
    assert!(sub.delivery(Duration::from_millis(1000)).is_none());
}

#[test]
fn a_subscriber_failing_longer_than_drop_after_is_dropped() {
    let server = Server::start(Options {
        extra_toml: format!("{WEBSUB}drop_after_seconds = 120\n"),
        ..Options::default()
    });
    let sub = Subscriber::start("127.0.0.1");
    sub.accept.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        server
            .put(&record("drop-0", "Sport", &["Chute"], &[], ago(30)))
            .status,
        201
    );
    subscribe(&server, &sub, "/down", "tags/chute/feed.xml", None);
    assert_eq!(
        server
            .put(&record("drop-1", "Sport", &["Chute"], &[], ago(20)))
            .status,
        201
    );
    assert!(
        sub.delivery(Duration::from_secs(2)).is_some(),
        "first attempt (refused)"
    );
    // The hub records the failure by its clock once the answer is read.
    failures(&server, 1.0);
    // Retried with backoff (by the hub's clock), still refused: not dropped yet.
    server
        .clock()
        .set(support::samples_as_of() + TimeDelta::seconds(60));
    assert!(sub.delivery(Duration::from_secs(3)).is_some(), "retried");
    failures(&server, 2.0);
    let m = server.metrics();
    assert_eq!(
        m.count("syndic_websub_hub_subscribers_dropped_total", &[]),
        0.0
    );
    // Failing for longer than drop_after_seconds: dropped at the next failure.
    server
        .clock()
        .set(support::samples_as_of() + TimeDelta::seconds(200));
    assert!(
        sub.delivery(Duration::from_secs(3)).is_some(),
        "last attempt"
    );
    support::wait_for("the subscriber dropped", Duration::from_secs(3), || {
        let m = server.metrics();
        (m.count("syndic_websub_hub_subscribers_dropped_total", &[]) == 1.0).then_some(())
    });
    sub.accept.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        server
            .put(&record("drop-2", "Sport", &["Chute"], &[], ago(10)))
            .status,
        201
    );
    assert!(
        sub.delivery(Duration::from_millis(1500)).is_none(),
        "dropped: nothing more"
    );
    let m = server.metrics();
    assert!(m.count("syndic_websub_hub_deliveries_failed_total", &[]) >= 3.0);
}

/// Waits until the hub has counted `n` failed deliveries.
fn failures(server: &Server, n: f64) {
    support::wait_for("the failure recorded", Duration::from_secs(3), || {
        let m = server.metrics();
        (m.count("syndic_websub_hub_deliveries_failed_total", &[]) >= n).then_some(())
    });
}
