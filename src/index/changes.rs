//! Documents' change times: when an article last left a document.
//!
//! A document's `Last-Modified` is the newest `updated_at` among what it shows,
//! which goes backwards when its newest article leaves it. The change log says
//! when an article left and where it was ([`Departure`]); folding those entries
//! gives each document a change time that only moves forward and is the same
//! whether the log is folded entry by entry (a running service) or all at once
//! (a full pass): a max over the same entries. Must not: read the store.

use super::{Dirty, FeedKey, FeedKind, Index, Month, NEWS_WINDOW_SECS, Unit};
use crate::store::Change;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Per unit, the newest time an article left it (UNIX seconds); `everything`
/// for all units (a PostgreSQL `TRUNCATE`).
#[derive(Debug, Default)]
pub(super) struct ChangeTimes {
    by_unit: HashMap<Unit, i64>,
    /// Per UTC day of first publication (days since 1970), the newest time an
    /// article left it: a month's sitemap files are by day, each with its floor.
    by_day: HashMap<i64, i64>,
    everything: i64,
}

const DAY: i64 = 24 * 3600;

impl Index {
    /// Folds one change-log entry into documents' change times; returns the
    /// units whose change time moved (they must be rendered again). Entries
    /// without a departure change nothing.
    pub(crate) fn note_departure(&mut self, change: &Change) -> Dirty {
        let at = change.at.timestamp();
        let mut dirty = Dirty::new();
        for unit in self.departure_units(change) {
            let time = self.changed.by_unit.entry(unit).or_insert(i64::MIN);
            if at > *time {
                *time = at;
                dirty.insert(unit);
            }
        }
        if let Some(published) = change.left.as_ref().and_then(|l| l.published_at) {
            let published = published.timestamp();
            let time = self.changed.by_day.entry(published.div_euclid(DAY));
            let time = time.or_insert(i64::MIN);
            if at > *time {
                *time = at;
                dirty.insert(Unit::Month(Month::of(published)));
            }
        }
        dirty
    }

    /// The units an article left by this change-log entry (none for entries
    /// without a departure); a `TRUNCATE` marker is noted as everything's
    /// change time.
    pub(crate) fn departure_units(&mut self, change: &Change) -> Vec<Unit> {
        let at = change.at.timestamp();
        if change.truncate && at > self.changed.everything {
            self.changed.everything = at;
        }
        let Some(left) = &change.left else {
            return Vec::new();
        };
        let mut units = vec![Unit::Feed(FeedKey::GLOBAL), Unit::SitemapIndex];
        let named = [
            (FeedKind::Section, left.section.as_slice()),
            (FeedKind::Tag, left.tags.as_slice()),
            (FeedKind::Author, left.authors.as_slice()),
        ];
        for (kind, names) in named {
            let terms = &mut self.terms[kind.term_slot()];
            for name in names {
                let spelling = terms.intern(name);
                let term = terms.term_of(spelling);
                units.push(Unit::Feed(FeedKey { kind, term }));
            }
        }
        if let Some(published) = left.published_at.map(|p| p.timestamp()) {
            units.push(Unit::Month(Month::of(published)));
            if published <= at && published > at - NEWS_WINDOW_SECS {
                units.push(Unit::News);
            }
        }
        units
    }

    /// When an article first published on the UTC day starting at `day` (UNIX
    /// time) last left that day's sitemap files: their floor, as
    /// [`Index::change_time`] is a unit's.
    pub(crate) fn day_change_time(&self, day: i64) -> Option<DateTime<Utc>> {
        let own = self.changed.by_day.get(&day.div_euclid(DAY)).copied();
        floor(own, self.changed.everything)
    }

    /// When an article last left this unit's documents, if ever (as far as the
    /// change log remembers): a floor for their `Last-Modified`.
    pub(crate) fn change_time(&self, unit: Unit) -> Option<DateTime<Utc>> {
        let own = self.changed.by_unit.get(&unit).copied();
        floor(own, self.changed.everything)
    }
}

fn floor(own: Option<i64>, everything: i64) -> Option<DateTime<Utc>> {
    let time = own.unwrap_or(i64::MIN).max(everything);
    if time > 0 {
        DateTime::from_timestamp(time, 0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Departure;
    use chrono::TimeZone;

    fn departure(seq: u64, hour: u32, tags: &[&str]) -> Change {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, hour, 0, 0).unwrap();
        Change {
            seq,
            article_id: "a".into(),
            at,
            left: Some(Departure {
                section: Some("Maroc".into()),
                authors: vec![],
                tags: tags.iter().map(|t| t.to_string()).collect(),
                published_at: Some(at - chrono::TimeDelta::hours(1)),
            }),
            truncate: false,
        }
    }

    #[test]
    fn a_departure_moves_the_documents_it_left_forward_only() {
        let mut index = Index::new(50, Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap());
        let dirty = index.note_departure(&departure(1, 10, &["États-Unis"]));
        let tag = index.terms[FeedKind::Tag.term_slot()]
            .find("etats-unis")
            .unwrap();
        let tag = Unit::Feed(FeedKey {
            kind: FeedKind::Tag,
            term: tag,
        });
        for unit in [
            Unit::Feed(FeedKey::GLOBAL),
            tag,
            Unit::Month(Month(202611)),
            Unit::News,
        ] {
            assert!(dirty.contains(&unit), "{unit:?}");
        }
        let ten = departure(1, 10, &[]).at;
        assert_eq!(index.change_time(tag), Some(ten));
        // Folding it again, or an older entry, changes nothing: a max.
        assert!(
            index
                .note_departure(&departure(1, 10, &["États-Unis"]))
                .is_empty()
        );
        assert!(
            index
                .note_departure(&departure(0, 9, &["Etats-Unis"]))
                .is_empty()
        );
        assert_eq!(index.change_time(tag), Some(ten));
        // A later one that left other feeds leaves this one alone.
        index.note_departure(&departure(2, 11, &["Iran"]));
        assert_eq!(index.change_time(tag), Some(ten));
        assert!(index.change_time(Unit::Directory).is_none());
        // The day it was first published on has the floor, not the others.
        let published = departure(2, 11, &[]).left.unwrap().published_at.unwrap();
        let day = published.timestamp();
        assert_eq!(index.day_change_time(day), Some(departure(2, 11, &[]).at));
        assert!(index.day_change_time(day - 24 * 3600).is_none());
    }
}
