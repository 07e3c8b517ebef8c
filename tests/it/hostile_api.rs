//! The ingest API against hostile or broken clients (issue 11): ids and bodies
//! that are not UTF-8 are refused, and no request can make the server do
//! unbounded work or send an unbounded answer.

use crate::support::{self, Options, Server};
use serde_json::Value;

/// Articles stored, read straight from the store.
fn stored(server: &Server) -> i64 {
    support::sql_connection(server)
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .unwrap()
}

fn server() -> Server {
    Server::start(Options {
        seed: false,
        ..Options::default()
    })
}

const RECORD: &str = r#""url":"https://www.example.ma/a.html","title":"Titre","published_at":"2026-11-29T09:40:00+01:00""#;

#[test]
fn ids_that_are_not_utf8_are_refused_not_merged() {
    let server = server();
    for raw in ["bin-%FF", "bin-%FE", "%C3"] {
        let r = server.api(
            "PUT",
            &format!("/api/articles/{raw}"),
            format!("{{{RECORD}}}").as_bytes(),
        );
        assert_eq!(r.status, 400, "{raw}: {}", String::from_utf8_lossy(&r.body));
        assert!(String::from_utf8_lossy(&r.body).contains("UTF-8"));
        assert_eq!(
            server
                .api("DELETE", &format!("/api/articles/{raw}"), b"")
                .status,
            400
        );
    }
    // A percent-encoded UTF-8 id is fine.
    let r = server.api(
        "PUT",
        "/api/articles/%C3%A9t%C3%A9",
        format!("{{{RECORD}}}").as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(stored(&server), 1);
}

#[test]
fn bodies_that_are_not_utf8_are_refused_as_import_refuses_them() {
    let server = server();
    let mut body = format!("{{{RECORD},\"summary\":\"").into_bytes();
    body.extend_from_slice(b"caf\xE9\"}");
    let r = server.api("PUT", "/api/articles/latin1", &body);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["errors"][0]["field"], "(record)");
    assert!(v["errors"][0]["reason"].as_str().unwrap().contains("UTF-8"));

    let mut batch = format!("{{\"id\":\"ok\",{RECORD}}}\n").into_bytes();
    batch.extend_from_slice(&body);
    let r = server.api("POST", "/api/articles", &batch);
    assert_eq!(r.status, 422);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["results"][1]["errors"][0]["reason"], "not valid UTF-8");
    assert_eq!(stored(&server), 0);
}

#[test]
fn a_batch_over_the_record_limit_is_refused_with_a_small_answer() {
    let server = server();
    // 1,000,000 invalid lines in 2 MB: once a 202 MB answer and a 3.5 GB peak.
    let body = "x\n".repeat(1_000_000);
    let r = server.api("POST", "/api/articles", body.as_bytes());
    assert_eq!(
        r.status,
        413,
        "{}",
        String::from_utf8_lossy(&r.body[..200.min(r.body.len())])
    );
    assert!(r.body.len() < 1024, "answer of {} bytes", r.body.len());
    assert!(String::from_utf8_lossy(&r.body).contains("max_batch_records"));
}

#[test]
fn a_batch_of_invalid_lines_lists_the_first_rejections_and_counts_the_rest() {
    let server = server();
    let body = "{\"id\": 1}\n".repeat(10_000);
    let r = server.api("POST", "/api/articles", body.as_bytes());
    assert_eq!(r.status, 422);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["rejected"], 10_000);
    assert_eq!(v["rejected_not_listed"], 9_900);
    assert_eq!(v["results"].as_array().unwrap().len(), 100);
    assert!(r.body.len() < 100_000, "answer of {} bytes", r.body.len());
}

#[test]
fn a_record_with_many_unknown_keys_gets_one_error() {
    let server = server();
    // 600,000 unknown keys (6.8 MB): once a 115 MB answer.
    let mut body = String::from("{");
    for i in 0..600_000 {
        body.push_str(&format!("\"k{i}\":0,"));
    }
    body.push_str(RECORD);
    body.push('}');
    assert!(body.len() < 8 << 20);
    let r = server.api("PUT", "/api/articles/keys", body.as_bytes());
    assert_eq!(r.status, 422);
    assert!(r.body.len() < 1024, "answer of {} bytes", r.body.len());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let reason = v["errors"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("600000 unknown fields"), "{reason}");
}

/// `n` connections to `server` from `source` (another loopback address), kept
/// open and silent.
fn silent_connections(server: &Server, source: [u8; 4], n: usize) -> Vec<std::net::TcpStream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut held = Vec::new();
        for _ in 0..n {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind((source, 0).into()).unwrap();
            let stream = socket.connect(server.addr).await.expect("connect");
            held.push(stream.into_std().unwrap());
        }
        held
    })
}

/// Whether the server closed `stream` (it reads end of file or an error).
fn closed(mut stream: &std::net::TcpStream) -> bool {
    use std::io::Read;
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    matches!(stream.read(&mut [0u8; 1]), Ok(0) | Err(_))
}

#[test]
fn a_flood_from_one_address_leaves_other_clients_served() {
    let server = Server::start(Options {
        max_connections: Some(8),
        max_connections_per_address: Some(4),
        ..Options::default()
    });
    let flood = silent_connections(&server, [127, 0, 0, 2], 40);
    // Past its share, the flooding address is closed on arrival…
    let refused = flood.iter().skip(4).filter(|s| closed(s)).count();
    assert_eq!(refused, 36);
    // …and every request from another address is answered.
    for _ in 0..20 {
        assert_eq!(server.get("/feed.xml").status, 200);
    }
    let m = server.metrics();
    assert!(m.count("syndic_http_connections_refused_total", &[]) >= 36.0);
}

#[test]
fn when_every_slot_is_held_the_oldest_connection_makes_room() {
    let server = Server::start(Options {
        max_connections: Some(4),
        ..Options::default()
    });
    let held = silent_connections(&server, [127, 0, 0, 2], 4);
    std::thread::sleep(std::time::Duration::from_millis(200)); // all four accepted
    let started = std::time::Instant::now();
    assert_eq!(server.get("/feed.xml").status, 200);
    // Served at once, not after a header timeout (5 s) freed a slot.
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(
        closed(&held[0]),
        "the oldest connection was not asked to close"
    );
}
