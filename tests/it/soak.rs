//! Soak (issue 11's suite), through the real binary: many connections across
//! many feeds while articles are written at a steady rate. Zero 5xx and no
//! failed connection, every 200 body parses, the final documents hold exactly
//! the articles written, and resident memory stays flat.
//!
//! Size: `SYNDIC_SOAK_SECONDS` (default 6) and `SYNDIC_SOAK_CLIENTS` (default
//! 16); the full run: `SYNDIC_SOAK_SECONDS=300 SYNDIC_SOAK_CLIENTS=256 cargo
//! test --release --test it soak:: -- --nocapture`.

use crate::cluster::record;
use crate::crash::{KillOnDrop, Site, exchange};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of a process, kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Whether a 200 body of `path` parses as its format says.
fn parses(path: &str, body: &str) -> bool {
    if path.ends_with(".json") || path == "/healthz" {
        serde_json::from_str::<serde_json::Value>(body).is_ok()
    } else if path.ends_with(".xml") {
        roxmltree::Document::parse(body).is_ok()
    } else {
        !body.is_empty()
    }
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    server_errors: AtomicU64,
    failed_connections: AtomicU64,
    unparsable: AtomicU64,
}

#[test]
fn many_clients_across_feeds_while_articles_are_written() {
    let seconds = setting("SYNDIC_SOAK_SECONDS", 6);
    let clients = setting("SYNDIC_SOAK_CLIENTS", 16) as usize;
    let site = Site::new();
    // Every client here comes from 127.0.0.1, where real readers come from many
    // addresses: the per-address limit (256) must not refuse the 257th (the
    // writer). The soak is about serving under load; admission has `flood::`.
    let config = site.dir.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("max_connections_per_address = 4096\n"); // [server] is the last table
    std::fs::write(&config, text).unwrap();
    let server = KillOnDrop(site.serve());
    let pid = server.0.id();
    let port = site.port;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(Mutex::new(Vec::<String>::new()));
    let tally = Arc::new(Tally::default());
    let next_path = Arc::new(AtomicUsize::new(0));

    let writer = {
        let (stop, written) = (stop.clone(), written.clone());
        std::thread::spawn(move || {
            // 20 articles a second, over 8 tags and 4 sections' worth of feeds.
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let id = format!("soak-{i}");
                let tag = format!("Sujet {}", i % 8);
                let body = record(&id, &format!("Article {i}"), &[&tag]);
                let (status, answer) = exchange(port, "PUT", &format!("/api/articles/{id}"), &body)
                    .unwrap_or_else(|| panic!("PUT {id}: connection failed"));
                assert!(status == 201, "PUT {id}: {status} {answer}");
                written.lock().unwrap().push(id);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let paths: Arc<Vec<String>> = Arc::new(
        [
            "/feed.xml",
            "/atom.xml",
            "/feed.json",
            "/sitemap.xml",
            "/robots.txt",
            "/healthz",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain((0..8).flat_map(|t| {
            ["feed.xml", "atom.xml", "feed.json"].map(|f| format!("/tags/sujet-{t}/{f}"))
        }))
        .chain(["/sections/maroc/feed.xml", "/authors/s-a/atom.xml"].map(str::to_owned))
        .collect(),
    );
    let readers: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, tally, next, paths) = (
                stop.clone(),
                tally.clone(),
                next_path.clone(),
                paths.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let path = &paths[next.fetch_add(1, Ordering::Relaxed) % paths.len()];
                    tally.requests.fetch_add(1, Ordering::Relaxed);
                    match exchange(port, "GET", path, "") {
                        None => _ = tally.failed_connections.fetch_add(1, Ordering::Relaxed),
                        Some((status, _)) if status >= 500 => {
                            tally.server_errors.fetch_add(1, Ordering::Relaxed);
                        }
                        Some((200, body)) if !parses(path, &body) => {
                            tally.unparsable.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(_) => {} // 200, or 404 for a tag feed not written yet
                    }
                }
            })
        })
        .collect();

    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(250));
        samples.push(rss_kb(pid));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }

    let requests = tally.requests.load(Ordering::Relaxed);
    let written = written.lock().unwrap().clone();
    let third = samples.len() / 3;
    let early = samples[..third.max(1)].iter().max().copied().unwrap_or(0);
    let late = samples[samples.len() - third.max(1)..]
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    eprintln!(
        "soak: {seconds} s, {clients} clients, {requests} requests, {} articles written; \
         5xx {}, failed connections {}, unparsable {}; RSS early {early} kB, late {late} kB, peak {} kB",
        written.len(),
        tally.server_errors.load(Ordering::Relaxed),
        tally.failed_connections.load(Ordering::Relaxed),
        tally.unparsable.load(Ordering::Relaxed),
        samples.iter().max().unwrap_or(&0),
    );
    assert_eq!(
        tally.server_errors.load(Ordering::Relaxed),
        0,
        "5xx answers"
    );
    assert_eq!(
        tally.failed_connections.load(Ordering::Relaxed),
        0,
        "failed connections"
    );
    assert_eq!(
        tally.unparsable.load(Ordering::Relaxed),
        0,
        "bodies that do not parse"
    );
    assert!(
        requests > 100 && written.len() > 10,
        "the soak did too little"
    );
    // Flat: the last third of the run holds no more than the first third plus
    // some slack for caches filling (20 % and 64 MB).
    assert!(
        late <= early + early / 5 + 64 * 1024,
        "resident memory grew from {early} kB to {late} kB"
    );
    assert_final_documents_hold(port, &written);
}

/// The sitemaps list exactly the articles written; each tag feed shows its newest.
fn assert_final_documents_hold(port: u16, written: &[String]) {
    let get = |path: &str| {
        let (status, body) = exchange(port, "GET", path, "").expect("GET");
        assert_eq!(status, 200, "{path}");
        body
    };
    let locs = |xml: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).expect("sitemap parses");
        doc.descendants()
            .filter(|n| n.has_tag_name("loc"))
            .filter_map(|n| n.text().map(str::to_owned))
            .collect()
    };
    let mut listed = BTreeSet::new();
    for month in locs(&get("/sitemap.xml")) {
        let path = month.trim_start_matches("https://feeds.actu.example.ma");
        listed.extend(locs(&get(path)));
    }
    let expected: BTreeSet<String> = written
        .iter()
        .map(|id| format!("https://www.actu.example.ma/{id}.html"))
        .collect();
    assert_eq!(
        listed, expected,
        "the sitemaps do not list exactly the articles written"
    );
    let newest = written.last().expect("something written");
    let n: usize = newest.trim_start_matches("soak-").parse().unwrap();
    let feed = get(&format!("/tags/sujet-{}/feed.xml", n % 8));
    assert!(
        feed.contains(&format!("article/{newest}<")),
        "{newest} not in its tag feed"
    );
}
