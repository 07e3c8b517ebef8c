use super::*;
use chrono::TimeZone;

fn at(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap() + chrono::TimeDelta::hours(h)
}

fn row(id: &str, hour: i64, section: &str, tags: &[&str]) -> MetaRow {
    MetaRow {
        id: id.into(),
        published_at: at(hour),
        updated_at: at(hour),
        draft: false,
        section: Some(section.into()),
        authors: vec!["S.A".into()],
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn tag(index: &Index, slug: &str) -> FeedKey {
    index
        .find_feed(FeedKind::Tag, slug)
        .expect("tag feed exists")
}

#[test]
fn feeds_are_newest_first_with_id_tie_break_and_capped() {
    let rows = vec![
        row("b", 1, "Maroc", &["Iran"]),
        row("a", 1, "Maroc", &["Iran"]),
        row("c", 3, "Monde", &[]),
    ];
    let index = Index::load(2, at(10), rows);
    assert_eq!(index.feed_items(FeedKey::GLOBAL), ["c", "a"]);
    assert_eq!(index.feed_items(tag(&index, "iran")), ["a", "b"]);
    assert_eq!(index.feeds().len(), 1 + 2 + 1 + 1);
}

#[test]
fn change_dirties_only_feeds_that_show_the_article() {
    let mut rows: Vec<MetaRow> = (0..5)
        .map(|i| row(&format!("old{i}"), i, "Maroc", &["Iran"]))
        .collect();
    rows.push(row("sport", 6, "Sport", &["Football"]));
    let mut index = Index::load(3, at(20), rows);
    let football = tag(&index, "football");
    let iran = tag(&index, "iran");
    // An edit of an article below the top 3 of Iran/Maroc only dirties the global
    // feed if shown there, its month, the sitemap index.
    let dirty = index
        .apply("old0", Some(row("old0", 0, "Maroc", &["Iran"])))
        .dirty;
    assert!(!dirty.contains(&Unit::Feed(iran)));
    assert!(!dirty.contains(&Unit::Feed(football)));
    assert!(dirty.contains(&Unit::Month(Month(202611))));
    // A new article tagged Iran dirties Iran, Maroc, global and the author, not Football.
    let dirty = index
        .apply("new", Some(row("new", 10, "Maroc", &["Iran"])))
        .dirty;
    assert!(dirty.contains(&Unit::Feed(iran)) && dirty.contains(&Unit::Feed(FeedKey::GLOBAL)));
    assert!(!dirty.contains(&Unit::Feed(football)));
    assert!(dirty.contains(&Unit::News));
    assert!(!dirty.contains(&Unit::Directory), "no feed appeared");
}

#[test]
fn deleting_the_last_article_of_a_tag_removes_the_feed() {
    let mut index = Index::load(
        50,
        at(20),
        vec![row("a", 1, "Maroc", &["Iran"]), row("b", 2, "Maroc", &[])],
    );
    let iran = tag(&index, "iran");
    let dirty = index.apply("a", None).dirty;
    assert!(dirty.contains(&Unit::Feed(iran)) && dirty.contains(&Unit::Directory));
    assert!(!index.feed_exists(iran));
    assert_eq!(index.feed_items(FeedKey::GLOBAL), ["b"]);
}

#[test]
fn embargo_lifts_when_time_comes_and_deadline_says_when() {
    let mut index = Index::load(
        50,
        at(0),
        vec![
            row("now", -1, "Maroc", &[]),
            row("later", 5, "Maroc", &["Iran"]),
        ],
    );
    assert_eq!(index.feed_items(FeedKey::GLOBAL), ["now"]);
    assert_eq!(index.next_deadline(), Some(at(5)));
    assert!(index.advance(at(4)).is_empty());
    let dirty = index.advance(at(5));
    assert!(dirty.contains(&Unit::Feed(FeedKey::GLOBAL)) && dirty.contains(&Unit::News));
    assert!(dirty.contains(&Unit::Directory), "the Iran feed appeared");
    assert_eq!(index.feed_items(FeedKey::GLOBAL), ["later", "now"]);
}

#[test]
fn news_window_slides_with_time() {
    let mut index = Index::load(
        50,
        at(0),
        vec![row("a", -47, "Maroc", &[]), row("b", -1, "Maroc", &[])],
    );
    assert_eq!(index.news_items(), ["b", "a"]);
    assert_eq!(index.next_deadline(), Some(at(1)));
    let dirty = index.advance(at(1));
    assert_eq!(dirty, Dirty::from([Unit::News]));
    assert_eq!(index.news_items(), ["b"]);
    assert_eq!(index.next_deadline(), Some(at(47)));
}

#[test]
fn drafts_appear_nowhere_and_publishing_one_shows_it() {
    let mut draft = row("d", 1, "Maroc", &["Iran"]);
    draft.draft = true;
    let mut index = Index::load(50, at(5), vec![draft.clone()]);
    assert!(index.feed_items(FeedKey::GLOBAL).is_empty() && index.news_items().is_empty());
    assert_eq!(index.next_deadline(), None);
    draft.draft = false;
    let dirty = index.apply("d", Some(draft)).dirty;
    assert!(dirty.contains(&Unit::News));
    assert_eq!(index.feed_items(tag(&index, "iran")), ["d"]);
}

#[test]
fn display_name_is_the_most_used_spelling_accents_winning_ties() {
    let index = Index::load(
        50,
        at(5),
        vec![
            row("a", 1, "Maroc", &["Etats-Unis"]),
            row("b", 2, "Maroc", &["États-Unis"]),
        ],
    );
    let key = tag(&index, "etats-unis");
    assert_eq!(index.feed_info(key).name, "États-Unis");
    let index = Index::load(
        50,
        at(5),
        vec![
            row("a", 1, "Maroc", &["Etats-Unis"]),
            row("b", 2, "Maroc", &["Etats-Unis"]),
            row("c", 3, "Maroc", &["États-Unis"]),
        ],
    );
    assert_eq!(
        index.feed_info(tag(&index, "etats-unis")).name,
        "Etats-Unis"
    );
}

#[test]
fn loading_and_applying_one_by_one_agree() {
    let rows: Vec<MetaRow> = (0..40)
        .map(|i| {
            row(
                &format!("a{}", i * 7 % 40),
                i % 9,
                ["Maroc", "Sport"][i as usize % 2],
                &["Iran", "Rabat"][..(i as usize % 3).min(2)],
            )
        })
        .collect();
    let loaded = Index::load(5, at(30), rows.clone());
    let mut applied = Index::new(5, at(30));
    for r in rows {
        applied.apply(&r.id.clone(), Some(r));
    }
    for key in loaded.feeds() {
        assert_eq!(
            loaded.feed_items(key),
            applied.feed_items(
                applied
                    .find_feed(key.kind, &loaded.feed_info(key).slug)
                    .unwrap()
            )
        );
    }
    assert_eq!(loaded.news_items(), applied.news_items());
}

#[test]
fn every_applied_state_gets_a_key_of_its_own_and_frees_the_last() {
    let mut index = Index::load(50, at(20), vec![row("a", 1, "Maroc", &[])]);
    let first = index.key_of("a").expect("a is stored");
    assert_eq!(index.feed_slots(FeedKey::GLOBAL), [(first, "a")]);
    // An edit (even an unchanged one) frees the key and names the new state anew.
    let edited = index.apply("a", Some(row("a", 1, "Maroc", &[])));
    assert_eq!(edited.freed, Some(first));
    let second = index.key_of("a").expect("a is stored");
    assert_ne!(second, first);
    assert_eq!(index.month_slots(Month(202611)), [(second, "a")]);
    // A deletion frees the key; the slot, reused by another article, never
    // matches a key of the state it held before.
    assert_eq!(index.apply("a", None).freed, Some(second));
    assert_eq!(index.key_of("a"), None);
    assert_eq!(
        index.apply("b", Some(row("b", 2, "Maroc", &[]))).freed,
        None
    );
    let third = index.key_of("b").expect("b is stored");
    assert_eq!(third.slot(), first.slot());
    assert!(third != first && third != second);
    assert_eq!(index.news_slots(), [(third, "b")]);
    // Another index's keys never match this one's, slots and generations alike.
    let other = Index::load(50, at(20), vec![row("a", 1, "Maroc", &[])]);
    assert_ne!(other.key_of("a"), Some(first));
}

#[test]
fn archive_pages_partition_the_older_articles_by_month_then_day() {
    // Hours from 2026-11-29 00:00: a, b in November; c, d on 1 December,
    // e, f on 2 December (f shown: the feed shows 1 item).
    let hours = [
        ("a", -30),
        ("b", -20),
        ("c", 50),
        ("d", 51),
        ("e", 74),
        ("f", 75),
    ];
    let rows = hours.iter().map(|&(id, h)| row(id, h, "Maroc", &[]));
    let mut loader = Loader::new(1, at(100)).archives(2);
    rows.for_each(|r| loader.add(r));
    let mut index = loader.finish();
    let global = FeedKey::GLOBAL;
    let (nov, dec1) = (Period::Month(Month(202611)), Period::Day(20261201));
    let dec2 = Period::Day(20261202);
    // December holds 3 archived articles > 2: split by day.
    assert_eq!(index.archive_pages(global), vec![nov, dec1, dec2]);
    assert_eq!(index.newest_archive(global), Some(dec2));
    let ids = |p| -> Vec<String> {
        index
            .archive_slots(global, p)
            .iter()
            .map(|(_, id)| id.to_string())
            .collect()
    };
    assert_eq!(ids(dec1), ["d", "c"]);
    assert_eq!(ids(dec2), ["e"]);
    assert_eq!(ids(nov), ["b", "a"]);
    assert!(
        ids(Period::Month(Month(202612))).is_empty(),
        "split: no month page"
    );
    assert_eq!(index.archive_neighbours(global, nov), (None, Some(dec1)));
    assert_eq!(
        index.archive_neighbours(global, dec1),
        (Some(nov), Some(dec2))
    );
    assert_eq!(index.archive_neighbours(global, dec2), (Some(dec1), None));
    // Deleting d brings December back to 2: one month page; the change dirties
    // the pages that vanished and appeared and their neighbour.
    let dirty = index.apply("d", None).dirty;
    let dec = Period::Month(Month(202612));
    assert_eq!(index.archive_pages(global), vec![nov, dec]);
    for p in [nov, dec1, dec2, dec] {
        assert!(
            dirty.contains(&Unit::Archive(global, p)),
            "{p:?} not dirtied"
        );
    }
    assert!(
        dirty.contains(&Unit::Feed(global)),
        "its prev-archive link moved"
    );
    // A new article pushes f out of the current document onto the newest
    // month, which splits again (3 > 2): December's pages, and November's
    // next-archive link, change; an edit of a November article re-renders
    // November's page only.
    let dirty = index.apply("g", Some(row("g", 90, "Maroc", &[]))).dirty;
    assert_eq!(index.archive_pages(global), vec![nov, dec1, dec2]);
    for p in [dec, dec1, dec2, nov] {
        assert!(
            dirty.contains(&Unit::Archive(global, p)),
            "{p:?} not dirtied"
        );
    }
    let dirty = index.apply("a", Some(row("a", -30, "Maroc", &[]))).dirty;
    // (in each of the article's feeds: global, section, author)
    let pages: Vec<&Unit> = dirty
        .iter()
        .filter(|u| matches!(u, Unit::Archive(k, _) if *k == global))
        .collect();
    assert_eq!(pages, [&Unit::Archive(global, nov)]);
    let elsewhere = |u: &Unit| matches!(u, Unit::Archive(_, p) if *p != nov);
    assert!(!dirty.iter().any(elsewhere), "{dirty:?}");
}

#[test]
fn a_day_holding_more_than_a_page_is_split_by_hour() {
    // Hours from 2026-11-29 00:00: a in November; c, d, e on 1 December at
    // 02:00, 03:00 and 04:00; f shown (the feed shows 1 item).
    let hours = [("a", -30), ("c", 50), ("d", 51), ("e", 52), ("f", 75)];
    let mut loader = Loader::new(1, at(100)).archives(2);
    hours
        .iter()
        .for_each(|&(id, h)| loader.add(row(id, h, "Maroc", &[])));
    let mut index = loader.finish();
    let global = FeedKey::GLOBAL;
    let nov = Period::Month(Month(202611));
    let [h2, h3, h4] = [2026120102, 2026120103, 2026120104].map(Period::Hour);
    // December and its first day hold 3 archived articles > 2: one page per hour.
    assert_eq!(index.archive_pages(global), vec![nov, h2, h3, h4]);
    assert_eq!(index.newest_archive(global), Some(h4));
    assert_eq!(h4.label(), "2026-12-01T04");
    let ids = |index: &Index, p| -> Vec<String> {
        index
            .archive_slots(global, p)
            .iter()
            .map(|(_, id)| id.to_string())
            .collect()
    };
    assert_eq!(ids(&index, h3), ["d"]);
    assert!(
        ids(&index, Period::Day(20261201)).is_empty(),
        "split: no day page"
    );
    assert_eq!(index.archive_neighbours(global, h3), (Some(h2), Some(h4)));
    assert_eq!(index.archive_neighbours(global, nov), (None, Some(h2)));
    // Deleting d brings December back to 2: one month page, and every hour
    // page that vanished is dirtied (its documents go).
    let dirty = index.apply("d", None).dirty;
    let dec = Period::Month(Month(202612));
    assert_eq!(index.archive_pages(global), vec![nov, dec]);
    assert_eq!(ids(&index, dec), ["e", "c"]);
    for p in [nov, h2, h3, h4, dec] {
        assert!(
            dirty.contains(&Unit::Archive(global, p)),
            "{p:?} not dirtied"
        );
    }
}

#[test]
fn a_month_is_cut_into_days_and_a_change_moves_only_its_day() {
    // Hours from 2026-11-29T00:00Z: two on the 29th, one on the 30th, one on the 28th.
    let rows = vec![
        row("a", 1, "Maroc", &[]),
        row("b", 5, "Maroc", &[]),
        row("c", 25, "Maroc", &[]),
        row("d", -3, "Maroc", &[]),
    ];
    let mut index = Index::load(10, at(48), rows);
    let days = index.month_days(Month(202611));
    let starts: Vec<i64> = days.iter().map(|d| d.start).collect();
    assert_eq!(starts, [at(24), at(0), at(-24)].map(|t| t.timestamp()));
    let ids: Vec<Vec<&str>> = days
        .iter()
        .map(|d| {
            index
                .bucket_slots(d)
                .into_iter()
                .map(|(_, id)| id)
                .collect()
        })
        .collect();
    assert_eq!(ids, [vec!["c"], vec!["b", "a"], vec!["d"]]);
    let stamps = |index: &Index| -> Vec<Stamp> {
        let days = index.month_days(Month(202611));
        days.iter().map(|d| d.stamp).collect()
    };
    let before = stamps(&index);
    // An edit (same day) moves its day's stamp only.
    index.apply("b", Some(row("b", 5, "Maroc", &[])));
    let after = stamps(&index);
    assert_eq!(after[0], before[0], "the 30th did not change");
    assert_ne!(after[1], before[1], "the 29th did");
    assert_eq!(after[2], before[2], "the 28th did not change");
    // Moving an article to another day moves both days.
    index.apply("d", Some(row("d", 26, "Maroc", &[])));
    let moved = stamps(&index);
    assert_eq!(moved.len(), 2, "the 28th is empty: no bucket");
    assert_ne!(moved[0], after[0]);
    assert_eq!(moved[1], after[1]);
}

#[test]
fn news_hours_are_cut_by_hour_and_the_oldest_loses_articles_with_time() {
    let mut b = row("b", 0, "Maroc", &[]);
    b.published_at += chrono::TimeDelta::minutes(30);
    let rows = vec![
        row("a", 0, "Maroc", &[]),
        b,
        row("a2", 0, "Maroc", &[]),
        row("c", 2, "Maroc", &[]),
    ];
    let window = chrono::TimeDelta::seconds(NEWS_WINDOW_SECS);
    let mut index = Index::load(10, at(0) + window - chrono::TimeDelta::minutes(1), rows);
    let hours = index.news_hours();
    let starts: Vec<i64> = hours.iter().map(|h| h.start).collect();
    assert_eq!(starts, [at(2).timestamp(), at(0).timestamp()]);
    let ids = |index: &Index, hour| -> Vec<String> {
        let slots = index.bucket_slots(hour);
        slots.into_iter().map(|(_, id)| id.to_owned()).collect()
    };
    // Newest first; within a second, by id (as feeds order them).
    assert_eq!(ids(&index, &hours[1]), ["b", "a", "a2"]);
    let (newest, oldest) = (hours[0].stamp, hours[1].stamp);
    // Past 48 hours "a" and "a2" leave the window, no change applied: their
    // hour's stamp moves (it lost articles), the other hour's does not.
    index.advance(at(0) + window + chrono::TimeDelta::minutes(1));
    let hours = index.news_hours();
    assert_eq!(hours.len(), 2);
    assert_eq!(ids(&index, &hours[1]), ["b"]);
    assert_ne!(hours[1].stamp, oldest);
    assert_eq!(hours[0].stamp, newest);
    // Then "b" too: the hour is no longer in the window.
    index.advance(at(0) + window + chrono::TimeDelta::minutes(31));
    let hours = index.news_hours();
    assert_eq!(hours.len(), 1);
    assert_eq!(hours[0].start, at(2).timestamp());
    assert_eq!(hours[0].stamp, newest);
}
