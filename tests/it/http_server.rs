//! The HTTP server over real TCP on 127.0.0.1: content types, GET and HEAD,
//! 404 and 405, validators and conditional requests, compressed variants,
//! caching headers, health and metrics, limits on request heads and slow
//! clients, and graceful shutdown.
//!
//! Every server here runs on a manual clock at the time the samples were
//! written for, so that every document is the same on every run.

use crate::support;

use crate::support::{Server, connect, exchange, request_bytes};
use chrono::{DateTime, Utc};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// An HTTP date (IMF-fixdate).
fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The newest `updated_at` (default `published_at`) among the samples visible at
/// [`support::SAMPLES_AS_OF`] that `keep` selects.
fn newest_update(keep: impl Fn(&serde_json::Value) -> bool) -> DateTime<Utc> {
    let now = support::samples_as_of();
    support::samples()
        .iter()
        .filter(|a| a["status"].as_str() != Some("draft"))
        .filter(|a| support::t(a["published_at"].as_str().unwrap()) <= now)
        .filter(|a| keep(a))
        .map(|a| {
            support::t(
                a["updated_at"]
                    .as_str()
                    .unwrap_or_else(|| a["published_at"].as_str().unwrap()),
            )
        })
        .max()
        .expect("at least one article")
}

fn has_tag(a: &serde_json::Value, tag: &str) -> bool {
    a["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == tag))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

/// Reads until the peer closes or `limit` passes; what was read and how it ended.
fn read_until_closed(stream: &mut std::net::TcpStream, limit: Duration) -> (Vec<u8>, &'static str) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (out, "closed"),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return (out, "still open");
            }
            Err(_) => return (out, "closed"),
        }
    }
}

