//! Restarts from the mirror: after a clean stop, `serve` serves the documents
//! its manifest describes (the metric says so) with the very bytes and
//! validators a full pass makes, applies what changed while it was stopped,
//! and falls back to a full pass when the manifest, a file or the settings do
//! not match. Archive pages are restored too, closed ones with their long cache.

use crate::support::{Options, Server, record, samples_as_of, sql_connection, sql_insert};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tempfile::TempDir;

const MANIFEST: &str = ".syndic.manifest";

fn from_manifest(server: &Server) -> f64 {
    server
        .metrics()
        .get("syndic_started_from_manifest", &[])
        .expect("the metric is exposed")
}

/// Every document file under `feeds/` (the mirror), by path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read the output folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if !path.ends_with(MANIFEST) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).expect("read a document"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&dir.join("feeds"), &dir.join("feeds"), &mut out);
    out
}

/// What `server` answers for each path: status, ETag, Last-Modified, body.
fn answers(server: &Server, paths: &[&String]) -> BTreeMap<String, (u16, String, String, Vec<u8>)> {
    paths
        .iter()
        .map(|p| {
            let r = server.get(&format!("/{p}"));
            let header = |n: &str| r.header(n).unwrap_or_default().to_owned();
            let value = (
                r.status,
                header("etag"),
                header("last-modified"),
                r.body.clone(),
            );
            ((*p).clone(), value)
        })
        .collect()
}

type Answers = BTreeMap<String, (u16, String, String, Vec<u8>)>;

/// A start with a full pass on `dir`: its files (complete once it serves) and
/// its answers for each; then a clean stop.
fn full_start(dir: TempDir) -> (TempDir, Answers) {
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(from_manifest(&server), 0.0, "a full pass");
    let on_disk = files(server.dir());
    let got = answers(&server, &on_disk.keys().collect::<Vec<_>>());
    (server.stop_keeping_dir(), got)
}

/// A start from the manifest on `dir`, stopped once its mirror is written;
/// then another, whose answers for every file of that mirror are returned.
fn warm_start(dir: TempDir) -> (TempDir, Answers) {
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(from_manifest(&server), 1.0, "a start from the manifest");
    let dir = server.stop_keeping_dir();
    let on_disk = files(dir.path());
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(
        from_manifest(&server),
        1.0,
        "a clean stop leaves a manifest"
    );
    let got = answers(&server, &on_disk.keys().collect::<Vec<_>>());
    for (path, (status, _, _, body)) in &got {
        assert_eq!(*status, 200, "{path}");
        assert_eq!(body, &on_disk[path], "{path}: served bytes are the file's");
    }
    (server.stop_keeping_dir(), got)
}

#[test]
fn a_restart_serves_the_mirror_with_the_bytes_and_validators_of_a_full_pass() {
    let (dir, full) = full_start(tempfile::tempdir().unwrap());
    assert!(dir.path().join("feeds").join(MANIFEST).exists());
    assert!(full.len() > 20, "{} documents", full.len());
    let (_dir, warm) = warm_start(dir);
    assert_eq!(warm, full, "the mirror served as the full pass served it");
}

