//! The directory of feeds' rate: rendered with every pass that changes it
//! while small, at most every few seconds once it lists thousands of feeds.
//!
//! Owns: when the watch loop may render the directory, and whether it owes
//! one. Must not: render, or read the clock itself (times are passed in).

use std::time::{Duration, Instant};

/// A directory of more feeds than this is rendered at most every
/// [`DIRECTORY_EVERY`]: it lists every feed (30,000 and 60 ms at a million
/// articles), so a burst of writes shows in it once per interval, while each
/// write's own documents are served at once. Smaller ones are rendered with
/// every pass that changes what they show.
pub(crate) const DIRECTORY_INLINE_FEEDS: usize = 1_000;
/// See [`DIRECTORY_INLINE_FEEDS`].
pub(crate) const DIRECTORY_EVERY: Duration = Duration::from_secs(5);

/// When the directory of feeds may be rendered again (see [`DIRECTORY_EVERY`]).
#[derive(Debug, Default)]
pub(super) struct DirectoryRate {
    /// When it was last rendered by this watcher.
    pub(super) rendered: Option<Instant>,
    /// A pass changed what it shows and left it for later.
    pub(super) owed: bool,
}

impl DirectoryRate {
    /// Whether a pass at `now` may render it, listing `feeds` feeds.
    pub(super) fn may_render(&self, now: Instant, feeds: usize) -> bool {
        feeds <= DIRECTORY_INLINE_FEEDS
            || (self.rendered).is_none_or(|at| now.duration_since(at) >= DIRECTORY_EVERY)
    }

    /// How long until an owed rendering is due (`None`: nothing owed).
    pub(super) fn due_in(&self, now: Instant) -> Option<Duration> {
        let at = self.rendered?;
        self.owed
            .then(|| DIRECTORY_EVERY.saturating_sub(now.duration_since(at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_directory_is_always_rendered_a_large_one_once_per_interval() {
        let t0 = Instant::now();
        let just = DirectoryRate {
            rendered: Some(t0),
            owed: true,
        };
        let small = DIRECTORY_INLINE_FEEDS;
        let large = DIRECTORY_INLINE_FEEDS + 1;
        assert!(just.may_render(t0, small));
        assert!(!just.may_render(t0 + Duration::from_secs(1), large));
        assert!(just.may_render(t0 + DIRECTORY_EVERY, large));
        assert!(
            DirectoryRate::default().may_render(t0, large),
            "never rendered yet"
        );
    }

    #[test]
    fn only_an_owed_rendering_is_ever_due() {
        let t0 = Instant::now();
        let owed = DirectoryRate {
            rendered: Some(t0),
            owed: true,
        };
        let later = t0 + Duration::from_secs(2);
        assert_eq!(
            owed.due_in(later),
            Some(DIRECTORY_EVERY - Duration::from_secs(2))
        );
        assert_eq!(owed.due_in(t0 + 2 * DIRECTORY_EVERY), Some(Duration::ZERO));
        let settled = DirectoryRate {
            owed: false,
            ..owed
        };
        assert_eq!(settled.due_in(later), None);
    }
}