#[test]
fn every_document_kind_has_its_content_type() {
    let server = Server::with_samples();
    let expected = [
        ("/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        (
            "/sections/sport/feed.xml",
            "application/rss+xml; charset=utf-8",
        ),
        (
            "/sections/sport/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/sections/sport/feed.json",
            "application/feed+json; charset=utf-8",
        ),
        (
            "/tags/football/feed.xml",
            "application/rss+xml; charset=utf-8",
        ),
        (
            "/tags/football/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/authors/y-b/feed.json",
            "application/feed+json; charset=utf-8",
        ),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/sitemaps/2026-11-28.xml", "application/xml; charset=utf-8"),
        ("/news-sitemap.xml", "application/xml; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
    ];
    for (path, content_type) in expected {
        let r = server.get(path);
        assert_eq!(r.status, 200, "GET {path}");
        assert_eq!(r.must("content-type"), content_type, "GET {path}");
        assert!(!r.body.is_empty(), "GET {path}: empty body");
    }
    // Every published document, found through the OPML and the sitemap index,
    // has the content type of its name, always with the charset.
    let documents = support::all_documents(&server);
    assert!(documents.len() > 100, "{documents:?}");
    for path in &documents {
        let r = server.get(path);
        assert_eq!(r.status, 200, "GET {path}");
        let want = match path.as_str() {
            p if p.ends_with('/') => "text/html; charset=utf-8",
            "/feed.css" | "/pages.css" => "text/css; charset=utf-8",
            "/robots.txt" => "text/plain; charset=utf-8",
            "/feeds.opml" => "text/x-opml; charset=utf-8",
            p if p.ends_with("/feed.xml") => "application/rss+xml; charset=utf-8",
            p if p.ends_with("/atom.xml") => "application/atom+xml; charset=utf-8",
            p if p.ends_with("/feed.json") => "application/feed+json; charset=utf-8",
            p if p.ends_with(".xml") => "application/xml; charset=utf-8",
            p => panic!("unexpected document {p}"),
        };
        assert_eq!(r.must("content-type"), want, "GET {path}");
        if want.contains("xml") {
            roxmltree::Document::parse(&r.text())
                .unwrap_or_else(|e| panic!("{path}: not well-formed XML: {e}"));
        }
        if want.contains("json") {
            r.json();
        }
    }
    // `/` and `/index.html` are the same document.
    let (root, index) = (server.get("/"), server.get("/index.html"));
    assert_eq!(root.body, index.body);
    assert_eq!(root.must("etag"), index.must("etag"));
}

#[test]
fn head_sends_the_headers_of_get_and_no_body() {
    let server = Server::with_samples();
    let paths = [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/tags/football/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/feeds.opml",
        "/robots.txt",
        "/",
    ];
    for path in paths {
        for accept in [None, Some("gzip"), Some("br")] {
            let headers: Vec<(&str, &str)> =
                accept.iter().map(|a| ("Accept-Encoding", *a)).collect();
            let get = server.get_with(path, &headers);
            let head = server.head_with(path, &headers);
            assert_eq!(get.status, 200, "GET {path} {accept:?}");
            assert_eq!(head.status, 200, "HEAD {path} {accept:?}");
            assert_eq!(
                get.stable_headers(),
                head.stable_headers(),
                "{path} {accept:?}: HEAD headers differ from GET"
            );
            let length: usize = head.must("content-length").parse().unwrap();
            assert_eq!(length, get.body.len(), "{path} {accept:?}");
            assert!(length > 0);
            // The client checked that nothing followed the head on the wire.
            assert!(head.body.is_empty(), "HEAD {path} sent a body");
        }
    }
}

#[test]
fn unknown_paths_and_traversal_attempts_are_404() {
    let server = Server::with_samples();
    let paths = [
        "/nope",
        "/feed.xm",
        "/FEED.XML",
        "/feed.xml/",
        "//feed.xml",
        "/sections/nope/",
        "/sections/nope",
        "/sections/nope/feed.xml",
        "/tags/",
        "/sitemaps/1999-01-01.xml",
        "/../Cargo.toml",
        "/../../../../etc/passwd",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E/%2E%2E/Cargo.toml",
        "/..%2fCargo.toml",
        "/feeds/../x",
        "/feeds/../Cargo.toml",
        "/sections/../feed.xml",
        "/./feed.xml",
        "/config.toml",
        "/db",
        "/api",
    ];
    for path in paths {
        for method in ["GET", "HEAD"] {
            let r = server.request(method, path, &[], b"");
            assert_eq!(r.status, 404, "{method} {path}");
            let body = String::from_utf8_lossy(&r.body);
            assert!(
                !body.contains("[package]") && !body.contains("root:"),
                "{method} {path} leaked a file: {body}"
            );
        }
    }
    // The absolute form of the request target is no way around it either.
    let r = exchange(
        server.addr,
        b"GET http://127.0.0.1/../Cargo.toml HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 404);
    // Files that exist on disk (the mirror under the output folder, the
    // configuration, the store) are not reachable by any path.
    let mirrored = server.dir().join("feeds").join("feed.xml");
    support::wait_for("the disk mirror", Duration::from_secs(10), || {
        mirrored.exists().then_some(())
    });
    for path in [
        "/feeds/feed.xml",
        "/../feeds/feed.xml",
        "/../config.toml",
        "/../db",
    ] {
        assert_eq!(server.get(path).status, 404, "GET {path}");
    }
}

#[test]
fn a_folder_named_without_its_slash_is_redirected_to_its_page() {
    let server = Server::with_samples();
    let page = server.get("/sections/maroc/");
    assert_eq!(page.status, 200, "the section's page");
    let r = server.get("/sections/maroc");
    assert_eq!(r.status, 301);
    let location = r.must("location");
    assert!(location.ends_with("/sections/maroc/"), "{location}");
    // A document is never redirected, even where a folder could be.
    assert_eq!(server.get("/sections/maroc/feed.xml").status, 200);
    assert_eq!(server.get("/sections/nope").status, 404);
}

#[test]
fn other_methods_on_documents_are_405_with_allow() {
    let server = Server::with_samples();
    for path in [
        "/feed.xml",
        "/sections/sport/atom.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/",
        "/healthz",
    ] {
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            let r = server.request(method, path, &[], b"x=1");
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.must("allow"), "GET, HEAD", "{method} {path}");
        }
    }
    // Nothing changed.
    assert_eq!(server.get("/feed.xml").status, 200);
}

#[test]
fn etags_are_strong_and_if_none_match_answers_304() {
    let server = Server::with_samples();
    for path in [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/robots.txt",
        "/",
    ] {
        let r = server.get(path);
        let etag = r.must("etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{path}: {etag} is not a strong ETag"
        );
        // Same bytes, same ETag.
        assert_eq!(server.get(path).must("etag"), etag);

        for inm in [
            etag.clone(),
            format!("\"other\", {etag}"),
            "*".to_owned(),
            format!("W/{etag}"),
        ] {
            for method in ["GET", "HEAD"] {
                let nm = server.request(method, path, &[("If-None-Match", &inm)], b"");
                assert_eq!(nm.status, 304, "{method} {path} If-None-Match: {inm}");
                assert!(nm.body.is_empty());
                assert_eq!(nm.must("etag"), etag, "{path}: 304 must carry the ETag");
                assert_eq!(nm.must("cache-control"), r.must("cache-control"));
                assert_eq!(nm.must("vary"), vary_of(path));
            }
        }
        let other = server.get_with(path, &[("If-None-Match", "\"not-it\"")]);
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(other.body, r.body);
    }
}

