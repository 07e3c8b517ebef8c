//! The ingest API over real TCP: authorisation, validation, limits, and
//! read-your-writes (a write returns once every document it changes is served).
//!
//! Servers run on a manual clock at the time the samples were written for; new
//! articles are dated just before it, so they are the newest of every feed.

use crate::support;

use crate::support::{Options, Server, TOKEN, guid, record, record_url};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

/// Minutes before the servers' clock.
fn ago(minutes: i64) -> DateTime<Utc> {
    support::samples_as_of() - TimeDelta::minutes(minutes)
}

/// (articles stored, newest change-log seq), read from the store file directly.
fn store_state(server: &Server) -> (i64, i64) {
    let conn = support::sql_connection(server);
    let count = conn
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .unwrap();
    let seq = conn
        .query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| {
            r.get(0)
        })
        .unwrap();
    (count, seq)
}

/// Every published document that mentions `needle`.
fn documents_mentioning(server: &Server, needle: &str) -> Vec<String> {
    support::all_documents(server)
        .into_iter()
        .filter(|p| server.text(p).contains(needle))
        .collect()
}

fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array in {body}"))
        .iter()
        .map(|e| {
            assert!(e["reason"].as_str().is_some_and(|r| !r.is_empty()), "{e}");
            e["field"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn writes_need_the_bearer_token() {
    let server = Server::with_samples();
    let rec = record("auth-1", "Sport", &["Football"], &[], ago(10));
    let body = rec.to_string();
    let wrong = [
        None,
        Some("Bearer wrong-token".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(TOKEN.to_owned()),
        Some(format!("Basic {TOKEN}")),
        Some("Bearer ".to_owned()),
    ];
    for auth in &wrong {
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        for (method, path, payload) in [
            ("PUT", "/api/articles/auth-1", body.as_bytes()),
            ("DELETE", "/api/articles/actu-1001", &b""[..]),
            ("POST", "/api/articles", body.as_bytes()),
        ] {
            let r = server.request(method, path, &headers, payload);
            assert_eq!(r.status, 401, "{method} {path} with {auth:?}");
            assert_eq!(r.must("www-authenticate"), "Bearer");
            assert!(r.json()["error"].is_string());
        }
    }
    // Nothing was written, nothing was deleted.
    assert_eq!(store_state(&server), (40, 40));
    assert!(server.text("/feed.xml").contains(&guid("actu-1001")));
    assert!(!server.text("/feed.xml").contains(&guid("auth-1")));

    let r = server.put(&rec);
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(server.text("/feed.xml").contains(&guid("auth-1")));
}

/// Regression test: the scheme was once matched with `strip_prefix("Bearer ")`;
/// RFC 9110 §11.1 makes the authentication scheme case-insensitive.
#[test]
fn the_auth_scheme_is_case_insensitive() {
    let server = Server::with_samples();
    let rec = record("auth-2", "Sport", &[], &[], ago(10));
    let auth = format!("bearer {TOKEN}");
    let r = server.request(
        "PUT",
        "/api/articles/auth-2",
        &[("Authorization", &auth)],
        rec.to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
}

#[test]
fn the_api_is_off_without_a_token() {
    let server = Server::start(Options {
        api_token: None,
        ..Options::default()
    });
    let rec = record("off-1", "Sport", &[], &[], ago(10));
    let auth = format!("Bearer {TOKEN}");
    for (method, path, payload) in [
        ("PUT", "/api/articles/off-1", rec.to_string()),
        ("DELETE", "/api/articles/actu-1001", String::new()),
        ("POST", "/api/articles", rec.to_string()),
        ("GET", "/api/articles", String::new()),
    ] {
        for headers in [vec![], vec![("Authorization", auth.as_str())]] {
            let r = server.request(method, path, &headers, payload.as_bytes());
            assert_eq!(r.status, 404, "{method} {path}");
            assert_eq!(r.header("www-authenticate"), None);
            assert!(r.json()["error"].as_str().unwrap().contains("off"));
        }
    }
    assert_eq!(store_state(&server), (40, 40));
    assert_eq!(server.get("/feed.xml").status, 200);
}

#[test]
fn an_invalid_record_is_422_with_field_errors_and_changes_nothing() {
    let server = Server::with_samples();
    let feed_etag = server.get("/feed.xml").must("etag").to_owned();
    let bad = json!({
        "id": "bad-1",
        "url": "ftp://www.actu.example.ma/x.html",
        "title": "   ",
        "published_at": "hier à 10h",
        "tags": "Football",
        "colour": "red",
    });
    let r = server.api("PUT", "/api/articles/bad-1", bad.to_string().as_bytes());
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.must("content-type"), "application/json");
    let mut fields = error_fields(&r.json());
    fields.sort();
    assert_eq!(fields, ["colour", "published_at", "tags", "title", "url"]);

    // Not JSON, not an object, updated before published.
    let mut late = record("bad-2", "Sport", &[], &[], ago(10));
    late["updated_at"] = json!(ago(20).to_rfc3339());
    for (body, field) in [
        ("{\"id\": ".to_owned(), "(record)"),
        ("[1, 2]".to_owned(), "(record)"),
        (late.to_string(), "updated_at"),
    ] {
        let r = server.api("PUT", "/api/articles/bad-2", body.as_bytes());
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(error_fields(&r.json()), [field], "{body}");
    }

    assert_eq!(store_state(&server), (40, 40));
    assert_eq!(server.health()["applied_seq"], 40);
    assert_eq!(server.get("/feed.xml").must("etag"), feed_etag);
}

#[test]
fn the_id_in_the_body_must_match_the_url() {
    let server = Server::with_samples();
    let rec = record("id-b", "Sport", &[], &[], ago(10));
    let r = server.api("PUT", "/api/articles/id-a", rec.to_string().as_bytes());
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(error_fields(&r.json()), ["id"]);
    let mut numeric = rec.clone();
    numeric["id"] = json!(5);
    let r = server.api("PUT", "/api/articles/5", numeric.to_string().as_bytes());
    assert_eq!(r.status, 422);
    assert_eq!(error_fields(&r.json()), ["id"]);
    assert_eq!(store_state(&server), (40, 40));

    // Without an id in the body, the URL's is used; percent-encoding is decoded.
    let mut anonymous = record("id c", "Sport", &[], &[], ago(10));
    anonymous.as_object_mut().unwrap().remove("id");
    let r = server.api(
        "PUT",
        "/api/articles/id%20c",
        anonymous.to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"id": "id c", "result": "created", "served": true})
    );
    let feed = server.text("/feed.xml");
    assert!(
        feed.contains("tag:actu.example.ma,2026:article/id%20c"),
        "GUID of \"id c\""
    );
}

#[test]
fn a_body_over_max_body_bytes_is_413() {
    let server = Server::start(Options {
        max_body_bytes: Some(4096),
        ..Options::default()
    });
    let mut big = record("big-1", "Sport", &[], &[], ago(10));
    big["content_html"] = json!(format!("<p>{}</p>", "x".repeat(8 * 1024)));
    let r = server.put(&big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("4096"));

    let lines: Vec<String> = (0..40)
        .map(|i| record(&format!("big-batch-{i}"), "Sport", &[], &[], ago(10)).to_string())
        .collect();
    let r = server.api("POST", "/api/articles", lines.join("\n").as_bytes());
    assert_eq!(r.status, 413);

    // Chunked, without a Content-Length: the limit holds as the body streams in.
    let body = big.to_string();
    let mut chunked = String::new();
    for chunk in body.as_bytes().chunks(1000) {
        chunked.push_str(&format!(
            "{:x}\r\n{}\r\n",
            chunk.len(),
            std::str::from_utf8(chunk).unwrap()
        ));
    }
    chunked.push_str("0\r\n\r\n");
    let raw = format!(
        "PUT /api/articles/big-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}"
    );
    let r = support::exchange(server.addr, raw.as_bytes());
    assert_eq!(r.status, 413);

    assert_eq!(store_state(&server), (40, 40));
    // Just under the limit is fine.
    big["content_html"] = json!(format!("<p>{}</p>", "x".repeat(3 * 1024)));
    assert!(big.to_string().len() < 4096);
    assert_eq!(server.put(&big).status, 201);
}

#[test]
fn a_put_is_served_everywhere_when_it_returns() {
    let server = Server::with_samples();
    let rec = record(
        "new-1",
        "Sport",
        &["Football", "Tag Neuf"],
        &["Y.B"],
        ago(10),
    );
    let r = server.put(&rec);
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json(),
        json!({"id": "new-1", "result": "created", "served": true})
    );
    // No waiting: every document that shows it already does.
    for path in [
        "/feed.xml",
        "/sections/sport/feed.xml",
        "/tags/football/feed.xml",
        "/tags/tag-neuf/feed.xml",
        "/authors/y-b/feed.xml",
    ] {
        let items = support::rss_items(&server.text(path));
        assert_eq!(items[0].guid, guid("new-1"), "{path}: not the newest item");
        assert_eq!(items[0].link, record_url("new-1"));
    }
    for path in [
        "/atom.xml",
        "/sections/sport/atom.xml",
        "/tags/tag-neuf/atom.xml",
    ] {
        assert_eq!(
            support::atom_entries(&server.text(path))[0].id,
            guid("new-1"),
            "{path}"
        );
    }
    for path in ["/feed.json", "/tags/football/feed.json"] {
        assert_eq!(
            support::json_feed_ids(&server.text(path))[0],
            guid("new-1"),
            "{path}"
        );
    }
    let news = support::locs(&server.text("/news-sitemap.xml"));
    assert_eq!(news[0], record_url("new-1"));
    assert!(support::locs(&server.text("/sitemaps/2026-11-29.xml")).contains(&record_url("new-1")));
    assert!(
        server
            .text("/feeds.opml")
            .contains("https://feeds.example.ma/tags/tag-neuf/feed.xml")
    );
    // the directory links the new feed's page, which names its three formats
    assert!(
        server
            .text("/feeds/")
            .contains("href=\"../tags/tag-neuf/\"")
    );
    assert!(
        server
            .text("/tags/tag-neuf/")
            .contains("https://feeds.example.ma/tags/tag-neuf/atom.xml")
    );
    // The new tag feed's Last-Modified is the article's time.
    assert_eq!(
        server.get("/tags/tag-neuf/feed.xml").must("last-modified"),
        ago(10).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    );
    assert_eq!(store_state(&server), (41, 41));
}

#[test]
fn an_update_keeps_guid_and_pub_date_and_moves_updated() {
    let server = Server::with_samples();
    let published = ago(30);
    let rec = record("upd-1", "Sport", &["Football"], &["Y.B"], published);
    assert_eq!(server.put(&rec).status, 201);
    let before = support::rss_items(&server.text("/feed.xml"));
    let item = before
        .iter()
        .find(|i| i.guid == guid("upd-1"))
        .unwrap()
        .clone();
    let entry = support::atom_entries(&server.text("/atom.xml"))
        .into_iter()
        .find(|e| e.id == guid("upd-1"))
        .unwrap();
    assert_eq!(entry.updated, entry.published);
    let etag = server.get("/feed.xml").must("etag").to_owned();

    // The same record again changes nothing.
    let r = server.put(&rec);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["result"], "unchanged");
    assert_eq!(server.get("/feed.xml").must("etag"), etag);

    // New title, new URL, an update time: same item, moved `updated`.
    let mut edited = rec.clone();
    edited["title"] = json!("Titre corrigé");
    edited["url"] = json!("https://www.actu.example.ma/test/upd-1-v2.html");
    edited["updated_at"] = json!(ago(5).to_rfc3339());
    let r = server.put(&edited);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"id": "upd-1", "result": "updated", "served": true})
    );

    for path in [
        "/feed.xml",
        "/sections/sport/feed.xml",
        "/tags/football/feed.xml",
    ] {
        let items = support::rss_items(&server.text(path));
        let same: Vec<_> = items.iter().filter(|i| i.guid == guid("upd-1")).collect();
        assert_eq!(same.len(), 1, "{path}: {items:?}");
        assert_eq!(same[0].pub_date, item.pub_date, "{path}: pubDate moved");
        assert_eq!(same[0].title, "Titre corrigé", "{path}");
        assert_eq!(
            same[0].link,
            "https://www.actu.example.ma/test/upd-1-v2.html"
        );
    }
    let after = support::atom_entries(&server.text("/atom.xml"));
    let moved: Vec<_> = after.iter().filter(|e| e.id == guid("upd-1")).collect();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].published, entry.published);
    assert_ne!(moved[0].updated, entry.updated);
    assert_eq!(
        support::t(&moved[0].updated),
        ago(5),
        "atom:updated is the new updated_at"
    );
    let feed: Value = serde_json::from_str(&server.text("/feed.json")).unwrap();
    let j = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == guid("upd-1"))
        .unwrap();
    assert_eq!(support::t(j["date_published"].as_str().unwrap()), published);
    assert_eq!(support::t(j["date_modified"].as_str().unwrap()), ago(5));
    assert_eq!(
        server.get("/feed.xml").must("last-modified"),
        ago(5).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    );
}

