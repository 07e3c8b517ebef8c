//! IndexNow (issue 14): with `[indexnow]`, the key file is served at
//! `/{key}.txt`, and the URLs of articles written through the API reach the
//! endpoint (a stub on 127.0.0.1) as one coalesced JSON batch with `host`,
//! `key`, `keyLocation` and `urlList`, retried after a 503 and a 429, counted
//! in `/metrics`. An unpublished article's URL is submitted too; a new draft's
//! is not. Keys outside 8–128 of `[a-zA-Z0-9-]` are refused when the
//! configuration is read. A deleted article's URL is submitted; an embargoed
//! one when its embargo lifts (controlled clock); a URL written but not yet
//! sent when the server stopped is sent after a restart.

use crate::support::{self, Options, Server, wait_for};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use syndic::watch::Clock;

pub(crate) const KEY: &str = "3f2c0b7e-indexnow-test";

/// A stub endpoint on 127.0.0.1: answers the first requests with `script`'s
/// statuses, then 200; keeps every body received.
/// Each request the stub received: the status it answered and the body.
pub(crate) type Seen = Arc<Mutex<Vec<(u16, Value)>>>;

pub(crate) fn stub(script: Vec<u16>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/indexnow", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            let mut first = String::new();
            reader.read_line(&mut first).expect("request line");
            assert!(first.starts_with("POST /indexnow "), "{first}");
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header");
                if line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().expect("length");
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let status = script.next().unwrap_or(200);
            let json: Value = serde_json::from_slice(&body).expect("a JSON body");
            record.lock().expect("lock").push((status, json));
            let answer =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, seen)
}

#[test]
fn changed_urls_reach_the_endpoint_in_one_batch_retried_after_503_and_429() {
    let (endpoint, seen) = stub(vec![503, 429]);
    // A window long enough for the two PUTs to fall in it on a loaded machine
    // (at 300 ms they were once sent as two batches).
    let server = Server::start(Options {
        extra_toml: format!(
            "\n[indexnow]\nendpoint = \"{endpoint}\"\nkey = \"{KEY}\"\nwindow_ms = 3000\n"
        ),
        ..Options::default()
    });
    // The key file, on syndic's host.
    let key_file = server.get(&format!("/{KEY}.txt"));
    assert_eq!(key_file.status, 200);
    assert_eq!(key_file.text(), KEY);

    let now = server.clock().now();
    for id in ["inow-1", "inow-2"] {
        let r = server.put(&support::record(id, "Maroc", &["Iran"], &["S.A"], now));
        assert!(r.status == 201, "{}", r.text());
    }
    let mut draft = support::record("inow-draft", "Maroc", &[], &["S.A"], now);
    draft["status"] = "draft".into();
    assert_eq!(server.put(&draft).status, 201);

    let accepted = wait_for("a submission accepted", Duration::from_secs(20), || {
        let seen = seen.lock().expect("lock");
        seen.iter()
            .find(|(status, _)| *status == 200)
            .map(|(_, body)| body.clone())
    });
    let attempts = seen.lock().expect("lock").len();
    assert_eq!(attempts, 3, "503, 429, then 200: one batch, retried");
    assert_eq!(accepted["host"], "www.actu.example.ma");
    assert_eq!(accepted["key"], KEY);
    let location = accepted["keyLocation"].as_str().expect("keyLocation");
    assert!(location.ends_with(&format!("/{KEY}.txt")), "{location}");
    let urls: Vec<&str> = accepted["urlList"]
        .as_array()
        .expect("urlList")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        urls,
        [support::record_url("inow-1"), support::record_url("inow-2")],
        "one batch, the draft left out"
    );

    let metrics = server.metrics();
    assert_eq!(metrics.count("syndic_indexnow_urls_total", &[]), 2.0);
    assert_eq!(metrics.count("syndic_indexnow_retries_total", &[]), 2.0);
    assert_eq!(metrics.count("syndic_indexnow_requests_total", &[]), 1.0);

    // Unpublishing submits the URL again (search engines learn it is gone).
    let mut unpublished = support::record("inow-1", "Maroc", &["Iran"], &["S.A"], now);
    unpublished["status"] = "draft".into();
    assert_eq!(server.put(&unpublished).status, 200);
    let again = wait_for(
        "the unpublished URL submitted",
        Duration::from_secs(20),
        || {
            let seen = seen.lock().expect("lock");
            (seen.len() > 3).then(|| seen[3].1.clone())
        },
    );
    assert_eq!(
        again["urlList"],
        serde_json::json!([support::record_url("inow-1")])
    );
    server.shutdown().expect("clean shutdown");
}