#[test]
fn if_none_match_takes_precedence_over_if_modified_since() {
    let server = Server::with_samples();
    let r = server.get("/feed.xml");
    let etag = r.must("etag").to_owned();
    let future = http_date(Utc::now() + chrono::TimeDelta::days(3650));
    let past = "Mon, 01 Jan 1990 00:00:00 GMT";
    // The ETag does not match: 200, although nothing was modified since `future`.
    let a = server.get_with(
        "/feed.xml",
        &[
            ("If-None-Match", "\"stale\""),
            ("If-Modified-Since", &future),
        ],
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.body, r.body);
    // The ETag matches: 304, although the document was modified since `past`.
    let b = server.get_with(
        "/feed.xml",
        &[("If-None-Match", &etag), ("If-Modified-Since", past)],
    );
    assert_eq!(b.status, 304);
}

#[test]
fn if_modified_since_alone_compares_with_last_modified() {
    let server = Server::with_samples();
    for path in [
        "/feed.xml",
        "/sections/sport/atom.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
    ] {
        let r = server.get(path);
        let lm = r.must("last-modified").to_owned();
        let lm_time = DateTime::parse_from_rfc2822(&lm.replace("GMT", "+0000"))
            .unwrap_or_else(|e| panic!("{path}: Last-Modified {lm:?}: {e}"))
            .with_timezone(&Utc);
        let later = http_date(lm_time + chrono::TimeDelta::hours(1));
        let earlier = http_date(lm_time - chrono::TimeDelta::seconds(1));
        for (ims, status) in [
            (lm.as_str(), 304),
            (later.as_str(), 304),
            (earlier.as_str(), 200),
        ] {
            let c = server.get_with(path, &[("If-Modified-Since", ims)]);
            assert_eq!(
                c.status, status,
                "{path} If-Modified-Since: {ims} (Last-Modified {lm})"
            );
            if status == 304 {
                assert!(c.body.is_empty());
                assert_eq!(c.must("etag"), r.must("etag"));
            } else {
                assert_eq!(c.body, r.body);
            }
        }
    }
    // robots.txt has no Last-Modified: If-Modified-Since cannot make it 304.
    let robots = server.get("/robots.txt");
    assert_eq!(robots.header("last-modified"), None);
    let c = server.get_with(
        "/robots.txt",
        &[("If-Modified-Since", &http_date(Utc::now()))],
    );
    assert_eq!(c.status, 200);
}

