//! The sitemap files the pipeline rendered, kept between passes.
//!
//! The sitemap index lists every month's files, robots.txt names the indexes
//! that exist, and the news sitemap skips assembling a part whose fingerprint
//! it rendered before. All three are made from this record, which the pipeline
//! keeps as its units render (a failed unit keeps its entry, as publishing
//! keeps its documents): data flows one way, nothing is read back from publish.

use crate::index::Unit;
use crate::render::{Document, SitemapRef};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// One file a sitemap unit rendered.
#[derive(Debug, Clone)]
struct File {
    path: String,
    last_modified: Option<DateTime<Utc>>,
    fingerprint: Option<String>,
}

/// The files of each month, of the sitemap index and of the news sitemap, as
/// last rendered.
#[derive(Debug, Default)]
pub(crate) struct SitemapFiles {
    units: Mutex<HashMap<Unit, Vec<File>>>,
}

impl SitemapFiles {
    fn lock(&self) -> MutexGuard<'_, HashMap<Unit, Vec<File>>> {
        self.units.lock().unwrap_or_else(|p| p.into_inner())
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
        let mut units = self.lock();
        if files.is_empty() {
            units.remove(&unit);
        } else {
            units.insert(unit, files);
        }
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
        self.lock().insert(unit, files);
    }

    /// Every month's files, sorted by path: what the sitemap index lists.
    pub(crate) fn months(&self) -> Vec<SitemapRef> {
        let mut refs: Vec<SitemapRef> = self
            .lock()
            .iter()
            .filter(|(unit, _)| matches!(unit, Unit::Month(_)))
            .flat_map(|(_, files)| files)
            .map(|f| SitemapRef {
                path: f.path.clone(),
                lastmod: f.last_modified,
            })
            .collect();
        refs.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        refs
    }

    /// Whether `unit` rendered a file at `path`.
    pub(crate) fn has(&self, unit: Unit, path: &str) -> bool {
        self.lock()
            .get(&unit)
            .is_some_and(|files| files.iter().any(|f| f.path == path))
    }

    /// The Last-Modified of the file `unit` rendered at `path`, if it had one.
    pub(crate) fn last_modified(&self, unit: Unit, path: &str) -> Option<DateTime<Utc>> {
        let units = self.lock();
        units
            .get(&unit)?
            .iter()
            .find(|f| f.path == path)?
            .last_modified
    }

    /// The fingerprint of the file `unit` rendered at `path`, if it had one.
    pub(crate) fn fingerprint(&self, unit: Unit, path: &str) -> Option<String> {
        let units = self.lock();
        let file = units.get(&unit)?.iter().find(|f| f.path == path)?;
        file.fingerprint.clone()
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
                doc("sitemaps/2026-11.xml", None),
                doc("sitemaps/2026-11-2.xml", None),
            ],
        );
        files.record(oct, &[doc("sitemaps/2026-10.xml", None)]);
        let paths: Vec<String> = files.months().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                "sitemaps/2026-10.xml",
                "sitemaps/2026-11-2.xml",
                "sitemaps/2026-11.xml"
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
