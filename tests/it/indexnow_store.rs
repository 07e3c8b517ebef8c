//! IndexNow's queue in the store (issue 14), on both backends: triggers queue
//! the URL of each published, updated, unpublished or deleted article (writes
//! by another program too) once the queue is enabled, never a draft's; an
//! embargoed URL is claimable only from its lifting; a claim is exclusive
//! until its lease lapses; a URL is deleted only by its claimant, and a newer
//! write clears its claim so that it is sent again; pruning drops what was due
//! and queued before the retention.

use crate::store_suite::{Backend, article, both_backends, postgres, sqlite};
use chrono::{DateTime, TimeDelta, Utc};
use syndic::model::{Article, from_json_str};

const LEASE: i64 = 300_000;

fn url(id: &str) -> String {
    format!("https://www.actu.example.ma/{id}.html")
}

fn with(id: &str, status: &str, published_at: DateTime<Utc>) -> Article {
    from_json_str(&format!(
        r#"{{"id":"{id}","url":"{}","title":"T","published_at":"{}","status":"{status}"}}"#,
        url(id),
        published_at.to_rfc3339()
    ))
    .unwrap()
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn claims_are_exclusive_leased_and_cleared_by_a_newer_write(b: &Backend) {
    let q = b.store.submissions();
    q.enable().unwrap();
    b.store
        .upsert(&[article("c-1", "Un"), article("c-2", "Deux")])
        .unwrap();
    let now = ms(Utc::now() + TimeDelta::seconds(1));
    let both = vec![url("c-1"), url("c-2")];
    assert_eq!(sorted(q.claim("A", now, now + LEASE, 100).unwrap()), both);
    assert!(
        q.claim("B", now, now + LEASE, 100).unwrap().is_empty(),
        "held by A"
    );
    // A's lease lapsed (A crashed): B takes the URLs over; A's report is void.
    let later = now + LEASE + 1;
    assert_eq!(
        sorted(q.claim("B", later, later + LEASE, 100).unwrap()),
        both
    );
    assert_eq!(q.submitted("A", &both).unwrap(), 0);
    assert_eq!(q.submitted("B", &[url("c-1")]).unwrap(), 1);
    // c-2 is written again while B sends it: B's report leaves it queued.
    b.store.upsert(&[article("c-2", "Deux bis")]).unwrap();
    assert_eq!(q.submitted("B", &[url("c-2")]).unwrap(), 0);
    assert_eq!(
        q.claim("C", later, later + LEASE, 100).unwrap(),
        [url("c-2")]
    );
    assert_eq!(q.submitted("C", &[url("c-2")]).unwrap(), 1);
    assert_eq!(q.queued().unwrap(), 0);
    // The limit bounds a claim.
    let many: Vec<Article> = (0..5).map(|i| article(&format!("m-{i}"), "M")).collect();
    b.store.upsert(&many).unwrap();
    let later = ms(Utc::now() + TimeDelta::seconds(1));
    assert_eq!(q.claim("D", later, later + LEASE, 3).unwrap().len(), 3);
    assert_eq!(q.claim("E", later, later + LEASE, 3).unwrap().len(), 2);
}

fn the_queue_follows_publication_deletion_and_embargo(b: &Backend) {
    let q = b.store.submissions();
    let now = Utc::now();
    b.store.upsert(&[article("before", "Avant")]).unwrap();
    assert_eq!(q.queued().unwrap(), 0, "nothing queued before enable()");
    q.enable().unwrap();
    let hour = TimeDelta::hours(1);
    b.store
        .upsert(&[
            with("pub", "published", now - hour),
            with("draft", "draft", now - hour),
            with("embargo", "published", now + hour),
        ])
        .unwrap();
    let t = ms(now + TimeDelta::seconds(1));
    assert_eq!(q.claim("A", t, t + LEASE, 100).unwrap(), [url("pub")]);
    q.submitted("A", &[url("pub")]).unwrap();
    // The embargoed URL is due at its lifting.
    let lifted = ms(now + hour + TimeDelta::seconds(1));
    assert_eq!(
        q.claim("A", lifted, lifted + LEASE, 100).unwrap(),
        [url("embargo")]
    );
    q.submitted("A", &[url("embargo")]).unwrap();
    // Deleting a published article queues its URL; deleting a draft does not.
    assert!(b.store.delete("pub").unwrap());
    assert!(b.store.delete("draft").unwrap());
    // Unpublishing queues the URL; a draft edited again does not.
    b.store
        .upsert(&[with("embargo", "draft", now + hour)])
        .unwrap();
    b.store
        .upsert(&[with("draft2", "draft", now - hour)])
        .unwrap();
    b.store
        .upsert(&[with("draft2", "draft", now - TimeDelta::minutes(1))])
        .unwrap();
    // A write by another program counts (the triggers fill the queue).
    (b.raw)("UPDATE articles SET title = 'Changé' WHERE id = 'before'");
    let t = ms(now + hour + TimeDelta::seconds(2));
    assert_eq!(
        sorted(q.claim("B", t, t + LEASE, 100).unwrap()),
        [url("before"), url("embargo"), url("pub")]
    );
}

fn pruning_drops_what_was_due_and_queued_before_the_retention(b: &Backend) {
    let q = b.store.submissions();
    q.enable().unwrap();
    let now = Utc::now();
    b.store
        .upsert(&[
            with("old", "published", now - TimeDelta::hours(2)),
            with("future", "published", now + TimeDelta::days(3)),
        ])
        .unwrap();
    // Queued now: a cut-off an hour ago keeps both.
    assert_eq!(q.prune(ms(now - TimeDelta::hours(1))).unwrap(), 0);
    // A cut-off after the write drops the one due before it, keeps the embargo.
    assert_eq!(q.prune(ms(Utc::now() + TimeDelta::hours(1))).unwrap(), 1);
    let lifted = ms(now + TimeDelta::days(4));
    assert_eq!(
        q.claim("A", lifted, lifted + LEASE, 10).unwrap(),
        [url("future")]
    );
}

both_backends!(
    claims_are_exclusive_leased_and_cleared_by_a_newer_write,
    the_queue_follows_publication_deletion_and_embargo,
    pruning_drops_what_was_due_and_queued_before_the_retention,
);
