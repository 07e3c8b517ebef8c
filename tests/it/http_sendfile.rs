//! Big bodies go out with `sendfile(2)` from unnamed files, on the output
//! folder's disk or in memory (publish::sendable, http::sendfile): every
//! encoding, big and small documents, many clients at once and a slow reader
//! across a new version get exactly the bytes they would have got by copying;
//! the files leave with the versions they hold.

use crate::support::{self, Options, Server, record};
use std::io::{BufReader, Read, Write};

/// Documents at least this big are sent from a file (`sendable::MIN_FILE_BYTES`).
const FILE_FROM: usize = 16 * 1024;

fn server() -> Server {
    Server::start(Options {
        items: 100,
        ..Options::default()
    })
}

fn decoded(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        _ => out.extend_from_slice(body),
    }
    out
}

/// Body files this process holds (unnamed: `O_TMPFILE` files, `#inode
/// (deleted)` in `/proc`, or memory files) with a body naming `needle` (in any
/// encoding): the test servers run in this process, beside other tests' servers.
fn body_files_naming(needle: &str) -> usize {
    let names = |text: &[u8]| text.windows(needle.len()).any(|w| w == needle.as_bytes());
    let decodes = |body: &[u8]| {
        let (mut gz, mut br) = (Vec::new(), Vec::new());
        let gz_ok = flate2::read::GzDecoder::new(body)
            .read_to_end(&mut gz)
            .is_ok();
        let br_ok = brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut br)
            .is_ok();
        names(body) || (gz_ok && names(&gz)) || (br_ok && names(&br))
    };
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|fd| {
            std::fs::read_link(fd).is_ok_and(|t| {
                let t = t.to_string_lossy();
                t.contains("syndic-body") || (t.contains("/#") && t.ends_with(" (deleted)"))
            })
        })
        .filter_map(|fd| std::fs::read(fd).ok())
        .filter(|body| decodes(body))
        .count()
}

#[test]
fn every_encoding_of_big_and_small_documents_is_sent_byte_for_byte() {
    let server = server();
    let big = server.get("/feed.xml");
    assert!(big.body.len() > 2 * FILE_FROM, "{} bytes", big.body.len());
    let small = server.get("/robots.txt");
    assert!(small.body.len() < FILE_FROM);
    let on_disk = std::fs::read(server.dir().join("feeds/feed.xml")).unwrap();
    assert_eq!(big.body, on_disk, "the identity body is the mirror's file");
    for (path, identity) in [("/feed.xml", &big.body), ("/robots.txt", &small.body)] {
        for coding in ["identity", "gzip", "br"] {
            // The first answer of a variant may be copied; the next ones come
            // from its file: all the same bytes.
            let answers: Vec<_> = (0..3)
                .map(|_| server.get_with(path, &[("Accept-Encoding", coding)]))
                .collect();
            for r in &answers {
                assert_eq!(r.status, 200);
                assert_eq!(r.body, answers[0].body, "{path} {coding}");
                let len: usize = r.must("content-length").parse().unwrap();
                assert_eq!(len, r.body.len());
            }
            assert_eq!(
                &decoded(coding, &answers[0].body),
                identity,
                "{path} {coding}"
            );
            let head = server.head_with(path, &[("Accept-Encoding", coding)]);
            assert_eq!(head.status, 200);
            assert!(head.body.is_empty());
            assert_eq!(head.must("etag"), answers[0].must("etag"));
            let etag = answers[0].must("etag");
            let again = server.get_with(
                path,
                &[("Accept-Encoding", coding), ("If-None-Match", etag)],
            );
            assert_eq!(again.status, 304, "{path} {coding}");
            assert!(again.body.is_empty());
        }
    }
}

#[test]
fn many_clients_at_once_on_kept_alive_connections_get_whole_bodies() {
    const CLIENTS: usize = 32;
    const REQUESTS: usize = 12;
    let server = server();
    let codings = ["identity", "gzip", "br"];
    let expected: Vec<Vec<u8>> = codings
        .iter()
        .map(|c| server.get_with("/feed.xml", &[("Accept-Encoding", c)]).body)
        .collect();
    let addr = server.addr;
    let start = std::sync::Barrier::new(CLIENTS);
    std::thread::scope(|s| {
        for client in 0..CLIENTS {
            let (start, expected) = (&start, &expected);
            s.spawn(move || {
                // One connection, many requests: hyper keeps it alive, so a
                // partly sent body would shift every answer after it.
                let stream = support::connect(addr).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                start.wait();
                for n in 0..REQUESTS {
                    let i = (client + n) % codings.len();
                    let ask = format!(
                        "GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: {}\r\n\r\n",
                        codings[i]
                    );
                    (&stream).write_all(ask.as_bytes()).unwrap();
                    let r = support::read_response(&mut reader, false).unwrap();
                    assert_eq!(r.status, 200);
                    assert!(r.body == expected[i], "client {client}, request {n}");
                }
            });
        }
    });
}

