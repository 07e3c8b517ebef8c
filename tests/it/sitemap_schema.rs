//! Sitemap conformance: every sitemap file syndic builds validates with
//! `xmllint --schema` against the sitemaps.org schemas and Google's extensions
//! (`tests/schemas/sitemap`, vendored, offline through its XML catalog), and the news
//! sitemap follows Google News' rules (checked in Rust, `news_rules.rs`): at most 1,000
//! `<url>` per file, exactly Google's elements under `news:news`, and a
//! publication date within 48 hours of the build.
//!
//! `xmllint` is required: without it these tests fail (they never pass
//! silently). Install it with `apt-get install libxml2-utils`.

use crate::{common, judges, news_rules};

use chrono::{DateTime, TimeDelta, Utc};
use std::path::{Path, PathBuf};
use syndic::render;
use syndic::store::LinkRow;

/// Validates every file against `xsd`; panics with xmllint's output on failure.
fn xmllint(xsd: &str, files: &[PathBuf]) {
    if let Err(failures) = judges::xmllint(xsd, files) {
        panic!("xmllint --schema {xsd} failed:\n{}", failures.join("\n"));
    }
}

/// The harness itself: xmllint with these schemas does reject what Google would.
#[test]
fn the_schema_check_rejects_broken_sitemaps() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://www.actu.example.ma/a.html</loc>
    <news:news>
      <news:publication><news:name>Actu.ma</news:name><news:language>fr</news:language></news:publication>
      <news:publication_date>2026-11-29T11:00:00Z</news:publication_date>
      <news:title>Titre</news:title>
    </news:news>
  </url>
</urlset>
"#;
    let file = tmp.path().join("good.xml");
    std::fs::write(&file, good).expect("write");
    xmllint("urlset-all.xsd", std::slice::from_ref(&file));
    for (name, from, to) in [
        ("misspelled", "news:title>", "news:titel>"),
        ("language", "<news:language>fr<", "<news:language>fr-FR<"),
        ("date", "2026-11-29T11:00:00Z", "29/11/2026"),
        (
            "order",
            "<news:news>",
            "<news:news><news:keywords>x</news:keywords>",
        ),
    ] {
        let file = tmp.path().join(format!("{name}.xml"));
        std::fs::write(&file, good.replace(from, to)).expect("write");
        let verdict = judges::xmllint("urlset-all.xsd", std::slice::from_ref(&file));
        assert!(
            verdict.is_err(),
            "{name}: xmllint accepted a broken sitemap"
        );
    }
}

/// Writes the sitemap documents into `dir` and validates each against the
/// schema its root element calls for. Returns how many files were checked.
fn validate_sitemaps(dir: &Path, docs: &[(String, Vec<u8>)]) -> usize {
    let (mut urlsets, mut indexes) = (Vec::new(), Vec::new());
    for (path, body) in docs.iter().filter(|(p, _)| common::is_sitemap_path(p)) {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, body).expect("write sitemap");
        if common::is_sitemap_index(body) {
            indexes.push(file);
        } else {
            urlsets.push(file);
        }
    }
    xmllint("urlset-all.xsd", &urlsets);
    xmllint("siteindex-all.xsd", &indexes);
    urlsets.len() + indexes.len()
}

/// Google News rules on every news sitemap file; returns the URLs listed.
fn check_news_rules(docs: &[(String, Vec<u8>)], now: DateTime<Utc>) -> Vec<String> {
    let report = news_rules::check(docs, &common::config().site, now);
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    report.urls
}

#[test]
fn fixture_sitemaps_validate_and_follow_google_news_rules() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = common::build_fixture(&tmp.path().join("store"));
    let out = tmp.path().join("out");
    let checked = validate_sitemaps(&out, &docs);
    // sitemap.xml, six days (one in October, five in November), news-sitemap.xml
    assert_eq!(checked, 8);
    let news = check_news_rules(&docs, common::now());
    assert_eq!(news.len(), 5, "{news:#?}");
}

/// JSON Lines of `n` articles first published in the 48 hours before now,
/// one a minute, with images, several languages and markup-like titles.
fn synthetic_records(n: usize, now: DateTime<Utc>) -> String {
    let languages = [
        None,
        Some("ar"),
        Some("fr-MA"),
        Some("zh-Hant-TW"),
        Some("en-GB"),
    ];
    let sections = ["Maroc", "Monde", "Économie", "Sport", "Culture"];
    let mut out = String::new();
    for i in 0..n {
        let published = now - TimeDelta::minutes(i as i64 + 1);
        let mut record = serde_json::json!({
            "id": format!("flash-{i:05}"),
            "url": format!("https://www.actu.example.ma/flash/{i}-depeche.html?src=rss&n={i}"),
            "title": format!("Dépêche n°{i} : « A & B » <direct> ]]> 📰"),
            "section": sections[i % sections.len()],
            "tags": [format!("Sujet {}", i % 7)],
            "published_at": published.to_rfc3339(),
        });
        if let Some(lang) = languages[i % languages.len()] {
            record["language"] = lang.into();
        }
        if i % 3 == 0 {
            record["image"] = serde_json::json!({
                "url": format!("https://static.actu.example.ma/flash/{i}.jpg")
            });
        }
        out.push_str(&record.to_string());
        out.push('\n');
    }
    // Older articles: in the month sitemaps, not in the news sitemap.
    for i in 0..30 {
        let published = now - TimeDelta::hours(49 + 24 * i);
        let record = serde_json::json!({
            "id": format!("archive-{i:03}"),
            "url": format!("https://www.actu.example.ma/archives/{i}.html"),
            "title": format!("Archive {i}"),
            "published_at": published.to_rfc3339(),
        });
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

#[test]
fn over_1000_news_urls_become_an_index_of_valid_parts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = common::fresh_store(tmp.path());
    let now = common::now();
    let n = 2_150;
    let (summary, report) = common::import_text(&store, &synthetic_records(n, now), "synthetic");
    assert_eq!(summary.rejected, 0, "{report}");
    let docs = common::build(&common::config(), &store, now);

    let root = &docs
        .iter()
        .find(|(p, _)| p == "news-sitemap.xml")
        .expect("news-sitemap.xml")
        .1;
    assert!(
        common::is_sitemap_index(root),
        "over 1,000 URLs, news-sitemap.xml must be an index"
    );
    let mut parts: Vec<&str> = docs
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| p.starts_with("news-sitemaps/"))
        .collect();
    parts.sort_unstable();
    // One part per hour of publication (one article a minute): a new article
    // changes its hour's part only.
    let mut hours: Vec<String> = (0..n)
        .map(|i| {
            let published = now - TimeDelta::minutes(i as i64 + 1);
            format!("news-sitemaps/{}.xml", published.format("%Y-%m-%dT%H"))
        })
        .collect();
    hours.dedup();
    hours.sort_unstable();
    assert_eq!(parts, hours);
    let checked = validate_sitemaps(&tmp.path().join("out"), &docs);
    assert!(checked >= 6, "{checked} sitemap files");
    let news = check_news_rules(&docs, now);
    assert_eq!(news.len(), n, "every article of the last 48 h, once");
    // Newest first across the parts.
    assert!(news[0].contains("/flash/0-depeche.html"), "{}", news[0]);
    assert!(news[n - 1].contains(&format!("/flash/{}-depeche.html", n - 1)));
}

