//! Settings of optional features: `[archives]`.

use serde::Deserialize;

/// `[archives]`: RFC 5005 archive pages of every feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Archives {
    /// Whether feeds have archive pages.
    pub enabled: bool,
    /// Most articles on a month's page; a month with more gets a page per day,
    /// a day with more a page per hour.
    pub page_items: usize,
    /// `Cache-Control: max-age` of archive pages that have a newer page.
    pub cache_seconds: u32,
}

impl Default for Archives {
    fn default() -> Self {
        Archives {
            enabled: true,
            page_items: 100,
            cache_seconds: 86_400,
        }
    }
}

impl Archives {
    /// The index's page bound: 0 when archives are off.
    pub(crate) fn bound(&self) -> usize {
        if self.enabled { self.page_items } else { 0 }
    }
}