#[test]
fn an_update_that_moves_or_hides_the_article_is_served_on_return() {
    let server = Server::with_samples();
    let rec = record("move-1", "Sport", &["Football"], &["Y.B"], ago(15));
    assert_eq!(server.put(&rec).status, 201);
    let has = |path: &str| server.text(path).contains(&guid("move-1"));
    assert!(has("/sections/sport/feed.xml") && has("/tags/football/feed.xml"));

    // Another section, other tags, another author.
    let mut moved = rec.clone();
    moved["section"] = json!("Culture");
    moved["tags"] = json!(["Rabat"]);
    moved["authors"] = json!(["H.B"]);
    assert_eq!(server.put(&moved).status, 200);
    for path in [
        "/sections/sport/feed.xml",
        "/tags/football/atom.xml",
        "/authors/y-b/feed.json",
    ] {
        assert!(!has(path), "{path} still shows it");
    }
    for path in [
        "/feed.xml",
        "/sections/culture/feed.xml",
        "/tags/rabat/atom.xml",
        "/authors/h-b/feed.json",
    ] {
        assert!(has(path), "{path} does not show it");
    }

    // A draft is shown nowhere, not even in the sitemaps.
    let mut draft = moved.clone();
    draft["status"] = json!("draft");
    assert_eq!(server.put(&draft).status, 200);
    let url = record_url("move-1");
    assert!(documents_mentioning(&server, &url).is_empty());
    assert!(documents_mentioning(&server, &guid("move-1")).is_empty());

    // Published again, with a publication time in the future: still nowhere.
    let mut embargoed = moved.clone();
    embargoed["published_at"] = json!(ago(-60).to_rfc3339());
    assert_eq!(server.put(&embargoed).status, 200);
    assert!(documents_mentioning(&server, &url).is_empty());

    // And back to the past: everywhere again.
    assert_eq!(server.put(&moved).status, 200);
    assert!(has("/sections/culture/feed.xml"));
    assert!(server.text("/news-sitemap.xml").contains(&url));
}

