//! What the built-in hub refuses, with a 4xx and a reason, before anything
//! is stored or sent: callbacks the outbound guard refuses (loopback
//! addresses outside `allow_callbacks = ["127.0.0.1/32"]`, the unspecified
//! address, schemes other than http(s)) — with listeners on those very
//! addresses to show that no connection was made — topics that are not this
//! site's feeds, malformed requests, oversized bodies.

use crate::support::{PUBLIC_URL, record};
use crate::websub_hub::{ask, hub_server};
use std::net::TcpListener;
use std::time::Duration;

/// A listener on `ip:0` that counts the connections it accepts (non-blocking).
fn trap(ip: &str) -> TcpListener {
    let l = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("bind {ip}: {e}"));
    l.set_nonblocking(true).unwrap();
    l
}

fn accepted(l: &TcpListener) -> usize {
    std::iter::from_fn(|| l.accept().ok()).count()
}

#[test]
fn callbacks_outside_the_allowed_networks_are_refused_and_never_contacted() {
    let server = hub_server();
    let topic = format!("{PUBLIC_URL}feed.xml");
    let other_loopback = trap("127.0.0.2");
    let v6 = trap("::1");
    let any = trap("127.0.0.1");
    let cases = [
        format!(
            "http://127.0.0.2:{}/cb",
            other_loopback.local_addr().unwrap().port()
        ),
        format!("http://[::1]:{}/cb", v6.local_addr().unwrap().port()),
        format!("http://0.0.0.0:{}/cb", any.local_addr().unwrap().port()),
        format!(
            "http://[::ffff:127.0.0.2]:{}/cb",
            other_loopback.local_addr().unwrap().port()
        ),
        "file:///etc/passwd".to_owned(),
        format!("gopher://127.0.0.1:{}/", any.local_addr().unwrap().port()),
    ];
    for callback in &cases {
        let r = ask(
            &server,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", &topic),
                ("hub.callback", callback),
            ],
        );
        assert!(
            (400..500).contains(&r.status),
            "{callback}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            r.text().contains("hub.callback"),
            "{callback}: {}",
            r.text()
        );
    }
    // Nothing was verified later either.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        accepted(&other_loopback) + accepted(&v6) + accepted(&any),
        0
    );
    let m = server.metrics();
    assert_eq!(
        m.count("syndic_websub_hub_refused_total", &[]),
        cases.len() as f64
    );
    assert_eq!(m.count("syndic_websub_hub_verified_total", &[]), 0.0);
}

/// A form, the status expected, and a part of the reason.
type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

#[test]
fn requests_that_are_not_subscriptions_to_this_sites_feeds_are_refused() {
    let server = hub_server();
    let cb = "http://127.0.0.1:9/cb";
    let feed = format!("{PUBLIC_URL}feed.xml");
    let long = "s".repeat(200);
    let nowhere = format!("{PUBLIC_URL}tags/nowhere/feed.xml");
    let sitemap = format!("{PUBLIC_URL}sitemap.xml");
    let cases: Vec<Case> = vec![
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", "https://elsewhere.example/feed.xml"),
                ("hub.callback", cb),
            ],
            400,
            "not a feed of this site",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &sitemap),
                ("hub.callback", cb),
            ],
            400,
            "not a feed of this site",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &nowhere),
                ("hub.callback", cb),
            ],
            400,
            "not a feed of this site",
        ),
        (
            vec![
                ("hub.mode", "publish"),
                ("hub.topic", &feed),
                ("hub.callback", cb),
            ],
            400,
            "hub.mode",
        ),
        (
            vec![("hub.topic", &feed), ("hub.callback", cb)],
            400,
            "hub.mode",
        ),
        (
            vec![("hub.mode", "subscribe"), ("hub.topic", &feed)],
            400,
            "hub.callback is missing",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &feed),
                ("hub.callback", "/relative"),
            ],
            400,
            "hub.callback",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &feed),
                ("hub.callback", cb),
                ("hub.secret", &long),
            ],
            400,
            "hub.secret",
        ),
        (
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", &feed),
                ("hub.callback", cb),
                ("hub.lease_seconds", "soon"),
            ],
            400,
            "hub.lease_seconds",
        ),
    ];
    for (pairs, status, reason) in &cases {
        let r = ask(&server, pairs);
        assert_eq!(r.status, *status, "{pairs:?}: {}", r.text());
        assert!(r.text().contains(reason), "{pairs:?}: {}", r.text());
    }
    let big = vec![b'a'; 20_000];
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(server.request("POST", "/websub", &ct, &big).status, 413);
    let json = [("Content-Type", "application/json")];
    assert_eq!(server.request("POST", "/websub", &json, b"{}").status, 415);
    assert_eq!(server.get("/websub").status, 405);
    // A site without the hub has no /websub.
    let plain = crate::support::Server::with_samples();
    assert_eq!(
        plain
            .put(&record(
                "x-1",
                "Sport",
                &[],
                &[],
                crate::support::samples_as_of()
            ))
            .status,
        201
    );
    assert_eq!(
        plain
            .request("POST", "/websub", &ct, b"hub.mode=subscribe")
            .status,
        405
    );
}
