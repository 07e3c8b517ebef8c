//! The Google News sitemap: articles first published in the last 48 hours, with
//! exactly Google's elements. Over 1,000 URLs, `news-sitemap.xml` becomes an
//! index over parts by hour of publication, `news-sitemaps/2026-11-29T16.xml`
//! (`…T16-2.xml` and on for an hour of more than 1,000).

use super::sitemap::{
    SITEMAP_NS, SitemapRef, UrlEntry, indent, part_path, sitemap_index, split_into_files,
};
use super::xml::{self, text_element};
use super::{Document, PreviousFingerprint, RenderError, paths, w3c_time};
use crate::config::Site;
use crate::model::LinkRow;
use chrono::{DateTime, Utc};

const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
/// Most `<url>` elements Google accepts in one news sitemap.
pub(crate) const MAX_NEWS_URLS: usize = 1000;

/// The news sitemap document(s) for these rows (newest first). No rows, no
/// document: an empty `<urlset>` is invalid and Google rejects it.
pub fn news_sitemap(site: &Site, rows: &[LinkRow]) -> Result<Vec<Document>, RenderError> {
    let entries = rows
        .iter()
        .map(|r| news_entry(site, r))
        .collect::<Result<Vec<_>, _>>()?;
    news_sitemap_from(site, &entries.iter().collect::<Vec<_>>(), &|_| None, None)
}

/// The `<url>` entry of an article in the news sitemap.
pub fn news_entry(site: &Site, row: &LinkRow) -> Result<UrlEntry, RenderError> {
    let mut w = xml::writer(512);
    let written = w.create_element("url").write_inner_content(|w| {
        text_element(w, "loc", &row.url)?;
        w.create_element("news:news").write_inner_content(|w| {
            w.create_element("news:publication")
                .write_inner_content(|w| {
                    text_element(w, "news:name", &site.publication_name)?;
                    text_element(
                        w,
                        "news:language",
                        &news_language(row.language.as_deref(), &site.language),
                    )
                })?;
            text_element(w, "news:publication_date", &w3c_time(row.published_at))?;
            text_element(w, "news:title", &row.title)
        })?;
        Ok(())
    });
    written.map_err(|e| RenderError::Xml {
        path: format!("news entry {}", row.url),
        message: e.to_string(),
    })?;
    Ok(UrlEntry::new(&row.url, indent(&w.into_inner()), row))
}

/// The news sitemap from rendered entries (newest first): one file up to 1,000
/// URLs, else parts by hour of publication (of at most 1,000) under an index.
/// Parts whose fingerprint `published` says was rendered before are not
/// assembled again.
pub fn news_sitemap_from(
    site: &Site,
    entries: &[&UrlEntry],
    published: PreviousFingerprint,
    floor: Option<DateTime<Utc>>,
) -> Result<Vec<Document>, RenderError> {
    let entries = &super::sitemap::distinct_urls(entries)[..];
    if entries.len() <= MAX_NEWS_URLS {
        let path = |_| paths::NEWS_SITEMAP.to_owned();
        return Ok(split_into_files(
            &news_open(),
            entries,
            MAX_NEWS_URLS,
            path,
            published,
            floor,
        ));
    }
    // Parts by hour of publication, so that a new article changes the part of
    // its hour, not every part after it (an hour past 1,000 URLs is split).
    let mut docs = Vec::new();
    for hour in entries.chunk_by(|a, b| hour_of(a) == hour_of(b)) {
        docs.extend(news_hour_parts(hour_of(hour[0]) * 3600, hour, published));
    }
    docs.push(news_index(site, &docs, floor)?);
    Ok(docs)
}

/// The parts of the news sitemap for the articles first published in the UTC
/// hour starting at `hour` (UNIX time), from rendered entries (newest first,
/// each URL once): `news-sitemaps/2026-11-29T16.xml`, then `…T16-2.xml` past
/// 1,000. Parts whose fingerprint `published` says was rendered before are not
/// assembled again.
pub(crate) fn news_hour_parts(
    hour: i64,
    entries: &[&UrlEntry],
    published: PreviousFingerprint,
) -> Vec<Document> {
    let label = DateTime::from_timestamp(hour, 0).unwrap_or_default();
    let base = format!("news-sitemaps/{}", label.format("%Y-%m-%dT%H"));
    let path = |i| part_path(&base, i);
    split_into_files(&news_open(), entries, MAX_NEWS_URLS, path, published, None)
}

/// `news-sitemap.xml` as the index of `parts` (newest hour first); its
/// Last-Modified never below `floor`.
pub(crate) fn news_index(
    site: &Site,
    parts: &[Document],
    floor: Option<DateTime<Utc>>,
) -> Result<Document, RenderError> {
    let refs: Vec<SitemapRef> = parts
        .iter()
        .map(|d| SitemapRef {
            path: d.path.clone(),
            lastmod: d.last_modified,
        })
        .collect();
    let mut index = sitemap_index(site, paths::NEWS_SITEMAP, &refs)?;
    index.last_modified = index.last_modified.max(floor);
    Ok(index)
}

fn news_open() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{SITEMAP_NS}\" xmlns:news=\"{NEWS_NS}\">"
    )
}

/// The UTC hour an entry was first published in (hours since 1970).
fn hour_of(entry: &UrlEntry) -> i64 {
    entry.published.timestamp().div_euclid(3600)
}

/// Google's language code: the ISO 639 code of the BCP 47 tag, except `zh-cn` and
/// `zh-tw`.
pub(crate) fn news_language(article: Option<&str>, site: &str) -> String {
    let tag = article.unwrap_or(site).to_ascii_lowercase();
    match tag.as_str() {
        "zh-cn" | "zh-hans" | "zh-hans-cn" => "zh-cn".into(),
        "zh-tw" | "zh-hant" | "zh-hant-tw" => "zh-tw".into(),
        other => other.split('-').next().unwrap_or("en").to_owned(),
    }
}