#[test]
fn a_key_outside_the_alphabet_or_length_is_refused_at_parse() {
    for bad in ["short", "with space 1234", "x".repeat(129).as_str()] {
        let text = crate::common::fixture_text("config.toml")
            + &format!(
                "\n[indexnow]\nendpoint = \"http://127.0.0.1:9/indexnow\"\nkey = \"{bad}\"\n"
            );
        let err = syndic::config::Config::from_toml(
            std::path::Path::new("c.toml"),
            &text,
            std::iter::empty(),
        )
        .expect_err("refused");
        assert!(err.to_string().contains("8 to 128"), "{bad}: {err}");
    }
}

/// The URLs of every body the stub answered 200, in order.
pub(crate) fn accepted_urls(seen: &Seen) -> Vec<String> {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|(status, _)| *status == 200)
        .flat_map(|(_, body)| body["urlList"].as_array().cloned().unwrap_or_default())
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn indexnow_toml(endpoint: &str, window_ms: u64) -> String {
    format!("\n[indexnow]\nendpoint = \"{endpoint}\"\nkey = \"{KEY}\"\nwindow_ms = {window_ms}\n")
}

#[test]
fn a_deleted_url_is_submitted_and_an_embargoed_one_when_it_lifts() {
    let (endpoint, seen) = stub(vec![]);
    let server = Server::start(Options {
        extra_toml: indexnow_toml(&endpoint, 200),
        ..Options::default()
    });
    let now = server.clock().now();
    let gone = support::record("inow-gone", "Maroc", &[], &["S.A"], now);
    assert_eq!(server.put(&gone).status, 201);
    let later = now + chrono::TimeDelta::hours(1);
    let embargo = support::record("inow-embargo", "Maroc", &[], &["S.A"], later);
    assert_eq!(server.put(&embargo).status, 201);
    let first = wait_for("the new URL submitted", Duration::from_secs(20), || {
        let urls = accepted_urls(&seen);
        (!urls.is_empty()).then_some(urls)
    });
    assert_eq!(
        first,
        [support::record_url("inow-gone")],
        "the embargo waits"
    );

    let deleted = server.api("DELETE", "/api/articles/inow-gone", b"");
    assert!(deleted.status < 300, "{}", deleted.text());
    wait_for("the deleted URL submitted", Duration::from_secs(20), || {
        (accepted_urls(&seen).len() == 2).then_some(())
    });
    // Still before the lifting: nothing else is sent.
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        accepted_urls(&seen),
        [
            support::record_url("inow-gone"),
            support::record_url("inow-gone")
        ]
    );
    server.clock().set(later + chrono::TimeDelta::seconds(1));
    wait_for(
        "the embargoed URL submitted",
        Duration::from_secs(20),
        || (accepted_urls(&seen).len() == 3).then_some(()),
    );
    assert_eq!(accepted_urls(&seen)[2], support::record_url("inow-embargo"));
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(accepted_urls(&seen).len(), 3, "each change sent once");
    server.shutdown().expect("clean shutdown");
}

#[test]
fn a_url_not_sent_before_a_stop_is_sent_after_the_restart() {
    let (endpoint, seen) = stub(vec![]);
    // A window far longer than the test: the URL is never sent by the first run.
    let server = Server::start(Options {
        extra_toml: indexnow_toml(&endpoint, 600_000),
        ..Options::default()
    });
    let now = server.clock().now();
    let kept = support::record("inow-kept", "Maroc", &[], &["S.A"], now);
    assert_eq!(server.put(&kept).status, 201);
    std::thread::sleep(Duration::from_millis(500));
    let dir = server.stop_keeping_dir();
    assert!(seen.lock().expect("lock").is_empty(), "nothing sent yet");

    let again = Server::start_in(
        dir,
        Options {
            extra_toml: indexnow_toml(&endpoint, 200),
            ..Options::default()
        },
        |text| text,
    );
    wait_for("the kept URL submitted", Duration::from_secs(20), || {
        (!accepted_urls(&seen).is_empty()).then_some(())
    });
    assert_eq!(accepted_urls(&seen), [support::record_url("inow-kept")]);
    again.shutdown().expect("clean shutdown");
}
