//! Google News' rules on a build's news sitemap, checked in Rust (the 2010 XSD
//! allows what Google has since dropped): at most 1,000 `<url>` per file, exactly
//! Google's elements under `news:news`, a publication date within 48 hours of the
//! build, each URL once, and an index that lists exactly the parts built.

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashSet;
use syndic::config::Site;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

fn elements<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.is_element()).collect()
}

fn names(nodes: &[roxmltree::Node]) -> Vec<(String, String)> {
    nodes
        .iter()
        .map(|n| {
            let ns = n.tag_name().namespace().unwrap_or("");
            (ns.to_owned(), n.tag_name().name().to_owned())
        })
        .collect()
}

fn qualified(ns: &str, names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| (ns.to_owned(), (*n).to_owned()))
        .collect()
}

/// What Google News' rules found in a build's news sitemap.
#[derive(Debug, Default)]
pub struct NewsReport {
    /// Files checked (`news-sitemap.xml` and the parts it lists).
    pub files: usize,
    /// The URLs listed, in order.
    pub urls: Vec<String>,
    /// One line per problem.
    pub failures: Vec<String>,
}

/// Google News rules on the news sitemap among `docs` (path, body): at most 1,000
/// `<url>` per file, exactly Google's elements under `news:news`, a publication
/// date within 48 hours of `now`, each URL once; the index lists exactly the parts.
pub fn check(docs: &[(String, Vec<u8>)], site: &Site, now: DateTime<Utc>) -> NewsReport {
    let mut report = NewsReport::default();
    let get = |path: &str| docs.iter().find(|(p, _)| p == path).map(|(_, b)| b);
    let Some(root_body) = get("news-sitemap.xml") else {
        return report;
    };
    let mut files = Vec::new();
    let root_text = std::str::from_utf8(root_body).expect("UTF-8");
    let root = roxmltree::Document::parse(root_text).expect("news-sitemap.xml parses");
    let is_index = root.root_element().tag_name().name() == "sitemapindex";
    if is_index {
        for sitemap in elements(root.root_element()) {
            let loc = sitemap
                .children()
                .find(|n| n.has_tag_name((SITEMAP_NS, "loc")))
                .and_then(|n| n.text())
                .unwrap_or("");
            match loc.strip_prefix(site.public_url.as_str()) {
                Some(path) if path.starts_with("news-sitemaps/") => files.push(path.to_owned()),
                _ => report
                    .failures
                    .push(format!("news-sitemap.xml: {loc:?} is not a part")),
            }
        }
        let built = docs
            .iter()
            .filter(|(p, _)| p.starts_with("news-sitemaps/"))
            .count();
        if built != files.len() {
            report.failures.push(format!(
                "news-sitemap.xml: lists {} parts, {built} built",
                files.len()
            ));
        }
    } else {
        files.push("news-sitemap.xml".to_owned());
    }
    for path in &files {
        match get(path) {
            Some(body) => news_file(path, body, site, now, &mut report),
            None => report
                .failures
                .push(format!("{path}: listed but not built")),
        }
    }
    report.files = files.len() + usize::from(is_index);
    let distinct: HashSet<&String> = report.urls.iter().collect();
    if distinct.len() != report.urls.len() {
        report
            .failures
            .push("news-sitemap.xml: a URL is listed twice".into());
    }
    report
}

/// Google News rules on one `<urlset>` file.
fn news_file(path: &str, body: &[u8], site: &Site, now: DateTime<Utc>, report: &mut NewsReport) {
    let mut fail = |what: String| report.failures.push(format!("{path}: {what}"));
    let text = std::str::from_utf8(body).expect("UTF-8");
    let doc = match roxmltree::Document::parse(text) {
        Ok(d) => d,
        Err(e) => return fail(format!("does not parse: {e}")),
    };
    let urlset = doc.root_element();
    let urls = elements(urlset);
    if !urlset.has_tag_name((SITEMAP_NS, "urlset")) || urls.is_empty() || urls.len() > 1000 {
        return fail(format!("{} <url> in a urlset (1 to 1,000)", urls.len()));
    }
    let language = |l: &str| {
        l == "zh-cn"
            || l == "zh-tw"
            || ((2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()))
    };
    for url in urls {
        let children = elements(url);
        let expected = [
            qualified(SITEMAP_NS, &["loc"]),
            qualified(NEWS_NS, &["news"]),
        ]
        .concat();
        if !url.has_tag_name((SITEMAP_NS, "url")) || names(&children) != expected {
            fail(format!("<url> children {:?}", names(&children)));
            continue;
        }
        let loc = children[0].text().unwrap_or("").to_owned();
        let news = elements(children[1]);
        if names(&news) != qualified(NEWS_NS, &["publication", "publication_date", "title"]) {
            fail(format!(
                "{loc}: news:news may hold exactly publication, publication_date and title"
            ));
            continue;
        }
        let publication = elements(news[0]);
        let lang = publication.get(1).and_then(|n| n.text()).unwrap_or("");
        if names(&publication) != qualified(NEWS_NS, &["name", "language"])
            || publication[0].text() != Some(site.publication_name.as_str())
            || !language(lang)
        {
            fail(format!(
                "{loc}: news:publication {:?} {lang:?}",
                names(&publication)
            ));
        }
        let date = news[1].text().unwrap_or("");
        match DateTime::parse_from_rfc3339(date) {
            Ok(d) => {
                let age = now - d.with_timezone(&Utc);
                if age < TimeDelta::zero() || age > TimeDelta::hours(48) {
                    fail(format!(
                        "{loc}: published {date}, {age} before the build (max 48 h)"
                    ));
                }
            }
            Err(e) => fail(format!("{loc}: publication_date {date:?}: {e}")),
        }
        if news[2].text().is_none_or(|t| t.trim().is_empty()) {
            fail(format!("{loc}: empty news:title"));
        }
        report.urls.push(loc);
    }
}
