//! The Google News sitemap: articles first published in the last 48 hours, with
//! exactly Google's elements. Over 1,000 URLs, `news-sitemap.xml` becomes an
//! index over `news-sitemaps/N.xml` parts.

use super::sitemap::{SITEMAP_NS, SitemapRef, write_index};
use super::xml::{self, text_element};
use super::{DocKind, Document, RenderError, paths, w3c_time};
use crate::config::Site;
use crate::model::LinkRow;
use quick_xml::events::{BytesEnd, BytesStart, Event};

const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
/// Most `<url>` elements Google accepts in one news sitemap.
pub const MAX_NEWS_URLS: usize = 1000;

/// The news sitemap document(s) for these rows (newest first). No rows, no
/// document: an empty `<urlset>` is invalid and Google rejects it.
pub fn news_sitemap(site: &Site, rows: &[LinkRow]) -> Result<Vec<Document>, RenderError> {
    if rows.len() <= MAX_NEWS_URLS {
        return Ok(rows_document(site, paths::NEWS_SITEMAP, rows)?
            .into_iter()
            .collect());
    }
    let mut docs = Vec::new();
    for (i, chunk) in rows.chunks(MAX_NEWS_URLS).enumerate() {
        docs.extend(rows_document(
            site,
            &format!("news-sitemaps/{}.xml", i + 1),
            chunk,
        )?);
    }
    let refs: Vec<SitemapRef> = docs
        .iter()
        .map(|d| SitemapRef {
            path: d.path.clone(),
            lastmod: d.last_modified,
        })
        .collect();
    let body = xml::document(paths::NEWS_SITEMAP, |w| write_index(w, site, &refs))?;
    let last_modified = refs.iter().filter_map(|r| r.lastmod).max();
    docs.push(Document {
        path: paths::NEWS_SITEMAP.into(),
        kind: DocKind::Sitemap,
        body,
        last_modified,
    });
    Ok(docs)
}

fn rows_document(
    site: &Site,
    path: &str,
    rows: &[LinkRow],
) -> Result<Option<Document>, RenderError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let body = xml::document(path, |w| {
        let start = BytesStart::new("urlset")
            .with_attributes([("xmlns", SITEMAP_NS), ("xmlns:news", NEWS_NS)]);
        w.write_event(Event::Start(start))?;
        for row in rows {
            w.create_element("url").write_inner_content(|w| {
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
            })?;
        }
        w.write_event(Event::End(BytesEnd::new("urlset")))
    })?;
    let last_modified = rows.iter().map(|r| r.updated_at).max();
    Ok(Some(Document {
        path: path.to_owned(),
        kind: DocKind::Sitemap,
        body,
        last_modified,
    }))
}

/// Google's language code: the ISO 639 code of the BCP 47 tag, except `zh-cn` and
/// `zh-tw`.
pub fn news_language(article: Option<&str>, site: &str) -> String {
    let tag = article.unwrap_or(site).to_ascii_lowercase();
    match tag.as_str() {
        "zh-cn" | "zh-hans" | "zh-hans-cn" => "zh-cn".into(),
        "zh-tw" | "zh-hant" | "zh-hant-tw" => "zh-tw".into(),
        other => other.split('-').next().unwrap_or("en").to_owned(),
    }
}