#[test]
fn gzip_and_brotli_variants_decode_to_the_identity_bytes() {
    let server = Server::with_samples();
    for path in [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemaps/2026-11-28.xml",
        "/feeds.opml",
        "/robots.txt",
        "/",
    ] {
        let identity = server.get(path);
        assert_eq!(identity.status, 200);
        assert_eq!(identity.header("content-encoding"), None, "{path}");
        assert_eq!(identity.must("vary"), vary_of(path), "{path}");
        let plain_etag = identity.must("etag").to_owned();

        let gz = server.get_with(path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(gz.status, 200);
        assert_eq!(gz.must("content-encoding"), "gzip", "{path}");
        assert_eq!(gz.must("vary"), vary_of(path), "{path}");
        assert_eq!(gunzip(&gz.body), identity.body, "{path}: gzip variant");
        let gz_etag = gz.must("etag").to_owned();
        assert_ne!(
            gz_etag, plain_etag,
            "{path}: gzip and identity share an ETag"
        );
        assert!(gz_etag.starts_with('"'), "{path}: {gz_etag}");

        let br = server.get_with(path, &[("Accept-Encoding", "br")]);
        assert_eq!(br.status, 200);
        assert_eq!(br.must("content-encoding"), "br", "{path}");
        assert_eq!(br.must("vary"), vary_of(path), "{path}");
        assert_eq!(unbrotli(&br.body), identity.body, "{path}: brotli variant");
        let br_etag = br.must("etag").to_owned();
        assert!(
            br_etag != plain_etag && br_etag != gz_etag,
            "{path}: {br_etag}"
        );

        // Same variant, same bytes and ETag on the next request.
        let again = server.get_with(path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(again.body, gz.body);
        assert_eq!(again.must("etag"), gz_etag);
        // Everything else is the same as for identity.
        let rest = |r: &support::Response| -> Vec<(String, String)> {
            r.stable_headers()
                .into_iter()
                .filter(|(n, _)| {
                    !matches!(n.as_str(), "etag" | "content-length" | "content-encoding")
                })
                .collect()
        };
        assert_eq!(rest(&gz), rest(&identity), "{path}");
        assert_eq!(rest(&br), rest(&identity), "{path}");
    }
    // Negotiation: brotli first, q=0 refuses, no acceptable coding means identity.
    for (accept, coding) in [
        ("gzip, deflate, br", Some("br")),
        ("br;q=0, gzip", Some("gzip")),
        ("BR;Q=0, GZip", Some("gzip")),
        ("br;q=0.5, gzip;q=1", Some("gzip")),
        ("identity;q=0", None),
        ("gzip;q=0", None),
        ("identity", None),
        ("deflate", None),
    ] {
        let r = server.get_with("/feed.xml", &[("Accept-Encoding", accept)]);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-encoding"),
            coding,
            "Accept-Encoding: {accept}"
        );
    }
}

#[test]
fn conditional_requests_are_per_encoding() {
    let server = Server::with_samples();
    let path = "/feed.xml";
    let identity = server.get(path).must("etag").to_owned();
    let gzip = server
        .get_with(path, &[("Accept-Encoding", "gzip")])
        .must("etag")
        .to_owned();
    let br = server
        .get_with(path, &[("Accept-Encoding", "br")])
        .must("etag")
        .to_owned();
    let cases = [
        (Some("gzip"), &gzip, 304, Some("gzip")),
        (Some("br"), &br, 304, Some("br")),
        (None, &identity, 304, None),
        // A cached variant of another coding is not the one this request gets.
        (None, &gzip, 200, None),
        (Some("gzip"), &identity, 200, Some("gzip")),
        (Some("gzip"), &br, 200, Some("gzip")),
        (Some("br"), &gzip, 200, Some("br")),
    ];
    for (accept, etag, status, coding) in cases {
        let mut headers = vec![("If-None-Match", etag.as_str())];
        if let Some(a) = accept {
            headers.push(("Accept-Encoding", a));
        }
        let r = server.get_with(path, &headers);
        assert_eq!(
            r.status, status,
            "Accept-Encoding {accept:?}, If-None-Match {etag}"
        );
        let want_etag = match coding {
            Some("gzip") => &gzip,
            Some("br") => &br,
            _ => &identity,
        };
        assert_eq!(r.must("etag"), want_etag, "{accept:?} {etag}");
        if status == 200 {
            assert_eq!(r.header("content-encoding"), coding);
        }
    }
}

#[test]
fn cache_control_and_link_self_on_every_document() {
    let server = Server::with_samples();
    for path in support::all_documents(&server) {
        let r = server.get(&path);
        assert_eq!(
            r.must("cache-control"),
            format!("public, max-age={}", support::MAX_AGE),
            "{path}"
        );
        // a folder's document is its index.html
        let doc = match path.ends_with('/') {
            true => format!("{path}index.html"),
            false => path.clone(),
        };
        assert_eq!(
            r.must("link"),
            format!("<{}{}>; rel=\"self\"", support::PUBLIC_URL, &doc[1..]),
            "{path}"
        );
    }
}

#[test]
fn last_modified_is_the_newest_item_update_not_the_build_time() {
    let server = Server::with_samples();
    let cases: Vec<(&str, DateTime<Utc>)> = vec![
        ("/feed.xml", newest_update(|_| true)),
        ("/atom.xml", newest_update(|_| true)),
        ("/feed.json", newest_update(|_| true)),
        (
            "/sections/sport/feed.xml",
            newest_update(|a| a["section"] == "Sport"),
        ),
        (
            "/sections/maroc/atom.xml",
            newest_update(|a| a["section"] == "Maroc"),
        ),
        (
            "/tags/football/feed.json",
            newest_update(|a| has_tag(a, "Football")),
        ),
        ("/tags/iran/feed.xml", newest_update(|a| has_tag(a, "Iran"))),
    ];
    for (path, newest) in cases {
        let r = server.get(path);
        assert_eq!(r.must("last-modified"), http_date(newest), "{path}");
    }
    // The newest update is an hour before the (manual) clock, which is itself
    // long before the real time of the build.
    let global = newest_update(|_| true);
    assert!(global < support::samples_as_of());
    assert_ne!(
        server.get("/feed.xml").must("last-modified"),
        http_date(support::samples_as_of())
    );
    // A sitemap day: the newest update among that (UTC) day's articles.
    let day = |a: &serde_json::Value| support::t(a["published_at"].as_str().unwrap()).date_naive();
    let nov_28 = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let newest = newest_update(|a| day(a) == nov_28);
    assert_eq!(
        server.get("/sitemaps/2026-11-28.xml").must("last-modified"),
        http_date(newest)
    );
}

#[test]
fn healthz_is_json_about_the_service() {
    let server = Server::with_samples();
    let r = server.get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.must("content-type"), "application/json");
    let h = r.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["store"], "up");
    // Every published document, and the 40 sample records written to the change log.
    assert_eq!(
        h["documents"].as_u64().unwrap() as usize,
        support::all_documents(&server).len()
    );
    assert_eq!(h["applied_seq"], 40);
    assert_eq!(server.head_with("/healthz", &[]).status, 200);
}

