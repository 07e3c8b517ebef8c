//! A change to a news window of more than 1,000 articles rewrites only the news
//! part of its hour and the sitemap file of its day (and the two indexes that
//! list them when a lastmod moves): every other sitemap file keeps its ETag. Google News rules and the
//! sitemap limits still hold, a URL written twice under two ids included.

use crate::common;
use crate::news_rules;
use crate::support::{self, Options, Server};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeSet;
use std::time::Duration;
use syndic::watch::Clock;

/// `n` articles a minute apart before `now`, then one a day for 40 days before that.
fn records(n: usize, now: DateTime<Utc>) -> String {
    let recent = (0..n).map(|i| (i, now - TimeDelta::minutes(i as i64 + 1)));
    let older = (0..40).map(|d| (n + d, now - TimeDelta::hours(49 + 24 * d as i64)));
    recent
        .chain(older)
        .map(|(i, published)| {
            serde_json::json!({
                "id": format!("part-{i:05}"),
                "url": url(i),
                "title": format!("Dépêche {i}"),
                "section": "Maroc",
                "published_at": published.to_rfc3339(),
            })
            .to_string()
                + "\n"
        })
        .collect()
}

fn url(i: usize) -> String {
    format!("https://www.actu.example.ma/depeches/{i}.html")
}

/// Every sitemap file served (the news parts and the day files listed by the
/// indexes), with its bytes.
fn sitemap_files(server: &Server) -> Vec<(String, Vec<u8>)> {
    let mut paths = vec!["sitemap.xml".to_owned(), "news-sitemap.xml".to_owned()];
    for index in ["/sitemap.xml", "/news-sitemap.xml"] {
        for loc in support::locs(&server.text(index)) {
            let path = loc.strip_prefix(support::PUBLIC_URL).expect("a served URL");
            paths.push(path.to_owned());
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let body = server.text(&format!("/{p}")).into_bytes();
            (p, body)
        })
        .collect()
}

fn start(n: usize) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = syndic::store::SqliteStore::open(dir.path().join("db").to_str().expect("UTF-8"))
        .expect("open the store");
    let text = records(n, support::samples_as_of());
    let (summary, report) = common::import_text(&store, &text, "synthetic");
    assert_eq!(summary.rejected, 0, "{report}");
    drop(store);
    let opts = Options {
        seed: false,
        ..Options::default()
    };
    Server::start_in(dir, opts, |text| text)
}

fn site(server: &Server) -> syndic::config::Site {
    let path = server.config_path();
    let text = std::fs::read_to_string(path).expect("read config.toml");
    let config = syndic::config::Config::from_toml(path, &text, std::iter::empty())
        .expect("the test configuration");
    config.site
}

#[test]
fn a_change_rewrites_only_its_hour_part_and_its_day_file() {
    let server = start(1_200);
    let now = support::samples_as_of();
    let files = sitemap_files(&server);
    assert!(
        common::is_sitemap_index(&files[1].1),
        "over 1,000: an index"
    );
    let paths: BTreeSet<String> = files.iter().map(|(p, _)| format!("/{p}")).collect();
    let before = support::etags(&server, &paths);

    // A new article 90 minutes ago, in the middle of the window.
    let at = now - TimeDelta::minutes(90) + TimeDelta::seconds(30);
    let record = serde_json::json!({
        "id": "parts-new", "url": url(99_999), "title": "Nouvelle dépêche",
        "section": "Maroc", "published_at": at.to_rfc3339(),
    });
    assert_eq!(server.put(&record).status, 201);
    let after = support::etags(&server, &paths);
    let changed: BTreeSet<&str> = paths
        .iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(String::as_str)
        .collect();
    let hour = format!("/news-sitemaps/{}.xml", at.format("%Y-%m-%dT%H"));
    let day = support::day_sitemap(at);
    // The indexes keep their bytes: neither file's newest update moved (the
    // newest article of that day and of that hour is a minute old).
    let want: BTreeSet<&str> = [hour.as_str(), &day].into();
    assert_eq!(changed, want);

    // An article at the URL of one ten hours older, under another id: each URL
    // once over the news sitemap and once per month.
    let twin = serde_json::json!({
        "id": "parts-twin", "url": url(600), "title": "Dépêche reprise",
        "section": "Maroc", "published_at": (now - TimeDelta::minutes(5)).to_rfc3339(),
    });
    assert_eq!(server.put(&twin).status, 201);
    let files = sitemap_files(&server);
    let report = news_rules::check(&files, &site(&server), now);
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(
        report.urls.len(),
        1_200 + 1,
        "every article once, the twin's URL once"
    );
    let month_urls: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.starts_with("sitemaps/2026-11"))
        .flat_map(|(_, body)| support::locs(std::str::from_utf8(body).expect("UTF-8")))
        .collect();
    let distinct: BTreeSet<&String> = month_urls.iter().collect();
    assert_eq!(distinct.len(), month_urls.len(), "a URL twice in November");
    assert!(month_urls.contains(&url(600)));

    // The twin gone, the older article at that URL is listed again.
    assert_eq!(
        server.api("DELETE", "/api/articles/parts-twin", b"").status,
        200
    );
    let files = sitemap_files(&server);
    let report = news_rules::check(&files, &site(&server), now);
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(report.urls.contains(&url(600)));
    assert_eq!(report.urls.len(), 1_201);
}

