//! Document bodies beyond `[server] body_cache_mb` leave memory once mirrored
//! on disk and are read back when asked for: the same bytes, ETags and encodings
//! as a server keeping everything in memory, new versions served at once, and a
//! file changed behind syndic's back never served under the ETag of other bytes.

use crate::support;

use crate::support::{Options, Server, record, record_url};
use std::collections::BTreeMap;

fn server(body_cache_mb: usize) -> Server {
    Server::start(Options {
        body_cache_mb: Some(body_cache_mb),
        ..Options::default()
    })
}

/// Status, ETag and body of every document, in identity and gzip.
fn everything(server: &Server) -> BTreeMap<String, (u16, String, Vec<u8>)> {
    let mut all = BTreeMap::new();
    for path in support::all_documents(server) {
        for coding in ["identity", "gzip"] {
            let r = server.get_with(&path, &[("Accept-Encoding", coding)]);
            let etag = r.must("etag").to_owned();
            all.insert(format!("{path} {coding}"), (r.status, etag, r.body));
        }
    }
    all
}

#[test]
fn with_no_body_in_memory_every_document_is_served_as_from_memory() {
    let in_memory = server(1024);
    let on_disk = server(0);
    let expected = everything(&in_memory);
    assert!(expected.len() > 40, "{} documents", expected.len());
    // Twice: read back from disk, then (within the rate of trims) from memory.
    assert_eq!(everything(&on_disk), expected);
    assert_eq!(everything(&on_disk), expected);
    let metrics = on_disk.metrics();
    assert_eq!(
        metrics.get(
            "syndic_http_requests_total",
            &[("kind", "other"), ("status", "503")]
        ),
        None,
        "no document was unavailable"
    );
}

#[test]
fn a_new_version_is_served_at_once_and_read_back_after_it_left_memory() {
    let server = server(0);
    let before = server.get("/feed.xml");
    let rec = record(
        "bodies-1",
        "Maroc",
        &["Rabat"],
        &[],
        support::samples_as_of(),
    );
    assert_eq!(server.put(&rec).status, 201);
    let after = server.get("/feed.xml");
    assert_ne!(after.must("etag"), before.must("etag"));
    assert!(after.text().contains(&record_url("bodies-1")));
    // Once mirrored (and trimmed), the same version comes back from disk.
    support::wait_for(
        "the new feed.xml on disk",
        std::time::Duration::from_secs(5),
        || {
            let file = std::fs::read(server.dir().join("feeds/feed.xml")).ok()?;
            (file == after.body).then_some(())
        },
    );
    let again = server.get("/feed.xml");
    assert_eq!(again.body, after.body);
    assert_eq!(again.must("etag"), after.must("etag"));
}

#[test]
fn a_file_changed_behind_syndics_back_is_never_served_under_its_etag() {
    let server = server(0);
    // Never asked for yet: its body left memory once mirrored at start-up.
    let file = server.dir().join("feeds/sections/maroc/feed.xml");
    std::fs::write(&file, b"<rss>not ours</rss>").unwrap();
    let r = server.get("/sections/maroc/feed.xml");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.must("retry-after"), "5");
    assert_eq!(
        server.get("/feed.xml").status,
        200,
        "other documents are served"
    );
}

/// Many clients asking at once for a variant not yet made: one compression,
/// the others wait for it and get the same bytes ("compressed once per
/// document version" holds under concurrency, not only in sequence).
#[test]
fn simultaneous_first_requests_for_a_variant_compress_it_once() {
    const CLIENTS: usize = 64;
    let server = server(1024);
    let path = "/feed.xml";
    let before = server.metrics().count("syndic_compressions_total", &[]);
    let start = std::sync::Barrier::new(CLIENTS);
    let request = support::request_bytes("GET", path, &[("Accept-Encoding", "br")], b"");
    let addr = server.addr;
    let answers: Vec<(u16, String, Vec<u8>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    let r = support::exchange(addr, &request);
                    (r.status, r.must("content-encoding").to_owned(), r.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = &answers[0];
    assert_eq!((first.0, first.1.as_str()), (200, "br"));
    assert!(
        answers.iter().all(|a| a == first),
        "every client got the same bytes"
    );
    let after = server.metrics().count("syndic_compressions_total", &[]);
    assert_eq!(
        after - before,
        1.0,
        "{CLIENTS} simultaneous first requests, one compression"
    );
}

fn unpacked(coding: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out),
        other => panic!("unexpected coding {other}"),
    }
    .unwrap();
    out
}

/// The encodings clients asked for of a document are made for its next version
/// without a request (off the watch loop), once; those nobody asked for are not.
#[test]
fn a_new_version_is_compressed_ahead_in_the_encodings_asked_for() {
    let server = server(1024);
    let compressions = || server.metrics().count("syndic_compressions_total", &[]);
    let br = server.get_with("/feed.xml", &[("Accept-Encoding", "br")]);
    assert_eq!(br.must("content-encoding"), "br");
    let before = compressions();
    let rec = record(
        "ahead-1",
        "Maroc",
        &["Rabat"],
        &[],
        support::samples_as_of(),
    );
    assert_eq!(server.put(&rec).status, 201);
    // Only feed.xml's br was asked for: one compression, with no request.
    support::wait_for(
        "feed.xml's new version compressed ahead",
        std::time::Duration::from_secs(5),
        || (compressions() == before + 1.0).then_some(()),
    );
    let identity = server.get_with("/feed.xml", &[("Accept-Encoding", "identity")]);
    assert!(identity.text().contains(&record_url("ahead-1")));
    let br = server.get_with("/feed.xml", &[("Accept-Encoding", "br")]);
    assert_eq!(br.must("content-encoding"), "br");
    assert_eq!(
        unpacked("br", &br.body),
        identity.body,
        "br unpacks to identity"
    );
    assert_eq!(
        compressions(),
        before + 1.0,
        "served from what was made ahead"
    );
    // gzip was never asked for: made at its first request, as before.
    let gzip = server.get_with("/feed.xml", &[("Accept-Encoding", "gzip")]);
    assert_eq!(
        unpacked("gzip", &gzip.body),
        identity.body,
        "gzip unpacks to identity"
    );
    assert_eq!(compressions(), before + 2.0);
}