#[test]
fn metrics_count_the_requests_sent() {
    let server = Server::with_samples();
    let rss_len = server.get("/feed.xml").body.len();
    let atom_len = server.get("/atom.xml").body.len();
    let sitemap_etag = server.get("/sitemap.xml").must("etag").to_owned();
    let before = server.metrics();

    for _ in 0..3 {
        assert_eq!(server.get("/feed.xml").status, 200);
    }
    for _ in 0..2 {
        assert_eq!(server.get("/atom.xml").status, 200);
    }
    assert_eq!(server.head_with("/feed.json", &[]).status, 200);
    for _ in 0..2 {
        assert_eq!(server.get("/nope").status, 404);
    }
    assert_eq!(server.request("POST", "/feed.xml", &[], b"").status, 405);
    for _ in 0..4 {
        let r = server.get_with("/sitemap.xml", &[("If-None-Match", &sitemap_etag)]);
        assert_eq!(r.status, 304);
    }

    let r = server.get("/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.must("content-type"),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = r.text();
    assert!(
        text.ends_with("# EOF\n"),
        "OpenMetrics text ends with # EOF"
    );
    assert!(text.contains("# TYPE syndic_http_requests counter"));
    let after = support::Metrics::parse(&text);
    let delta = |kind: &str, status: &str| {
        let labels = [("kind", kind), ("status", status)];
        after.count("syndic_http_requests_total", &labels)
            - before.count("syndic_http_requests_total", &labels)
    };
    assert_eq!(delta("rss", "200"), 3.0);
    assert_eq!(delta("atom", "200"), 2.0);
    assert_eq!(delta("jsonfeed", "200"), 1.0);
    assert_eq!(delta("other", "404"), 2.0);
    assert_eq!(delta("other", "405"), 1.0);
    assert_eq!(delta("sitemap", "304"), 4.0);
    assert_eq!(delta("sitemap", "200"), 0.0);
    // The /metrics request that read `before` is counted once.
    assert_eq!(delta("metrics", "200"), 1.0);
    let d = |name: &str| after.count(name, &[]) - before.count(name, &[]);
    assert_eq!(d("syndic_http_not_modified_total"), 4.0);
    // Bodies of GET only: HEAD and 304 send none.
    assert_eq!(
        d("syndic_http_response_body_bytes_total"),
        (3 * rss_len + 2 * atom_len) as f64
    );
    assert_eq!(after.get("syndic_store_up", &[]), Some(1.0));
    assert_eq!(after.get("syndic_articles", &[]), Some(40.0));
    assert_eq!(
        after.get("syndic_documents", &[]),
        Some(support::all_documents(&server).len() as f64)
    );
    assert_eq!(after.get("syndic_regenerations_total", &[]), Some(0.0));
}

#[test]
fn request_head_over_16_kib_gets_431_and_the_server_goes_on() {
    let server = Server::with_samples();
    // Under the limit: served.
    let ok = server.get_with("/feed.xml", &[("X-Padding", &"a".repeat(12 * 1024))]);
    assert_eq!(ok.status, 200);
    // Over it, in one header or in many: 431, then the connection is closed.
    let one = "a".repeat(20 * 1024);
    let many: Vec<(String, String)> = (0..40)
        .map(|i| (format!("X-Pad-{i}"), "b".repeat(500)))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let requests = [
        request_bytes("GET", "/feed.xml", &[("X-Big", &one)], b""),
        request_bytes("GET", "/feed.xml", &many, b""),
        request_bytes("GET", &format!("/{}", "x".repeat(17 * 1024)), &[], b""),
    ];
    for request in &requests {
        let r = exchange(server.addr, request);
        assert_eq!(r.status, 431, "{} bytes of head", request.len());
        assert_eq!(r.must("connection"), "close");
        assert!(r.body.is_empty());
    }
    assert_eq!(server.get("/feed.xml").status, 200);
}

#[test]
fn a_client_stalling_inside_the_request_head_is_disconnected() {
    let server = Server::with_samples();
    // Half a request line, and a request line with half a header; both stall.
    let partials: [&[u8]; 2] = [
        b"GET /feed.xml HT",
        b"GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    ];
    let mut streams: Vec<_> = partials
        .iter()
        .map(|p| {
            let mut s = connect(server.addr).unwrap();
            s.write_all(p).unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    for (stream, partial) in streams.iter_mut().zip(partials) {
        let left = Duration::from_secs(10).saturating_sub(started.elapsed());
        let (bytes, end) = read_until_closed(stream, left.max(Duration::from_millis(1)));
        let sent = String::from_utf8_lossy(partial);
        assert_eq!(
            end,
            "closed",
            "{sent:?}: still open after {:?}",
            started.elapsed()
        );
        // Closed without an answer (hyper sends no 408 on a header timeout).
        assert!(
            bytes.is_empty(),
            "{sent:?}: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    assert_eq!(server.get("/feed.xml").status, 200);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_by_the_header_timeout() {
    let server = Server::with_samples();
    let mut stream = connect(server.addr).unwrap();
    stream
        .write_all(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let r = support::read_response(&mut reader, false).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), None, "kept alive");
    let (bytes, end) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert_eq!(end, "closed");
    assert!(bytes.is_empty());
}

/// Regression test: the server once used hyper-util's auto-detecting builder,
/// which reads the HTTP/2 preface with no timeout, so a client that connected and
/// sent nothing (or `P`, a prefix of the preface) held a connection forever.
#[test]
fn a_silent_connection_is_disconnected_by_the_header_timeout() {
    let server = Server::with_samples();
    let prefixes: [&[u8]; 2] = [b"", b"P"];
    let mut streams: Vec<_> = prefixes
        .iter()
        .map(|p| {
            let mut s = connect(server.addr).unwrap();
            s.write_all(p).unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    for (stream, prefix) in streams.iter_mut().zip(prefixes) {
        let left = Duration::from_secs(10).saturating_sub(started.elapsed());
        let (bytes, end) = read_until_closed(stream, left.max(Duration::from_millis(1)));
        assert_eq!(end, "closed", "after sending {prefix:?}");
        assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn graceful_shutdown_returns_and_stops_accepting() {
    let server = Server::with_samples();
    let addr = server.addr;
    // A kept-alive connection, idle after one answer, does not hold up the stop.
    let mut idle = connect(addr).unwrap();
    idle.write_all(b"GET /feed.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut reader = std::io::BufReader::new(idle.try_clone().unwrap());
    assert_eq!(
        support::read_response(&mut reader, false).unwrap().status,
        200
    );
    // A connection that has sent nothing yet does not either.
    let _silent = connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));

    // `shutdown` completes the shutdown future and waits (bounded) for serve().
    assert_eq!(server.shutdown(), Ok(()));
    let (_, end) = read_until_closed(&mut idle, Duration::from_secs(5));
    assert_eq!(end, "closed", "the idle connection was left open");
    match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}"),
        Ok(_) => panic!("{addr} still accepts connections after serve() returned"),
    }
}

/// The `Vary` of a document: RSS and Atom also vary by `Accept` (a browser
/// opening one gets the same bytes as `application/xml`).
fn vary_of(path: &str) -> &'static str {
    if path.ends_with("feed.xml") || path.ends_with("atom.xml") {
        "Accept-Encoding, Accept"
    } else {
        "Accept-Encoding"
    }
}