/// The news URLs served, and the news parts listed by the index.
fn news_now(server: &Server) -> (Vec<String>, Vec<String>) {
    let files = sitemap_files(server);
    let parts: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.starts_with("news-sitemaps/"))
        .map(|(p, _)| format!("/{p}"))
        .collect();
    let report = news_rules::check(&files, &site(server), server.clock().now());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    (report.urls, parts)
}

#[test]
fn time_alone_drops_the_hours_that_leave_the_window_part_by_part() {
    let server = start(1_200);
    let now = support::samples_as_of();
    let (urls, parts) = news_now(&server);
    assert_eq!(urls.len(), 1_200);
    let paths: BTreeSet<String> = parts.iter().cloned().collect();
    let before = support::etags(&server, &paths);
    // The oldest article (1,200 minutes ago) leaves the window, no write made.
    let oldest = now - TimeDelta::minutes(1_200);
    server
        .clock()
        .set(oldest + TimeDelta::hours(48) + TimeDelta::seconds(1));
    let gone = url(1_199);
    support::wait_for(
        "the oldest article to leave",
        Duration::from_secs(10),
        || {
            let text = server.text("/news-sitemap.xml");
            let index = support::locs(&text);
            let shown = index.iter().any(|part| {
                let path = part
                    .strip_prefix(support::PUBLIC_URL)
                    .expect("a served URL");
                server.text(&format!("/{path}")).contains(&gone)
            });
            (!shown).then_some(())
        },
    );
    let (urls, parts) = news_now(&server);
    assert_eq!(urls.len(), 1_199);
    assert!(!urls.contains(&gone));
    // Only the part of the oldest hour changed; the others kept their ETags.
    let after = support::etags(&server, &paths);
    let changed: Vec<&String> = paths.iter().filter(|p| before[*p] != after[*p]).collect();
    let hour = format!("/news-sitemaps/{}.xml", oldest.format("%Y-%m-%dT%H"));
    assert_eq!(changed, [&hour]);
    assert_eq!(parts.len(), paths.len(), "its hour still has articles");
    // Four hours later fewer than 1,000 remain: one file again, the parts gone;
    // the day files still list every article.
    server
        .clock()
        .set(oldest + TimeDelta::hours(52) + TimeDelta::seconds(1));
    let text = support::wait_for("a single news file", Duration::from_secs(10), || {
        let text = server.text("/news-sitemap.xml");
        (!common::is_sitemap_index(text.as_bytes())).then_some(text)
    });
    // Those of the first 241 minutes of the 1,200 left (published to the cutoff).
    assert_eq!(support::locs(&text).len(), 1_200 - 241);
    for part in &paths {
        assert_eq!(server.get(part).status, 404, "{part}");
    }
    let day_urls: usize = support::locs(&server.text("/sitemap.xml"))
        .iter()
        .map(|loc| loc.strip_prefix(support::PUBLIC_URL).expect("a served URL"))
        .map(|path| support::locs(&server.text(&format!("/{path}"))).len())
        .sum();
    assert_eq!(day_urls, 1_200 + 40);
}

#[test]
fn a_deletion_raises_the_last_modified_of_its_day_only() {
    let server = start(1_200);
    let now = support::samples_as_of();
    let days: BTreeSet<String> = support::locs(&server.text("/sitemap.xml"))
        .iter()
        .map(|loc| loc.strip_prefix(support::PUBLIC_URL).expect("a served URL"))
        .map(|path| format!("/{path}"))
        .collect();
    assert!(days.len() > 30, "{days:?}");
    let before = support::etags(&server, &days);
    // "part-00600", 601 minutes before now, on a day of many articles.
    let day = support::day_sitemap(now - TimeDelta::minutes(601));
    let modified = server.get(&day).must("last-modified").to_owned();
    assert_eq!(
        server.api("DELETE", "/api/articles/part-00600", b"").status,
        200
    );
    assert!(!server.text(&day).contains(&url(600)));
    let after = support::etags(&server, &days);
    let changed: Vec<&String> = days.iter().filter(|p| before[*p] != after[*p]).collect();
    assert_eq!(
        changed,
        [&day],
        "the other days of the month keep their bytes"
    );
    let raised = server.get(&day).must("last-modified").to_owned();
    let time = |t: &str| DateTime::parse_from_rfc2822(t).expect("an HTTP date");
    assert!(time(&raised) > time(&modified), "{modified} → {raised}");
}