#[test]
fn changes_made_while_stopped_are_applied_as_a_full_pass_would() {
    let dir = Server::start(Options::default()).stop_keeping_dir();
    {
        let conn = rusqlite::Connection::open(dir.path().join("db")).unwrap();
        let at = samples_as_of() - chrono::TimeDelta::minutes(5);
        sql_insert(
            &conn,
            &record("nouveau-1", "Sport", &["Nouvelle étiquette"], &["Z.Z"], at),
        );
        let some: String = conn
            .query_row("SELECT id FROM articles WHERE id <> 'nouveau-1' ORDER BY published_at DESC LIMIT 1", [], |r| r.get(0))
            .unwrap();
        conn.execute(
            "UPDATE articles SET section = 'Ailleurs', digest = NULL WHERE id = ?1",
            [&some],
        )
        .unwrap();
        let other: String = conn
            .query_row(
                "SELECT id FROM articles ORDER BY published_at DESC LIMIT 1 OFFSET 3",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute("DELETE FROM articles WHERE id = ?1", [&other])
            .unwrap();
    }
    let (dir, warm) = warm_start(dir);
    let nouveau = &warm["tags/nouvelle-etiquette/feed.xml"];
    assert!(String::from_utf8_lossy(&nouveau.3).contains("nouveau-1"));
    std::fs::remove_file(dir.path().join("feeds").join(MANIFEST)).unwrap();
    let (_dir, full) = full_start(dir);
    assert_eq!(
        warm.keys().collect::<Vec<_>>(),
        full.keys().collect::<Vec<_>>(),
        "the same documents"
    );
    let differ: Vec<&String> = warm.keys().filter(|k| warm[*k] != full[*k]).collect();
    assert!(
        differ.is_empty(),
        "not the same bytes and validators: {differ:?}"
    );
}

#[test]
fn a_corrupt_manifest_a_changed_file_changed_settings_or_a_pruned_log_make_a_full_pass() {
    let dir = Server::start(Options::default()).stop_keeping_dir();
    let feeds = dir.path().join("feeds");
    let full = files(dir.path());
    std::fs::write(feeds.join(MANIFEST), b"{ not a manifest").unwrap();
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(from_manifest(&server), 0.0, "a corrupt manifest");
    let dir = server.stop_keeping_dir();

    let feed = dir.path().join("feeds/feed.xml");
    let mut bytes = std::fs::read(&feed).unwrap();
    bytes.extend_from_slice(b"<!-- not ours -->");
    std::fs::write(&feed, &bytes).unwrap();
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(from_manifest(&server), 0.0, "a file changed");
    assert_eq!(server.get("/feed.xml").body, full["feed.xml"]);
    let dir = server.stop_keeping_dir();
    assert_eq!(std::fs::read(&feed).unwrap(), full["feed.xml"], "rewritten");

    let retitled = |t: String| t.replace("title = \"Actu.ma\"", "title = \"Actu.ma (bis)\"");
    let server = Server::start_in(dir, Options::default(), retitled);
    assert_eq!(from_manifest(&server), 0.0, "the site's title changed");
    assert!(server.text("/feed.xml").contains("Actu.ma (bis)"));
    let dir = server.stop_keeping_dir();

    {
        let conn = rusqlite::Connection::open(dir.path().join("db")).unwrap();
        conn.execute(
            "UPDATE change_log_floor SET seq = (SELECT max(seq) FROM change_log) + 1",
            [],
        )
        .unwrap();
    }
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(
        from_manifest(&server),
        0.0,
        "the log's floor passed the cursor"
    );
    let dir = server.stop_keeping_dir();
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(
        from_manifest(&server),
        1.0,
        "and the next clean restart uses it again"
    );
    drop(sql_connection(&server));
}

#[test]
fn an_upgrade_from_month_sitemaps_replaces_them_with_day_files() {
    // The mirror of an older build: its month files, named in its manifest.
    let dir = Server::start(Options::default()).stop_keeping_dir();
    let feeds = dir.path().join("feeds");
    let old = [
        "sitemaps/2026-11.xml",
        "sitemaps/2026-11-2.xml",
        "sitemaps/2026-10.xml",
    ];
    for path in old {
        std::fs::write(feeds.join(path), b"<urlset/>").unwrap();
    }
    let text = std::fs::read(feeds.join(MANIFEST)).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&text).unwrap();
    manifest["about"]["build"] = "0.0.9 an older build".into();
    std::fs::write(feeds.join(MANIFEST), serde_json::to_vec(&manifest).unwrap()).unwrap();

    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(
        from_manifest(&server),
        0.0,
        "another build's manifest: a full pass"
    );
    for path in old {
        assert!(!feeds.join(path).exists(), "{path} removed");
        assert_eq!(server.get(&format!("/{path}")).status, 404, "{path}");
    }
    let listed = crate::support::locs(&server.text("/sitemap.xml"));
    assert!(listed.len() > 2, "{listed:?}");
    for loc in &listed {
        let path = loc.strip_prefix(crate::support::PUBLIC_URL).unwrap();
        assert!(feeds.join(path).exists(), "{path} written");
        let day = path
            .strip_prefix("sitemaps/")
            .unwrap()
            .strip_suffix(".xml")
            .unwrap();
        assert!(
            chrono::NaiveDate::parse_from_str(&day[..10.min(day.len())], "%Y-%m-%d").is_ok(),
            "{path}: a day file"
        );
    }
}

