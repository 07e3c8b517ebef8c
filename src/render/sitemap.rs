//! Sitemaps (sitemaps.org 0.9 with the Google image extension): one file per
//! UTC day of first publication, split at 50,000 URLs or 50 MB, and the index.

use super::xml::{self, text_element};
use super::{DocKind, Document, PreviousFingerprint, RenderError, paths, w3c_time};
use crate::config::Site;
use crate::model::LinkRow;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::HashSet;

/// Namespace of sitemaps and sitemap indexes.
pub(crate) const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const IMAGE_NS: &str = "http://www.google.com/schemas/sitemap-image/1.1";
/// Most URLs in one sitemap file (sitemaps.org).
pub(crate) const MAX_URLS: usize = 50_000;
/// Largest uncompressed sitemap file (sitemaps.org: 50 MiB).
pub(crate) const MAX_BYTES: usize = 50 * 1024 * 1024;

/// A sitemap as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapRef {
    /// Path of the sitemap file.
    pub path: String,
    /// Newest `lastmod` in it.
    pub lastmod: Option<DateTime<Utc>>,
}

/// One `<url>` element rendered on its own, with its `lastmod`: a sitemap file is
/// a header, entries and a footer, so an entry can be kept and reused while its
/// article does not change.
#[derive(Debug, Clone)]
pub struct UrlEntry {
    /// The element, on its own line, indented to sit inside `<urlset>`.
    pub(crate) xml: Vec<u8>,
    /// When the article last changed.
    pub(crate) updated: DateTime<Utc>,
    /// When it was first published (news sitemap parts are by hour of it).
    pub(crate) published: DateTime<Utc>,
    /// A hash of `xml`: a file's fingerprint hashes these, not megabytes of XML.
    pub(crate) fingerprint: [u8; 16],
    /// A hash of the URL: two articles at one URL are listed once.
    url_key: u64,
}

impl UrlEntry {
    /// An entry of these bytes.
    pub(crate) fn new(url: &str, xml: Vec<u8>, row: &LinkRow) -> UrlEntry {
        let hash = blake3::hash(&xml);
        let mut fingerprint = [0; 16];
        fingerprint.copy_from_slice(&hash.as_bytes()[..16]);
        let mut url_key = [0; 8];
        url_key.copy_from_slice(&blake3::hash(url.as_bytes()).as_bytes()[..8]);
        UrlEntry {
            xml,
            updated: row.updated_at,
            published: row.published_at,
            fingerprint,
            url_key: u64::from_le_bytes(url_key),
        }
    }
}

/// `entries` (newest first) with each URL once, the newest entry kept: two
/// articles at one URL (a record imported again under another id) must not
/// list it twice, which sitemap readers reject.
pub(crate) fn distinct_urls<'a, 'e>(entries: &'a [&'e UrlEntry]) -> Cow<'a, [&'e UrlEntry]> {
    let mut seen = HashSet::with_capacity(entries.len());
    if entries.iter().all(|e| seen.insert(e.url_key)) {
        return Cow::Borrowed(entries);
    }
    seen.clear();
    Cow::Owned(
        entries
            .iter()
            .copied()
            .filter(|e| seen.insert(e.url_key))
            .collect(),
    )
}

/// The sitemap files of a month's rows (newest first): one file per UTC day of
/// first publication (see [`day_sitemaps`]), each URL once over the month.
pub fn sitemaps_by_day(rows: &[LinkRow]) -> Result<Vec<Document>, RenderError> {
    let entries = rows
        .iter()
        .map(month_entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sitemaps_by_day_from(
        &entries.iter().collect::<Vec<_>>(),
        &|_| None,
    ))
}

/// [`sitemaps_by_day`] from rendered entries (newest first); `floor` gives
/// each day's (by its first second) floor for Last-Modified.
pub(crate) fn sitemaps_by_day_from(
    entries: &[&UrlEntry],
    floor: &dyn Fn(i64) -> Option<DateTime<Utc>>,
) -> Vec<Document> {
    let entries = distinct_urls(entries);
    let day = |e: &&UrlEntry| e.published.timestamp().div_euclid(DAY) * DAY;
    entries
        .chunk_by(|a, b| day(a) == day(b))
        .flat_map(|of_day| {
            let start = day(&of_day[0]);
            day_sitemaps(start, of_day, floor(start))
        })
        .collect()
}

