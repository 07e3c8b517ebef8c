//! Sitemap conformance: every sitemap file syndic builds validates with
//! `xmllint --schema` against the sitemaps.org schemas and Google's extensions
//! (`tests/schemas/sitemap`, vendored, offline through its XML catalog), and the news
//! sitemap follows Google News' rules (checked here in Rust): at most 1,000
//! `<url>` per file, exactly Google's elements under `news:news`, and a
//! publication date within 48 hours of the build.
//!
//! `xmllint` is required: without it these tests fail (they never pass
//! silently). Install it with `apt-get install libxml2-utils`.

use crate::common;

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use syndic::index::Month;
use syndic::render;
use syndic::store::LinkRow;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

fn schema_dir() -> PathBuf {
    common::manifest_dir().join("tests/schemas/sitemap")
}

/// Runs `xmllint --schema xsd` on the files: (success, stderr). Panics, saying how
/// to install it, when xmllint is missing.
fn run_xmllint(xsd: &str, files: &[PathBuf]) -> (bool, String) {
    let dir = schema_dir();
    let schema = dir.join(xsd);
    assert!(
        schema.is_file(),
        "{} is missing: the sitemap schemas are vendored in tests/schemas/sitemap",
        schema.display()
    );
    let output = Command::new("xmllint")
        .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .args(files)
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint is not installed, so the sitemaps cannot be validated; \
             install it with `apt-get install libxml2-utils` (or run scripts/test.sh)"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

/// Validates every file against `xsd`; panics with xmllint's output on failure.
fn xmllint(xsd: &str, files: &[PathBuf]) {
    if files.is_empty() {
        return;
    }
    let (ok, stderr) = run_xmllint(xsd, files);
    assert!(ok, "xmllint --schema {xsd} failed:\n{stderr}");
    // Belt and braces: one "validates" line per file, whatever the exit status says.
    for file in files {
        let line = format!("{} validates", file.display());
        assert!(stderr.contains(&line), "no `{line}` in:\n{stderr}");
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
        let (ok, stderr) = run_xmllint("urlset-all.xsd", std::slice::from_ref(&file));
        assert!(!ok, "{name}: xmllint accepted a broken sitemap:\n{stderr}");
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

fn elements<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.is_element()).collect()
}

fn names(nodes: &[roxmltree::Node]) -> Vec<(String, String)> {
    nodes
        .iter()
        .map(|n| {
            (
                n.tag_name().namespace().unwrap_or("").to_owned(),
                n.tag_name().name().to_owned(),
            )
        })
        .collect()
}

fn qualified(ns: &str, names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| (ns.to_owned(), (*n).to_owned()))
        .collect()
}

/// Google News rules on every news sitemap file; returns the URLs listed.
fn check_news_rules(docs: &[(String, Vec<u8>)], now: DateTime<Utc>) -> Vec<String> {
    let site = common::config().site;
    let get =
        |path: &str| -> Option<&Vec<u8>> { docs.iter().find(|(p, _)| p == path).map(|(_, b)| b) };
    let Some(root_body) = get("news-sitemap.xml") else {
        return Vec::new();
    };
    // The files holding <url>s: news-sitemap.xml itself, or the parts it lists.
    let mut files = Vec::new();
    let root_text = std::str::from_utf8(root_body).expect("UTF-8");
    let root = roxmltree::Document::parse(root_text).expect("news-sitemap.xml parses");
    if root.root_element().tag_name().name() == "sitemapindex" {
        for sitemap in elements(root.root_element()) {
            let loc = sitemap
                .children()
                .find(|n| n.has_tag_name((SITEMAP_NS, "loc")))
                .and_then(|n| n.text())
                .expect("sitemap/loc");
            let path = loc
                .strip_prefix(&site.public_url)
                .unwrap_or_else(|| panic!("{loc} is not under {}", site.public_url));
            assert!(path.starts_with("news-sitemaps/"), "{path}");
            files.push(path.to_owned());
        }
        let parts: Vec<&String> = docs
            .iter()
            .map(|(p, _)| p)
            .filter(|p| p.starts_with("news-sitemaps/"))
            .collect();
        assert_eq!(
            parts.len(),
            files.len(),
            "index lists {files:?}, built {parts:?}"
        );
    } else {
        files.push("news-sitemap.xml".to_owned());
    }

    let mut seen = Vec::new();
    let language = |l: &str| {
        l == "zh-cn"
            || l == "zh-tw"
            || ((2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()))
    };
    for path in &files {
        let body = get(path).unwrap_or_else(|| panic!("{path} listed but not built"));
        let text = std::str::from_utf8(body).expect("UTF-8");
        let doc = roxmltree::Document::parse(text).expect("news sitemap parses");
        let urlset = doc.root_element();
        assert!(urlset.has_tag_name((SITEMAP_NS, "urlset")), "{path}");
        let urls = elements(urlset);
        assert!(!urls.is_empty(), "{path}: an empty news sitemap");
        assert!(
            urls.len() <= 1000,
            "{path}: {} <url> (max 1,000)",
            urls.len()
        );
        for url in urls {
            assert!(url.has_tag_name((SITEMAP_NS, "url")), "{path}");
            let children = elements(url);
            assert_eq!(
                names(&children),
                [
                    qualified(SITEMAP_NS, &["loc"]),
                    qualified(NEWS_NS, &["news"])
                ]
                .concat(),
                "{path}: <url> children"
            );
            let loc = children[0].text().expect("loc text").to_owned();
            let news = elements(children[1]);
            assert_eq!(
                names(&news),
                qualified(NEWS_NS, &["publication", "publication_date", "title"]),
                "{path} {loc}: news:news may hold exactly publication, publication_date and title"
            );
            let publication = elements(news[0]);
            assert_eq!(
                names(&publication),
                qualified(NEWS_NS, &["name", "language"]),
                "{path} {loc}: news:publication"
            );
            assert_eq!(publication[0].text(), Some(site.publication_name.as_str()));
            let lang = publication[1].text().unwrap_or("");
            assert!(language(lang), "{path} {loc}: news:language {lang:?}");
            let date = news[1].text().unwrap_or("");
            let date = DateTime::parse_from_rfc3339(date)
                .unwrap_or_else(|e| panic!("{path} {loc}: publication_date {date:?}: {e}"));
            let age = now - date.with_timezone(&Utc);
            assert!(
                age >= TimeDelta::zero() && age <= TimeDelta::hours(48),
                "{path} {loc}: published {date}, {age} before the build (must be within 48 h)"
            );
            assert!(
                news[2].text().is_some_and(|t| !t.trim().is_empty()),
                "{path} {loc}: empty news:title"
            );
            seen.push(loc);
        }
    }
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a URL is listed twice");
    seen
}

#[test]
fn fixture_sitemaps_validate_and_follow_google_news_rules() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = common::build_fixture(&tmp.path().join("store"));
    let out = tmp.path().join("out");
    let checked = validate_sitemaps(&out, &docs);
    // sitemap.xml, two months, news-sitemap.xml
    assert_eq!(checked, 4);
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
    let docs = syndic::render::news_sitemap_from(&site, &refs, &|_| None).expect("news sitemap");
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

/// The month sitemap splits at 50,000 URLs; both parts validate. (The
/// renderer is called directly: importing 50,001 articles would be slow.)
#[test]
fn a_month_over_50000_urls_splits_into_valid_parts() {
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
    let docs = render::month_sitemaps(Month(202611), &rows).expect("render");
    let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["sitemaps/2026-11.xml", "sitemaps/2026-11-2.xml"]);
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