/// An hour of more than 1,000 news URLs splits into parts of 1,000, in order.
#[test]
fn an_hour_over_1000_news_urls_splits_into_numbered_parts() {
    let site = common::config().site;
    let newest: DateTime<Utc> = "2026-11-29T16:59:00Z".parse().expect("date");
    let published_at = |i: i64| newest - TimeDelta::seconds(i);
    let entries: Vec<_> = (0..2_500)
        .map(|i| {
            let row = LinkRow {
                id: format!("a{i}"),
                url: format!("https://www.actu.example.ma/a/{i}.html"),
                title: format!("Dépêche {i}"),
                language: None,
                published_at: published_at(i),
                updated_at: published_at(i),
                image_url: None,
            };
            syndic::render::news_entry(&site, &row).expect("entry")
        })
        .collect();
    let refs: Vec<_> = entries.iter().collect();
    let docs =
        syndic::render::news_sitemap_from(&site, &refs, &|_| None, None).expect("news sitemap");
    let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "news-sitemaps/2026-11-29T16.xml",
            "news-sitemaps/2026-11-29T16-2.xml",
            "news-sitemaps/2026-11-29T16-3.xml",
            "news-sitemap.xml"
        ]
    );
    let urls =
        |d: &syndic::render::Document| String::from_utf8_lossy(&d.body).matches("<url>").count();
    assert_eq!(
        [urls(&docs[0]), urls(&docs[1]), urls(&docs[2])],
        [1000, 1000, 500]
    );
}

/// A day's sitemap splits at 50,000 URLs; both parts validate. (The
/// renderer is called directly: importing 50,001 articles would be slow.)
#[test]
fn a_day_over_50000_urls_splits_into_valid_parts() {
    let published: DateTime<Utc> = "2026-11-15T12:00:00Z".parse().expect("date");
    let rows: Vec<LinkRow> = (0..50_001)
        .map(|i| LinkRow {
            id: format!("a{i}"),
            url: format!("https://www.actu.example.ma/a/{i}.html"),
            title: format!("Article {i}"),
            language: None,
            published_at: published,
            updated_at: published + TimeDelta::seconds(i),
            image_url: (i % 2 == 0).then(|| format!("https://static.actu.example.ma/{i}.jpg")),
        })
        .collect();
    let docs = render::sitemaps_by_day(&rows).expect("render");
    let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        ["sitemaps/2026-11-15.xml", "sitemaps/2026-11-15-2.xml"]
    );
    let count = |body: &[u8]| body.windows(5).filter(|w| w == b"<url>").count();
    assert_eq!(count(&docs[0].body), 50_000);
    assert_eq!(count(&docs[1].body), 1);
    for d in &docs {
        assert!(d.body.len() <= 50 * 1024 * 1024, "{}: over 50 MiB", d.path);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs: Vec<(String, Vec<u8>)> = docs.into_iter().map(|d| (d.path, d.body)).collect();
    assert_eq!(validate_sitemaps(tmp.path(), &docs), 2);
}

/// Rows that another program wrote straight into the store (the store is a
/// documented interface) must not break the sitemaps: invalid rows are left out
/// of feeds, and should be left out of sitemaps as well.
#[test]
fn invalid_rows_written_by_another_program_stay_out_of_sitemaps() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = common::fresh_store(tmp.path());
    common::import_fixture(&store);
    let conn = rusqlite::Connection::open(tmp.path().join("store.db")).expect("open");
    conn.execute(
        "INSERT INTO articles (id, url, title, published_at, language) \
         VALUES ('cms-1', 'not a url', '   ', '2026-11-29T10:00:00Z', 'fr\u{1}')",
        [],
    )
    .expect("insert");
    drop(conn);
    let docs = common::build(&common::config(), &store, common::now());
    for (path, body) in &docs {
        let text = String::from_utf8_lossy(body);
        assert!(!text.contains("not a url"), "{path} lists the invalid row");
    }
    validate_sitemaps(&tmp.path().join("out"), &docs);
    check_news_rules(&docs, common::now());
}