/// Archive pages survive a start from the manifest (they were removed as
/// units of unknown name, and the index was loaded without archives), and the
/// closed ones keep their long `Cache-Control` (`[archives] cache_seconds`):
/// every document is served after the restart with the `Cache-Control` and
/// ETag the full pass gave it.
#[test]
fn closed_archive_pages_restored_from_the_manifest_keep_the_long_cache() {
    let options = || Options {
        items: 5,
        extra_toml: "\n[archives]\npage_items = 5\ncache_seconds = 604800\n".into(),
        ..Options::default()
    };
    // Each mirrored document: its Cache-Control and ETag.
    let cache_controls = |server: &Server| -> BTreeMap<String, (String, String)> {
        files(server.dir())
            .keys()
            .map(|p| {
                let r = server.get(&format!("/{p}"));
                assert_eq!(r.status, 200, "{p}");
                let header = |n: &str| r.header(n).unwrap_or_default().to_owned();
                (p.clone(), (header("cache-control"), header("etag")))
            })
            .collect()
    };
    let server = Server::start(options());
    assert_eq!(from_manifest(&server), 0.0, "a full pass");
    let full = cache_controls(&server);
    let long: Vec<&String> = full
        .iter()
        .filter(|(_, (c, _))| c.contains("max-age=604800"))
        .map(|(p, _)| p)
        .collect();
    assert!(
        long.iter().any(|p| p.contains("archive/")) && long.iter().all(|p| p.contains("archive/")),
        "closed archive pages, and only they, are cached long: {long:?}"
    );
    // Month and hour pages (`2026-11`, `2026-11-27T12`) are among them: each
    // kind is named in the manifest and found again.
    let labels: BTreeSet<&str> = full
        .keys()
        .filter_map(|p| p.split("archive/").nth(1)?.split('/').next())
        .collect();
    assert!(
        labels.iter().any(|l| l.len() == 7),
        "no month page: {labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.len() == 13 && l.contains('T')),
        "no hour page: {labels:?}"
    );
    let dir = server.stop_keeping_dir();
    let server = Server::start_in(dir, options(), |t| t);
    assert_eq!(from_manifest(&server), 1.0, "a start from the manifest");
    assert_eq!(
        cache_controls(&server),
        full,
        "the archive pages, with the Cache-Control and ETag of the full pass"
    );
    server.shutdown().expect("clean shutdown");
}

/// Milliseconds from the start of `serve` to serving, and to following the store.
fn start_times(server: &Server) -> (f64, f64) {
    let metrics = server.metrics();
    let ms = |name| metrics.get(name, &[]).expect("the metric is exposed");
    (
        ms("syndic_start_serving_milliseconds"),
        ms("syndic_start_following_milliseconds"),
    )
}

/// A start from the mirror serves its documents before the index is loaded
/// and what changed while stopped is rendered (then follows the store as a
/// full pass would); a start without a manifest serves only after its pass.
#[test]
fn a_start_from_the_mirror_serves_before_it_follows_the_store() {
    let dir = Server::start(Options::default()).stop_keeping_dir();
    {
        let conn = rusqlite::Connection::open(dir.path().join("db")).unwrap();
        let at = samples_as_of() - chrono::TimeDelta::minutes(30);
        for n in 0..300 {
            let tags = [format!("Étiquette {}", n % 40)];
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            let id = format!("arrivee-{n}");
            sql_insert(&conn, &record(&id, "Sport", &tags, &["Z.Z"], at));
        }
    }
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(from_manifest(&server), 1.0, "a start from the manifest");
    let (serving, following) = start_times(&server);
    assert!(
        serving < following,
        "served at {serving} ms, before following the store at {following} ms"
    );
    let feed = server.get("/tags/etiquette-7/feed.xml");
    assert_eq!(feed.status, 200, "what changed while stopped is rendered");
    assert!(feed.text().contains("arrivee-7"));
    let dir = server.stop_keeping_dir();
    std::fs::remove_file(dir.path().join("feeds").join(MANIFEST)).unwrap();
    let server = Server::start_in(dir, Options::default(), |t| t);
    assert_eq!(from_manifest(&server), 0.0, "a full pass");
    let (serving, following) = start_times(&server);
    assert!(
        serving >= following,
        "a full pass serves ({serving} ms) once it is done ({following} ms)"
    );
}
