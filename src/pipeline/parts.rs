//! Sitemap files by bucket: a month's sitemap is a file per UTC day of first
//! publication, the news sitemap past 1,000 URLs a part per hour. A pass renders
//! again only the buckets whose [`Stamp`] moved since they were last rendered
//! and says the others unchanged (their published fingerprints), so that a
//! change costs its day and its hour, not its month and the whole news window.
//! Each URL once per month and once over the news sitemap: while the link
//! cache knows the kept links' URLs distinct (see
//! [`super::LinkCache::urls_distinct`]) no set of them is built; else the
//! whole month or window is rendered at once, as sets of URLs require.

use super::{Sources, UnitError, describe};
use crate::index::{Bucket, Month, Stamp, Unit};
use crate::render::{self, Document, RenderError, UrlEntry};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// What a bucket's files were rendered from, and their paths.
#[derive(Debug)]
struct Memo {
    stamp: Stamp,
    floor: Option<DateTime<Utc>>,
    paths: Vec<String>,
}

/// Per sitemap unit, per bucket (by its first second), what was last rendered.
#[derive(Debug, Default)]
pub(crate) struct PartMemos {
    units: Mutex<HashMap<Unit, HashMap<i64, Memo>>>,
}

impl PartMemos {
    fn lock(&self) -> MutexGuard<'_, HashMap<Unit, HashMap<i64, Memo>>> {
        self.units.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The memos of `unit`, taken out while it renders (a failed render leaves
    /// none: its next render does every bucket).
    fn take(&self, unit: Unit) -> HashMap<i64, Memo> {
        self.lock().remove(&unit).unwrap_or_default()
    }

    fn put(&self, unit: Unit, memos: HashMap<i64, Memo>) {
        self.lock().insert(unit, memos);
    }
}

/// The bucket's files as published, if it has not changed since: same state,
/// same floor, and every file still recorded with its fingerprint.
fn reuse(
    sources: &Sources,
    unit: Unit,
    memo: Option<&Memo>,
    bucket: &Bucket,
    floor: Option<DateTime<Utc>>,
) -> Option<Vec<Document>> {
    let memo = memo.filter(|m| m.stamp == bucket.stamp && m.floor == floor)?;
    sources.caches.sitemaps.unchanged(unit, &memo.paths)
}

fn memo(bucket: &Bucket, floor: Option<DateTime<Utc>>, docs: &[Document]) -> Memo {
    Memo {
        stamp: bucket.stamp,
        floor,
        paths: docs.iter().map(|d| d.path.clone()).collect(),
    }
}

fn store_err(sources: &Sources, unit: Unit) -> impl Fn(crate::store::StoreError) -> UnitError {
    let what = describe(sources.index, unit);
    move |source| UnitError::Store {
        unit,
        what: what.clone(),
        source,
    }
}

fn render_err(sources: &Sources, unit: Unit) -> impl Fn(RenderError) -> UnitError {
    let what = describe(sources.index, unit);
    move |source| UnitError::Render {
        unit,
        what: what.clone(),
        source,
    }
}

/// A month's sitemap files: one or more per day, newest day first; of them
/// only the days that changed are rendered, unless the month began before
/// links are kept or two kept links share a URL (each URL must then be listed
/// once over the whole month): then from the whole month.
pub(super) fn render_month(
    sources: &Sources,
    unit: Unit,
    month: Month,
) -> Result<Vec<Document>, UnitError> {
    let (index, links) = (sources.index, &sources.caches.links);
    let floor = |day: &Bucket| index.day_change_time(day.start);
    let days = index.month_days(month);
    let mut memos = sources.caches.parts.take(unit);
    let keep_after = links.keep_after(sources).timestamp();
    if days.last().is_none_or(|oldest| oldest.start < keep_after) {
        return render_whole_month(sources, unit, &days);
    }
    let mut parts = Vec::with_capacity(days.len());
    for day in days {
        let memo = memos.remove(&day.start);
        let part = match reuse(sources, unit, memo.as_ref(), &day, floor(&day)) {
            Some(files) => Ok(files),
            None => Err(links
                .get(sources, &index.bucket_slots(&day))
                .map_err(store_err(sources, unit))?),
        };
        parts.push((day, part));
    }
    // Read first: the links just read are counted too.
    if !links.urls_distinct() {
        let days: Vec<Bucket> = parts.into_iter().map(|(day, _)| day).collect();
        return render_whole_month(sources, unit, &days);
    }
    let (mut next, mut docs) = (HashMap::new(), Vec::new());
    for (day, part) in parts {
        let files = match part {
            Ok(files) => files,
            Err(got) => {
                let entries = month_entries(sources, unit, &got)?;
                render::day_sitemaps(day.start, &entries, floor(&day))
            }
        };
        next.insert(day.start, memo(&day, floor(&day), &files));
        docs.extend(files);
    }
    sources.caches.parts.put(unit, next);
    Ok(docs)
}

fn month_entries<'a>(
    sources: &Sources,
    unit: Unit,
    links: &'a [std::sync::Arc<super::links::CachedLink>],
) -> Result<Vec<&'a UrlEntry>, UnitError> {
    links
        .iter()
        .map(|l| l.month_entry())
        .collect::<Result<Vec<_>, _>>()
        .map_err(render_err(sources, unit))
}

