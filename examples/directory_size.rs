//! The HTML directory with thousands of feeds: its size (plain and gzip) and
//! render time. `cargo run --release --example directory_size [tags] [runs]`
//! (default 5,000 tags, 12 sections, 400 authors; 21 runs, median reported).
//!
//! Names, counts and times are synthetic but shaped like the corpus generator's
//! (bench/gen_corpus.py): French names with accents, Zipf-like counts.

use chrono::{DateTime, TimeDelta, Utc};
use std::io::Write;
use std::time::Instant;
use syndic::config::Config;
use syndic::index::{FeedInfo, FeedKey, FeedKind};
use syndic::render::{DirectoryEntry, NewsStatus, html_directory};

const CONFIG: &str = r#"[site]
title = "Actu.ma"
description = "L’actualité du Maroc et du monde"
language = "fr"
home_url = "https://www.actu.example.ma/"
public_url = "https://feeds.actu.example.ma/"
publication_name = "Actu.ma"
guid_authority = "actu.example.ma,2026"
"#;

const WORDS: [&str; 16] = [
    "Économie",
    "Sécurité",
    "Énergie",
    "Festival",
    "Coupe",
    "Région",
    "Santé",
    "Éducation",
    "Tanger",
    "Marrakech",
    "Agadir",
    "Élections",
    "Sahara",
    "Réforme",
    "Océan",
    "Médina",
];

fn entry(kind: FeedKind, term: u32, now: DateTime<Utc>) -> DirectoryEntry {
    let name = format!(
        "{} {} {}",
        WORDS[term as usize % 16],
        WORDS[(term as usize / 16) % 16].to_lowercase(),
        term
    );
    DirectoryEntry {
        info: FeedInfo {
            key: FeedKey { kind, term },
            slug: slug::slugify(&name),
            name,
        },
        items: (20_000 / (term as usize + 1)).max(1),
        last_change: Some(now - TimeDelta::minutes(i64::from(term) * 37)),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tags: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(21);
    let config = Config::from_toml(
        std::path::Path::new("config.toml"),
        CONFIG,
        std::iter::empty(),
    )
    .expect("config");
    let now: DateTime<Utc> = "2026-11-29T12:00:00Z".parse().expect("time");
    let mut feeds = vec![DirectoryEntry {
        info: FeedInfo {
            key: FeedKey::GLOBAL,
            slug: String::new(),
            name: String::new(),
        },
        items: 100_000,
        last_change: Some(now),
    }];
    feeds.extend((0..12).map(|t| entry(FeedKind::Section, t, now)));
    feeds.extend((0..tags).map(|t| entry(FeedKind::Tag, t, now)));
    feeds.extend((0..400).map(|t| entry(FeedKind::Author, t, now)));
    let news = Some(NewsStatus {
        urls: 950,
        regenerated: Some(now),
    });
    let mut times = Vec::with_capacity(runs);
    let mut body = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        body = html_directory(&config.site, &feeds, news).body;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(&body).expect("gzip");
    let gz = gz.finish().expect("gzip");
    println!(
        "feeds: {} ({tags} tags); plain {} bytes; gzip (level 6, as served) {} bytes; render median {:.2} ms (min {:.2}, max {:.2}, {runs} runs)",
        feeds.len(),
        body.len(),
        gz.len(),
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