#[test]
fn a_delete_removes_the_article_from_every_document_at_once() {
    let server = Server::with_samples();
    let rec = record(
        "del-1",
        "Sport",
        &["Sujet Éphémère"],
        &["Auteur Unique"],
        ago(20),
    );
    assert_eq!(server.put(&rec).status, 201);
    let url = record_url("del-1");
    let mut showing = documents_mentioning(&server, &url);
    showing.extend(documents_mentioning(&server, &guid("del-1")));
    showing.sort();
    showing.dedup();
    let own_feeds: Vec<String> = ["/tags/sujet-ephemere/", "/authors/auteur-unique/"]
        .iter()
        .flat_map(|d| ["feed.xml", "atom.xml", "feed.json", ""].map(|n| format!("{d}{n}")))
        .collect();
    for path in own_feeds
        .iter()
        .map(String::as_str)
        .chain([
            "/feed.xml",
            "/atom.xml",
            "/feed.json",
            "/sections/sport/feed.xml",
        ])
        .chain(["/news-sitemap.xml", support::day_sitemap(ago(20)).as_str()])
    {
        assert!(
            showing.iter().any(|p| p == path),
            "{path} does not show it: {showing:?}"
        );
    }
    let documents_before = support::all_documents(&server);

    let r = server.api("DELETE", "/api/articles/del-1", b"");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"id": "del-1", "result": "deleted", "served": true})
    );
    // No waiting: no document shows it any more, and its own feeds are gone.
    for path in &showing {
        let r = server.get(path);
        if own_feeds.contains(path) {
            assert_eq!(r.status, 404, "{path} still exists");
            continue;
        }
        assert_eq!(r.status, 200, "{path}");
        let text = r.text();
        assert!(
            !text.contains(&url) && !text.contains(&guid("del-1")),
            "{path} still shows it"
        );
    }
    let documents_after = support::all_documents(&server);
    let gone: Vec<&String> = documents_before.difference(&documents_after).collect();
    let mut want: Vec<&String> = own_feeds.iter().collect();
    want.sort();
    assert_eq!(gone, want);
    assert!(documents_after.is_subset(&documents_before));
    assert!(!server.text("/feeds.opml").contains("sujet-ephemere"));

    let again = server.api("DELETE", "/api/articles/del-1", b"");
    assert_eq!(again.status, 404);
    assert_eq!(
        server.api("DELETE", "/api/articles/never-was", b"").status,
        404
    );
    assert_eq!(store_state(&server).0, 40);
}

