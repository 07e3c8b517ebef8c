//! A feed unit's documents: the current feed (RSS, Atom, JSON Feed and its
//! page) or one of its archive pages, from the index's view and the items cache.
//!
//! Owns: choosing what a feed document shows. Must not: publish, or read the
//! store but for the articles a view shows.

use super::{ItemError, Sources, UnitError, describe};
use crate::config::Config;
use crate::index::{ArticleKey, FeedKey, Period, Unit};
use crate::render::{self, ArchiveNav, Document, FeedView, paths};

pub(super) fn render_feed(
    sources: &Sources,
    key: FeedKey,
    unit: Unit,
) -> Result<Vec<Document>, UnitError> {
    let Sources { config, index, .. } = *sources;
    if !index.feed_exists(key) {
        return Ok(Vec::new());
    }
    let nav = config.archives.enabled.then(|| ArchiveNav {
        prev: index.newest_archive(key).map(Period::label),
        ..ArchiveNav::default()
    });
    feed_view_documents(sources, key, unit, &index.feed_slots(key), nav.as_ref())
}

/// An archive page: no documents when the feed has no such page (any more).
pub(super) fn render_archive(
    sources: &Sources,
    key: FeedKey,
    period: Period,
    unit: Unit,
) -> Result<Vec<Document>, UnitError> {
    let index = sources.index;
    let articles = index.archive_slots(key, period);
    if articles.is_empty() {
        return Ok(Vec::new());
    }
    let (prev, next) = index.archive_neighbours(key, period);
    let nav = ArchiveNav {
        page: Some(period.label()),
        prev: prev.map(Period::label),
        next: next.map(Period::label),
    };
    feed_view_documents(sources, key, unit, &articles, Some(&nav))
}

/// The documents of a feed view over `articles` (newest first).
fn feed_view_documents(
    sources: &Sources,
    key: FeedKey,
    unit: Unit,
    articles: &[(ArticleKey, &str)],
    archive: Option<&ArchiveNav>,
) -> Result<Vec<Document>, UnitError> {
    let Sources { config, index, .. } = *sources;
    let what = || describe(index, unit);
    let items = sources
        .caches
        .items
        .get(sources, articles)
        .map_err(|e| match e {
            ItemError::Store(source) => UnitError::Store {
                unit,
                what: what(),
                source,
            },
            ItemError::Render(source) => UnitError::Render {
                unit,
                what: what(),
                source,
            },
        })?;
    let info = index.feed_info(key);
    sources
        .caches
        .heads
        .record(paths::feed_dir(&info), info.clone(), &items);
    let view = FeedView {
        info: &info,
        items: &items,
        archive,
    };
    render::feed_documents(&config.site, &view, websub_hub(config)).map_err(|source| {
        UnitError::Render {
            unit,
            what: what(),
            source,
        }
    })
}

/// The WebSub hub the feed pages name: the built-in one when it is on (it is
/// listed last), else the first external hub.
fn websub_hub(config: &Config) -> Option<&str> {
    let hubs = &config.site.hubs;
    match config.websub.builtin_hub {
        true => hubs.last(),
        false => hubs.first(),
    }
    .map(String::as_str)
}
