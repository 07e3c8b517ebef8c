//! The directory of feeds at scale: past 1,000 feeds a running service
//! renders it at most every 5 s (each write's own documents are served at
//! once); what a pass leaves owed is rendered when due, with no further
//! write, and before a stop, so the mirror and its manifest hold it.

use crate::support::{
    Options, Server, record, samples_as_of, sql_connection, sql_insert, wait_for,
};
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// Minutes before the servers' clock.
fn ago(minutes: i64) -> DateTime<Utc> {
    samples_as_of() - TimeDelta::minutes(minutes)
}

/// A server whose store has 1,100 more tag feeds than the samples.
fn server_with_many_feeds() -> Server {
    let server = Server::start(Options::default());
    let mut conn = sql_connection(&server);
    let tx = conn.transaction().unwrap();
    for n in 0..1_100 {
        let tag = format!("Sujet {n}");
        let rec = record(
            &format!("nombreux-{n}"),
            "Maroc",
            &[&tag],
            &["S.A"],
            ago(600),
        );
        sql_insert(&tx, &rec);
    }
    tx.commit().unwrap();
    wait_for("the 1,100 tag feeds", Duration::from_secs(120), || {
        (server.get("/tags/sujet-1099/feed.xml").status == 200).then_some(())
    });
    server
}

fn opml_lists(server: &Server, slug: &str) -> bool {
    server
        .text("/feeds.opml")
        .contains(&format!("/tags/{slug}/feed.xml"))
}

#[test]
fn an_owed_directory_is_rendered_when_due_and_before_a_stop() {
    let server = server_with_many_feeds();
    wait_for(
        "the directory lists the new feeds",
        Duration::from_secs(15),
        || opml_lists(&server, "sujet-1099").then_some(()),
    );
    // A write right after the directory's last rendering: its feed at once,
    // the directory within the interval, without another write.
    let rec = record("rythme-1", "Maroc", &["Rythme Un"], &["S.A"], ago(5));
    assert_eq!(server.put(&rec).status, 201);
    assert_eq!(server.get("/tags/rythme-un/feed.xml").status, 200);
    wait_for("the owed directory", Duration::from_secs(15), || {
        opml_lists(&server, "rythme-un").then_some(())
    });
    // Another, then a stop: the directory it owes is on disk.
    let rec = record("rythme-2", "Maroc", &["Rythme Deux"], &["S.A"], ago(4));
    assert_eq!(server.put(&rec).status, 201);
    let dir = server.stop_keeping_dir();
    let on_disk = std::fs::read_to_string(dir.path().join("feeds").join("feeds.opml")).unwrap();
    assert!(
        on_disk.contains("/tags/rythme-deux/feed.xml"),
        "the directory owed at the stop is mirrored"
    );
    // And the next start, from the manifest, serves it.
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert!(opml_lists(&server, "rythme-deux"));
}
