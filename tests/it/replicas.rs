//! Several `syndic serve` processes on one PostgreSQL store: each follows the
//! change log, serves every commit within a second, and all serve identical
//! bytes; a store outage is survived without a restart. Runs a private
//! PostgreSQL cluster (initdb/pg_ctl) so that it may stop it.

use crate::cluster::{PgCluster, Replica, header, record, request};
use std::time::Duration;

const TOKEN: &str = "replica-secret";
const PATHS: &[&str] = &[
    "/feed.xml",
    "/atom.xml",
    "/feed.json",
    "/sections/maroc/feed.xml",
    "/tags/iran/atom.xml",
    "/authors/s-a/feed.json",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/robots.txt",
    "/feeds.opml",
    "/",
];

fn applied_seq(r: &Replica) -> u64 {
    let health: serde_json::Value =
        serde_json::from_slice(&r.get("/healthz").2).unwrap_or_default();
    health["applied_seq"].as_u64().unwrap_or(0)
}

fn status(r: &Replica) -> String {
    let health: serde_json::Value =
        serde_json::from_slice(&r.get("/healthz").2).unwrap_or_default();
    health["status"].as_str().unwrap_or("").to_owned()
}

/// Both replicas at the same cursor serve the same bytes under the same validators.
fn assert_identical(a: &Replica, b: &Replica) {
    let target = applied_seq(a).max(applied_seq(b));
    a.wait_until(Duration::from_secs(5), |r| applied_seq(r) >= target);
    b.wait_until(Duration::from_secs(5), |r| applied_seq(r) >= target);
    for path in PATHS {
        for encoding in ["identity", "gzip", "br"] {
            let (sa, ha, ba) = request(a.port, "GET", path, &[("Accept-Encoding", encoding)], None);
            let (sb, hb, bb) = request(b.port, "GET", path, &[("Accept-Encoding", encoding)], None);
            assert_eq!((sa, sb), (200, 200), "{path}");
            assert!(
                ba == bb,
                "{path} ({encoding}): replicas serve different bytes"
            );
            for name in ["etag", "last-modified", "content-type"] {
                assert_eq!(
                    header(&ha, name),
                    header(&hb, name),
                    "{path} ({encoding}): {name}"
                );
            }
        }
    }
}

#[test]
fn replicas_serve_every_commit_and_identical_bytes() {
    let pg = PgCluster::start();
    let a = Replica::start(&pg.url(), TOKEN);
    let b = Replica::start(&pg.url(), TOKEN);

    // Through replica A's API: served by B within a second.
    assert_eq!(
        a.put(
            "via-a",
            TOKEN,
            &record("via-a", "Écrit via la réplique A", &["Iran"])
        ),
        201
    );
    b.wait_until(Duration::from_secs(1), |r| {
        r.text("/tags/iran/feed.xml")
            .contains("Écrit via la réplique A")
    });

    // Straight into the tables with SQL: served by both within a second.
    pg.sql("INSERT INTO articles (id, url, title, published_at, section, tags, authors) VALUES \
            ('via-sql', 'https://www.actu.example.ma/sql.html', 'Écrit par psql', now() - interval '1 minute', \
             'Maroc', '[\"Iran\"]', '[\"S.A\"]')");
    for r in [&a, &b] {
        r.wait_until(Duration::from_secs(1), |r| {
            r.text("/feed.xml").contains("Écrit par psql")
        });
    }

    // By `syndic import` in another process: likewise.
    let file = a.dir.path().join("batch.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n",
            record("via-import", "Importé en ligne de commande", &["Rabat"])
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syndic"))
        .arg("--config")
        .arg(a.dir.path().join("config.toml"))
        .arg("import")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for r in [&a, &b] {
        r.wait_until(Duration::from_secs(1), |r| {
            r.text("/tags/rabat/feed.xml").contains("Importé en ligne")
        });
    }

    // A delete through B leaves every document of A at once.
    let auth = format!("Bearer {TOKEN}");
    let (code, _, _) = request(
        b.port,
        "DELETE",
        "/api/articles/via-a",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(code, 200);
    a.wait_until(Duration::from_secs(1), |r| {
        !r.text("/feed.xml").contains("via la réplique A")
    });

    assert_identical(&a, &b);
}

#[test]
fn replicas_keep_serving_through_a_store_outage_and_catch_up() {
    let pg = PgCluster::start();
    let a = Replica::start(&pg.url(), TOKEN);
    let b = Replica::start(&pg.url(), TOKEN);
    assert_eq!(
        a.put(
            "before",
            TOKEN,
            &record("before", "Avant la panne", &["Iran"])
        ),
        201
    );
    b.wait_until(Duration::from_secs(1), |r| {
        r.text("/feed.xml").contains("Avant la panne")
    });
    let etag_before = header(&a.get("/feed.xml").1, "etag").map(str::to_owned);

    pg.down();
    for r in [&a, &b] {
        r.wait_until(Duration::from_secs(5), |r| status(r) == "degraded");
    }
    // Documents keep being served, unchanged; metrics say the store is down.
    for _ in 0..20 {
        for r in [&a, &b] {
            for path in PATHS {
                assert_eq!(r.get(path).0, 200, "{path} during the outage");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        header(&a.get("/feed.xml").1, "etag").map(str::to_owned),
        etag_before
    );
    assert!(a.text("/metrics").contains("syndic_store_up 0"));
    // Writes fail loudly, never silently.
    assert_eq!(
        a.put("lost", TOKEN, &record("lost", "Pendant la panne", &[])),
        503
    );

    pg.up();
    let rows: Vec<String> = (0..50)
        .map(|i| {
            format!(
                "('after-{i}', 'https://www.actu.example.ma/after-{i}.html', 'Après la panne {i}', \
                          now(), 'Maroc', '[\"Iran\"]', '[\"S.A\"]')"
            )
        })
        .collect();
    pg.sql(&format!(
        "INSERT INTO articles (id, url, title, published_at, section, tags, authors) VALUES {}",
        rows.join(", ")
    ));
    for r in [&a, &b] {
        r.wait_until(Duration::from_secs(10), |r| {
            let feed = r.text("/feed.xml");
            (0..50).all(|i| feed.contains(&format!("Après la panne {i}<")))
        });
        r.wait_until(Duration::from_secs(5), |r| status(r) == "ok");
    }
    assert!(!a.text("/feed.xml").contains("Pendant la panne"));
    assert_identical(&a, &b);
}