#[test]
fn a_batch_is_applied_whole_or_not_at_all() {
    let server = Server::with_samples();
    let a = record("batch-a", "Sport", &["Football"], &[], ago(10));
    let c = record("batch-c", "Culture", &["Rabat"], &[], ago(12));
    let mut b = record("batch-b", "Sport", &[], &[], ago(11));
    b.as_object_mut().unwrap().remove("title");
    let body = format!("{a}\n\n{b}\n{c}\nnot json\n");
    let r = server.api("POST", "/api/articles", body.as_bytes());
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    assert_eq!(v["applied"], false);
    assert_eq!(v["rejected"], 2);
    let results = v["results"].as_array().unwrap();
    let summary: Vec<(u64, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["id"].as_str().unwrap_or(""),
                r["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "batch-a", "valid"),
            (3, "", "rejected"),
            (4, "batch-c", "valid"),
            (5, "", "rejected"),
        ]
    );
    assert_eq!(error_fields(&results[1]), ["title"]);
    assert_eq!(error_fields(&results[3]), ["(record)"]);
    // Nothing applied: not even the valid lines.
    assert_eq!(store_state(&server), (40, 40));
    let feed = server.text("/feed.xml");
    assert!(!feed.contains(&guid("batch-a")) && !feed.contains(&guid("batch-c")));

    // All valid, with an update of a sample: applied in one go, served on return.
    let mut sample = support::samples()
        .into_iter()
        .find(|s| s["id"] == "actu-1039")
        .unwrap();
    sample["title"] = json!("Titre révisé par lot");
    let body = format!("{a}\n{sample}\n{c}\n");
    let r = server.api("POST", "/api/articles", body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["applied"], true);
    assert_eq!(
        (
            v["created"].as_u64(),
            v["updated"].as_u64(),
            v["unchanged"].as_u64()
        ),
        (Some(2), Some(1), Some(0))
    );
    let feed = server.text("/feed.xml");
    assert!(feed.contains(&guid("batch-a")) && feed.contains(&guid("batch-c")));
    assert!(feed.contains("Titre révisé par lot"));
    assert!(
        server
            .text("/sections/culture/feed.xml")
            .contains(&guid("batch-c"))
    );
    assert!(
        server
            .text("/tags/football/feed.xml")
            .contains(&guid("batch-a"))
    );
    assert_eq!(store_state(&server), (42, 43));

    let r = server.api("POST", "/api/articles", body.as_bytes());
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        (
            v["created"].as_u64(),
            v["updated"].as_u64(),
            v["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(store_state(&server), (42, 43));
}

#[test]
fn api_routes_and_methods() {
    let server = Server::with_samples();
    let r = server.api("GET", "/api/articles", b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.must("allow"), "POST");
    for method in ["GET", "POST", "PATCH"] {
        let r = server.api(method, "/api/articles/actu-1001", b"");
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.must("allow"), "PUT, DELETE");
    }
    for path in ["/api/nope", "/api/articlesx", "/api/"] {
        assert_eq!(server.api("GET", path, b"").status, 404, "{path}");
    }
    assert_eq!(store_state(&server), (40, 40));
}