#[test]
fn pipelined_requests_get_their_answers_in_order_whole() {
    let server = server();
    let big = server.get("/feed.xml");
    let etag = big.must("etag").to_string();
    let small = server.get("/robots.txt");
    // One write: GET, HEAD, 304, GET of a small document, GET again.
    let asks: [(&str, &str, Option<&str>); 5] = [
        ("GET", "/feed.xml", None),
        ("HEAD", "/feed.xml", None),
        ("GET", "/feed.xml", Some(&etag)),
        ("GET", "/robots.txt", None),
        ("GET", "/feed.xml", None),
    ];
    let mut all = Vec::new();
    for (method, path, tag) in asks {
        let validator = tag.map_or(String::new(), |t| format!("If-None-Match: {t}\r\n"));
        let ask = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{validator}\r\n");
        all.extend_from_slice(ask.as_bytes());
    }
    let stream = support::connect(server.addr).unwrap();
    (&stream).write_all(&all).unwrap();
    let mut reader = BufReader::new(stream);
    for (n, (method, path, tag)) in asks.into_iter().enumerate() {
        let r = support::read_response(&mut reader, method == "HEAD").unwrap();
        let expected = if path == "/robots.txt" {
            &small.body
        } else {
            &big.body
        };
        match (method, tag) {
            ("HEAD", _) => assert!(r.status == 200 && r.body.is_empty(), "answer {n}"),
            (_, Some(_)) => assert!(r.status == 304 && r.body.is_empty(), "answer {n}"),
            _ => assert!(r.status == 200 && &r.body == expected, "answer {n}"),
        }
    }
}

#[test]
fn a_slow_reader_gets_the_whole_version_it_started_with_after_a_new_one() {
    let server = server();
    let old = server.get("/feed.xml");
    server.get("/feed.xml"); // in its file now
    let stream = support::connect(server.addr).unwrap();
    (&stream)
        .write_all(&support::request_bytes("GET", "/feed.xml", &[], b""))
        .unwrap();
    let mut reader = BufReader::with_capacity(512, stream);
    let mut first = [0u8; 512];
    reader.read_exact(&mut first).unwrap();
    // A new version replaces the one being sent (its memory file goes with it).
    let rec = record(
        "sendfile-1",
        "Maroc",
        &["Rabat"],
        &[],
        support::samples_as_of(),
    );
    assert_eq!(server.put(&rec).status, 201);
    let new = server.get("/feed.xml");
    assert_ne!(new.must("etag"), old.must("etag"));
    let mut rest = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = reader.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        rest.extend_from_slice(&chunk[..n]);
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let mut whole = first.to_vec();
    whole.extend_from_slice(&rest);
    let text = String::from_utf8(whole).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.contains(old.must("etag")), "{head}");
    assert!(body.as_bytes() == old.body, "the old version, whole");
}

#[test]
fn body_files_leave_with_their_versions() {
    const VERSIONS: usize = 40;
    let server = server();
    for coding in ["identity", "gzip", "br"] {
        server.get_with("/feed.xml", &[("Accept-Encoding", coding)]);
    }
    let (mut naming, mut big) = (0, 0);
    for v in 0..VERSIONS {
        let id = format!("sendfile-v{v}");
        let rec = record(&id, "Maroc", &["Rabat"], &[], support::samples_as_of());
        assert_eq!(server.put(&rec).status, 201);
        for coding in ["identity", "gzip", "br"] {
            for _ in 0..2 {
                let r = server.get_with("/feed.xml", &[("Accept-Encoding", coding)]);
                let text = String::from_utf8(decoded(coding, &r.body)).unwrap();
                assert!(text.contains(&support::record_url(&id)), "{id} {coding}");
                if v == 0 && r.body.len() >= FILE_FROM {
                    big += 1;
                }
            }
        }
        if v == 0 {
            naming = body_files_naming("sendfile-v0");
        }
    }
    // Each variant of at least FILE_FROM bytes went out from its file (the
    // compressed ones of this small store may be below it).
    assert!(big >= 2, "the identity body at least is big");
    assert_eq!(naming, big / 2, "a file per big variant of the version");
    // Every version names `sendfile-v` (the feed lists the newest records):
    // leaking, each would leave its three files behind (120).
    let after = body_files_naming("sendfile-v");
    assert!(
        after <= 6,
        "{after} body files of the {VERSIONS} versions remain"
    );
}