const DAY: i64 = 24 * 3600;

/// The `<url>` entry of an article in its month's sitemap.
pub(crate) fn month_entry(row: &LinkRow) -> Result<UrlEntry, RenderError> {
    let xml = url_entry(row).map_err(|e| RenderError::Xml {
        path: format!("sitemap entry {}", row.url),
        message: e.to_string(),
    })?;
    Ok(UrlEntry::new(&row.url, xml, row))
}

/// The sitemap files of the articles first published on the UTC day starting at
/// `day` (UNIX time), from rendered entries (newest first), split at the limits:
/// `sitemaps/2026-11-29.xml`, then `…-2.xml` and on. A file's URL names its day
/// for good: a change to an article rewrites its day's file, no other. The
/// entries' URLs must be distinct (see [`distinct_urls`]).
pub(crate) fn day_sitemaps(
    day: i64,
    entries: &[&UrlEntry],
    floor: Option<DateTime<Utc>>,
) -> Vec<Document> {
    let label = DateTime::from_timestamp(day, 0).unwrap_or_default();
    let base = format!("sitemaps/{}", label.format("%Y-%m-%d"));
    let open = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{SITEMAP_NS}\" xmlns:image=\"{IMAGE_NS}\">"
    );
    split_into_files(
        &open,
        entries,
        MAX_URLS,
        |i| part_path(&base, i),
        &|_| None,
        floor,
    )
}

/// Concatenates entries into files of at most `max_urls` entries and 50 MB each.
/// A file whose fingerprint `published` says was rendered before is not
/// assembled again (see [`Document::unchanged`]).
pub(crate) fn split_into_files(
    open: &str,
    entries: &[&UrlEntry],
    max_urls: usize,
    path: impl Fn(usize) -> String,
    published: PreviousFingerprint,
    floor: Option<DateTime<Utc>>,
) -> Vec<Document> {
    let close = "\n</urlset>\n";
    let mut docs = Vec::new();
    let mut start = 0;
    let mut bytes = open.len() + close.len();
    for (i, entry) in entries.iter().enumerate() {
        if i - start == max_urls || bytes + entry.xml.len() > MAX_BYTES {
            docs.push(part(
                open,
                close,
                &entries[start..i],
                path(docs.len()),
                published,
                floor,
            ));
            (start, bytes) = (i, open.len() + close.len());
        }
        bytes += entry.xml.len();
    }
    if start < entries.len() {
        docs.push(part(
            open,
            close,
            &entries[start..],
            path(docs.len()),
            published,
            floor,
        ));
    }
    docs
}

/// One file of entries: its fingerprint first (hashes of the entries), then
/// the bytes, unless that fingerprint was rendered before under `path`. Its
/// Last-Modified is the newest entry's update, never below `floor` (the last
/// removal from the file: see `Index::change_time`), and is part of the
/// fingerprint, so a file said unchanged carries the published validators.
fn part(
    open: &str,
    close: &str,
    entries: &[&UrlEntry],
    path: String,
    published: PreviousFingerprint,
    floor: Option<DateTime<Utc>>,
) -> Document {
    let last_modified = entries.iter().map(|e| e.updated).max().max(floor);
    // One buffer hashed at once (BLAKE3 then works on many chunks in parallel
    // lanes); the same hash as feeding the pieces one by one, several times faster.
    let mut hashed = Vec::with_capacity(open.len() + 16 * entries.len() + close.len() + 12);
    hashed.extend_from_slice(open.as_bytes());
    entries
        .iter()
        .for_each(|e| hashed.extend_from_slice(&e.fingerprint));
    hashed.extend_from_slice(close.as_bytes());
    // Last-Modified too: a news entry does not show its update time, so an edit
    // can move Last-Modified without changing a byte, and a document said
    // unchanged must be the published one, validators included.
    let (secs, nanos) = last_modified.map_or((i64::MIN, 0), |t| {
        (t.timestamp(), t.timestamp_subsec_nanos())
    });
    hashed.extend_from_slice(&secs.to_le_bytes());
    hashed.extend_from_slice(&nanos.to_le_bytes());
    let fingerprint = blake3::hash(&hashed).to_hex()[..24].to_owned();
    if published(&path).as_deref() == Some(fingerprint.as_str()) {
        return Document::unchanged(path, DocKind::Sitemap, last_modified, fingerprint);
    }
    let size = open.len() + close.len() + entries.iter().map(|e| e.xml.len()).sum::<usize>();
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(open.as_bytes());
    entries.iter().for_each(|e| body.extend_from_slice(&e.xml));
    body.extend_from_slice(close.as_bytes());
    Document {
        path,
        kind: DocKind::Sitemap,
        body,
        last_modified,
        fingerprint: Some(fingerprint),
        long_cache: false,
    }
}

