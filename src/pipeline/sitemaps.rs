//! The sitemap files the pipeline rendered, kept between passes.
//!
//! The sitemap index lists every month's files, robots.txt names the indexes
//! that exist, and the news sitemap skips assembling a part whose fingerprint
//! it rendered before. All three are made from this record, which the pipeline
//! keeps as its units render (a failed unit keeps its entry, as publishing
//! keeps its documents): data flows one way, nothing is read back from publish.

use crate::config::Site;
use crate::index::Unit;
use crate::render::{self, Document, RenderError, SitemapRef, paths};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// One file a sitemap unit rendered.
#[derive(Debug, Clone)]
struct File {
    path: String,
    last_modified: Option<DateTime<Utc>>,
    fingerprint: Option<String>,
}

/// A file the sitemap index lists, and its `<sitemap>` element once rendered.
#[derive(Debug)]
struct Listed {
    lastmod: Option<DateTime<Utc>>,
    element: OnceLock<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Record {
    units: HashMap<Unit, Vec<File>>,
    /// Every month's files by path: what the sitemap index lists.
    listed: BTreeMap<String, Listed>,
    /// The public URL the kept elements were rendered under.
    base: String,
}

impl Record {
    fn put(&mut self, unit: Unit, files: Vec<File>) {
        let old = match files.is_empty() {
            true => self.units.remove(&unit),
            false => self.units.insert(unit, files),
        };
        if !matches!(unit, Unit::Month(_)) {
            return;
        }
        let mut gone: HashMap<String, Listed> = old
            .iter()
            .flatten()
            .filter_map(|f| self.listed.remove_entry(&f.path))
            .collect();
        for file in self.units.get(&unit).into_iter().flatten() {
            // An element kept while its file's lastmod holds.
            let listed = match gone.remove(&file.path) {
                Some(l) if l.lastmod == file.last_modified => l,
                _ => Listed {
                    lastmod: file.last_modified,
                    element: OnceLock::new(),
                },
            };
            self.listed.insert(file.path.clone(), listed);
        }
    }
}

/// The files of each month, of the sitemap index and of the news sitemap, as
/// last rendered.
#[derive(Debug, Default)]
pub(crate) struct SitemapFiles {
    record: Mutex<Record>,
}

impl SitemapFiles {
    fn lock(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what `unit` rendered (other units are not sitemaps: ignored).
    pub(crate) fn record(&self, unit: Unit, docs: &[Document]) {
        if !matches!(unit, Unit::Month(_) | Unit::SitemapIndex | Unit::News) {
            return;
        }
        let files: Vec<File> = docs
            .iter()
            .map(|d| File {
                path: d.path.clone(),
                last_modified: d.last_modified,
                fingerprint: d.fingerprint.clone(),
            })
            .collect();
        self.lock().put(unit, files);
    }

    /// Records the files a unit rendered in an earlier process (path,
    /// `Last-Modified`, fingerprint), as a manifest of the mirror lists them.
    pub(crate) fn restore(
        &self,
        unit: Unit,
        files: impl IntoIterator<Item = (String, Option<DateTime<Utc>>, Option<String>)>,
    ) {
        let files = files
            .into_iter()
            .map(|(path, last_modified, fingerprint)| File {
                path,
                last_modified,
                fingerprint,
            })
            .collect();
        self.lock().put(unit, files);
    }

    /// Every month's files, sorted by path: what the sitemap index lists.
    #[cfg(test)]
    fn months(&self) -> Vec<SitemapRef> {
        let record = self.lock();
        let refs = record.listed.iter().map(|(path, listed)| SitemapRef {
            path: path.clone(),
            lastmod: listed.lastmod,
        });
        refs.collect()
    }

    /// `sitemap.xml` over every month's files (none without any): their
    /// `<sitemap>` elements are rendered once and kept, so that a change costs
    /// concatenating them, not rendering thousands of days again.
    pub(crate) fn sitemap_index(&self, site: &Site) -> Result<Option<Document>, RenderError> {
        let mut record = self.lock();
        if record.base != site.public_url.as_str() {
            record.base = site.public_url.to_string();
            record
                .listed
                .values_mut()
                .for_each(|l| l.element = OnceLock::new());
        }
        if record.listed.is_empty() {
            return Ok(None);
        }
        let mut elements = Vec::with_capacity(record.listed.len());
        for (path, listed) in &record.listed {
            if listed.element.get().is_none() {
                let lastmod = listed.lastmod;
                let sitemap = SitemapRef {
                    path: path.clone(),
                    lastmod,
                };
                let _ = listed.element.set(render::index_entry(site, &sitemap)?);
            }
            elements.push(listed.element.get().map_or(&[][..], Vec::as_slice));
        }
        let last_modified = record.listed.values().filter_map(|l| l.lastmod).max();
        let path = paths::SITEMAP_INDEX;
        let index = render::sitemap_index_from(path, elements.into_iter(), last_modified);
        Ok(Some(index))
    }

    /// Whether `unit` rendered a file at `path`.
    pub(crate) fn has(&self, unit: Unit, path: &str) -> bool {
        self.lock()
            .units
            .get(&unit)
            .is_some_and(|files| files.iter().any(|f| f.path == path))
    }

    /// The Last-Modified of the file `unit` rendered at `path`, if it had one.
    pub(crate) fn last_modified(&self, unit: Unit, path: &str) -> Option<DateTime<Utc>> {
        let record = self.lock();
        let files = record.units.get(&unit)?;
        files.iter().find(|f| f.path == path)?.last_modified
    }

    /// The fingerprint of the file `unit` rendered at `path`, if it had one.
    pub(crate) fn fingerprint(&self, unit: Unit, path: &str) -> Option<String> {
        let record = self.lock();
        let file = record.units.get(&unit)?.iter().find(|f| f.path == path)?;
        file.fingerprint.clone()
    }

    /// The files `unit` rendered at `paths`, as [`Document::unchanged`]
    /// documents; `None` unless every one was rendered with a fingerprint.
    pub(crate) fn unchanged(&self, unit: Unit, paths: &[String]) -> Option<Vec<Document>> {
        let record = self.lock();
        let files = record.units.get(&unit)?;
        let of = |path: &String| {
            let file = files.iter().find(|f| &f.path == path)?;
            let fingerprint = file.fingerprint.clone()?;
            let kind = render::DocKind::Sitemap;
            Some(Document::unchanged(
                path.clone(),
                kind,
                file.last_modified,
                fingerprint,
            ))
        };
        paths.iter().map(of).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Month;
    use crate::render::DocKind;

    fn doc(path: &str, fingerprint: Option<&str>) -> Document {
        Document {
            path: path.into(),
            kind: DocKind::Sitemap,
            body: b"x".to_vec(),
            last_modified: None,
            fingerprint: fingerprint.map(str::to_owned),
            long_cache: false,
        }
    }

    #[test]
    fn lists_months_by_path_and_forgets_a_unit_that_renders_nothing() {
        let files = SitemapFiles::default();
        let (nov, oct) = (Unit::Month(Month(202611)), Unit::Month(Month(202610)));
        files.record(
            nov,
            &[
                doc("sitemaps/2026-11-29.xml", None),
                doc("sitemaps/2026-11-29-2.xml", None),
            ],
        );
        files.record(oct, &[doc("sitemaps/2026-10-15.xml", None)]);
        let paths: Vec<String> = files.months().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                "sitemaps/2026-10-15.xml",
                "sitemaps/2026-11-29-2.xml",
                "sitemaps/2026-11-29.xml"
            ]
        );
        files.record(oct, &[]);
        assert_eq!(files.months().len(), 2);
    }

    #[test]
    fn answers_fingerprints_and_presence_per_unit() {
        let files = SitemapFiles::default();
        files.record(Unit::News, &[doc("news-sitemap.xml", Some("f1"))]);
        assert_eq!(
            files.fingerprint(Unit::News, "news-sitemap.xml").as_deref(),
            Some("f1")
        );
        assert!(files.has(Unit::News, "news-sitemap.xml"));
        assert!(!files.has(Unit::SitemapIndex, "sitemap.xml"));
        files.record(Unit::Robots, &[doc("robots.txt", None)]);
        assert!(!files.has(Unit::Robots, "robots.txt"));
    }
}