/// Every day of a month from all its entries, each URL once over the month.
fn render_whole_month(
    sources: &Sources,
    unit: Unit,
    days: &[Bucket],
) -> Result<Vec<Document>, UnitError> {
    let slots: Vec<_> = days
        .iter()
        .flat_map(|d| sources.index.bucket_slots(d))
        .collect();
    let got = sources
        .caches
        .links
        .get(sources, &slots)
        .map_err(store_err(sources, unit))?;
    let entries = month_entries(sources, unit, &got)?;
    let floor = |day| sources.index.day_change_time(day);
    Ok(render::sitemaps_by_day_from(&entries, &floor))
}

/// The news sitemap: past 1,000 URLs an index over parts by hour, of which
/// only the hours that changed are rendered; else (or while two kept links
/// share a URL, which must then be listed once over all parts) from the
/// whole window.
pub(super) fn render_news(sources: &Sources, unit: Unit) -> Result<Vec<Document>, UnitError> {
    let (index, links, sitemaps) = (
        sources.index,
        &sources.caches.links,
        &sources.caches.sitemaps,
    );
    let site = &sources.config.site;
    let floor = index.change_time(unit);
    let hours = index.news_hours();
    let mut memos = sources.caches.parts.take(unit);
    if hours.iter().map(|h| h.stamp.articles()).sum::<usize>() <= render::MAX_NEWS_URLS {
        return render_whole_news(sources, unit);
    }
    let mut parts: Vec<(Bucket, Result<Vec<Document>, Vec<_>>)> = Vec::new();
    for hour in hours {
        let part = match reuse(
            sources,
            unit,
            memos.remove(&hour.start).as_ref(),
            &hour,
            None,
        ) {
            Some(files) => Ok(files),
            None => Err(links
                .get(sources, &index.bucket_slots(&hour))
                .map_err(store_err(sources, unit))?),
        };
        parts.push((hour, part));
    }
    // Read first: the links just read are counted too.
    if !links.urls_distinct() {
        return render_whole_news(sources, unit);
    }
    let published = |path: &str| sitemaps.fingerprint(unit, path);
    let (mut next, mut docs) = (HashMap::new(), Vec::new());
    for (hour, part) in parts {
        let files = match part {
            Ok(files) => files,
            Err(got) => {
                let entries = got
                    .iter()
                    .map(|l| l.news_entry(site))
                    .collect::<Result<Vec<&UrlEntry>, _>>()
                    .map_err(render_err(sources, unit))?;
                render::news_hour_parts(hour.start, &entries, &published)
            }
        };
        next.insert(hour.start, memo(&hour, None, &files));
        docs.extend(files);
    }
    let news_index = render::news_index(site, &docs, floor).map_err(render_err(sources, unit))?;
    docs.push(news_index);
    sources.caches.parts.put(unit, next);
    Ok(docs)
}

/// The news sitemap from every entry of the window at once.
fn render_whole_news(sources: &Sources, unit: Unit) -> Result<Vec<Document>, UnitError> {
    let (index, sitemaps) = (sources.index, &sources.caches.sitemaps);
    let site = &sources.config.site;
    let links = sources
        .caches
        .links
        .get(sources, &index.news_slots())
        .map_err(store_err(sources, unit))?;
    let entries = links
        .iter()
        .map(|l| l.news_entry(site))
        .collect::<Result<Vec<_>, _>>()
        .map_err(render_err(sources, unit))?;
    let rendered = |path: &str| sitemaps.fingerprint(unit, path);
    render::news_sitemap_from(site, &entries, &rendered, index.change_time(unit))
        .map_err(render_err(sources, unit))
}