pub(super) fn part_path(base: &str, index: usize) -> String {
    match index {
        0 => format!("{base}.xml"),
        n => format!("{base}-{}.xml", n + 1),
    }
}

/// One `<url>` element, indented to sit inside `<urlset>`.
fn url_entry(row: &LinkRow) -> std::io::Result<Vec<u8>> {
    let mut w = xml::writer(512);
    w.create_element("url").write_inner_content(|w| {
        text_element(w, "loc", &row.url)?;
        text_element(w, "lastmod", &w3c_time(row.updated_at))?;
        if let Some(image) = &row.image_url {
            w.create_element("image:image")
                .write_inner_content(|w| text_element(w, "image:loc", image))?;
        }
        Ok(())
    })?;
    let inner = w.into_inner();
    // On its own line, nested one level: the writer starts at column 0.
    Ok(indent(&inner))
}

/// Puts an element rendered at column 0 on its own line, one level in.
pub(super) fn indent(xml: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(xml.len() + 64);
    out.extend_from_slice(b"\n  ");
    for &b in xml {
        out.push(b);
        if b == b'\n' {
            out.extend_from_slice(b"  ");
        }
    }
    out
}

/// `sitemap.xml`: a `<sitemapindex>` over the given sitemaps.
pub fn sitemap_index(
    site: &Site,
    path: &str,
    sitemaps: &[SitemapRef],
) -> Result<Document, RenderError> {
    let elements = sitemaps
        .iter()
        .map(|s| index_entry(site, s))
        .collect::<Result<Vec<_>, _>>()?;
    let last_modified = sitemaps.iter().filter_map(|s| s.lastmod).max();
    Ok(sitemap_index_from(
        path,
        elements.iter().map(Vec::as_slice),
        last_modified,
    ))
}

/// One `<sitemap>` element of a sitemap index, on its own line, one level in:
/// an index is a header, these and a footer, so they can be kept and reused.
pub(crate) fn index_entry(site: &Site, sitemap: &SitemapRef) -> Result<Vec<u8>, RenderError> {
    let mut w = xml::writer(160);
    let written = w.create_element("sitemap").write_inner_content(|w| {
        text_element(w, "loc", &paths::url(site, &sitemap.path))?;
        if let Some(t) = sitemap.lastmod {
            text_element(w, "lastmod", &w3c_time(t))?;
        }
        Ok(())
    });
    written.map_err(|e| RenderError::Xml {
        path: format!("sitemap index entry {}", sitemap.path),
        message: e.to_string(),
    })?;
    Ok(indent(&w.into_inner()))
}

/// A `<sitemapindex>` of elements made by [`index_entry`], in that order.
pub(crate) fn sitemap_index_from<'a>(
    path: &str,
    elements: impl Iterator<Item = &'a [u8]>,
    last_modified: Option<DateTime<Utc>>,
) -> Document {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{SITEMAP_NS}\">"
    )
    .into_bytes();
    elements.for_each(|e| body.extend_from_slice(e));
    body.extend_from_slice(b"\n</sitemapindex>\n");
    Document {
        path: path.to_owned(),
        kind: DocKind::Sitemap,
        body,
        last_modified,
        fingerprint: None,
        long_cache: false,
    }
}
