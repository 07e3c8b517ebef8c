//! Feed archives (RFC 5005, issue 14): from every feed's current document, in
//! each format, walking back through `prev-archive` (JSON Feed: `next_url`)
//! yields every visible article of the feed exactly once: the ids collected
//! equal the store's visible articles of that feed, with no duplicate. Checked
//! on a generated corpus (`bench/gen_corpus.py`, spanning a change of month,
//! feeds of 5 items, pages of 20 so that busy months split by day), then after
//! rounds of random changes through the live path (adds, retags, section
//! moves, unpublishing, deletes, an embargo lifted by moving a
//! [`ManualClock`]). Every archive page carries `<fh:archive/>` and a `current`
//! link, its `next-archive` leads back to where the walk came from, and only
//! closed pages (with a newer page) are marked for the long cache.
//!
//! Also: deleting an article of a closed month changes only that month's
//! archive pages (in each of its feeds), and the golden archive pages.

use crate::common;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use syndic::config::Config;
use syndic::model::{Article, Status, slug::slugify};
use syndic::publish::{Encoding, Snapshot};
use syndic::store::Store;
use syndic::watch::{ManualClock, Watcher};

/// When the corpus is generated and built: its 6 days span November and December.
const NOW: &str = "2026-12-03T12:00:00Z";
const FH: &str = "http://purl.org/syndication/history/1.0";

/// The fixture configuration with 5 items per feed and pages of 20 articles.
fn config(dir: &Path) -> Config {
    let text = common::config_text_in(dir).replace(
        "items = 50",
        "items = 5\n\n[archives]\npage_items = 20\ncache_seconds = 604800",
    );
    assert!(
        text.contains("page_items = 20"),
        "fixture lost `items = 50`"
    );
    Config::from_toml(&dir.join("config.toml"), &text, std::iter::empty()).expect("config")
}

/// A store of `n` generated articles under `dir`.
fn corpus_store(dir: &Path, n: usize) -> Arc<dyn Store> {
    let corpus = dir.join("corpus.jsonl");
    let generator = common::manifest_dir().join("bench/gen_corpus.py");
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--n", &n.to_string(), "--seed", "14", "--now", NOW])
        .arg("--out")
        .arg(&corpus)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("python3 {} could not run: {e}", generator.display()));
    assert!(status.success(), "{} failed", generator.display());
    let store = common::fresh_store(dir);
    let text = std::fs::read_to_string(&corpus).expect("corpus");
    let (summary, report) = common::import_text(&store, &text, "corpus.jsonl");
    assert_eq!(summary.rejected, 0, "{report}");
    Arc::new(store)
}

/// Every stored article.
fn stored(store: &dyn Store) -> Vec<Article> {
    let mut ids = Vec::new();
    store
        .scan_meta(&mut |row| ids.push(row.id), &mut |_| {})
        .expect("scan");
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    store.articles(&ids).expect("read articles")
}

/// Per feed folder (`""`, `sections/maroc/`…), the GUIDs of its visible
/// articles, computed from the store alone.
fn expected(
    config: &Config,
    store: &dyn Store,
    now: DateTime<Utc>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut feeds: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in stored(store) {
        if a.status != Status::Published || a.published_at > now {
            continue;
        }
        let guid = syndic::render::guid(&config.site, &a.id);
        let mut dirs = vec![String::new()];
        dirs.extend(
            a.section
                .iter()
                .map(|s| format!("sections/{}/", slugify(s))),
        );
        dirs.extend(a.tags.iter().map(|t| format!("tags/{}/", slugify(t))));
        dirs.extend(a.authors.iter().map(|n| format!("authors/{}/", slugify(n))));
        for dir in dirs {
            feeds.entry(dir).or_default().insert(guid.clone());
        }
    }
    feeds
}

/// What one document says: its ids, and its archive links and mark.
#[derive(Debug, Default)]
struct Page {
    ids: Vec<String>,
    links: HashMap<String, String>,
    archive_mark: bool,
}

fn read_xml(body: &str, format: &str) -> Page {
    let doc = roxmltree::Document::parse(body).expect("well-formed XML");
    let root = match format {
        "feed.xml" => doc.descendants().find(|n| n.has_tag_name("channel")),
        _ => Some(doc.root_element()),
    }
    .expect("channel or feed");
    let mut page = Page::default();
    for n in root.children().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "link" => {
                if let (Some(rel), Some(href)) = (n.attribute("rel"), n.attribute("href")) {
                    page.links.insert(rel.to_owned(), href.to_owned());
                }
            }
            "archive" if n.tag_name().namespace() == Some(FH) => page.archive_mark = true,
            "item" | "entry" => {
                let id = n
                    .children()
                    .find(|c| c.has_tag_name("guid") || c.has_tag_name("id"))
                    .and_then(|c| c.text())
                    .expect("an id");
                page.ids.push(id.to_owned());
            }
            _ => {}
        }
    }
    page
}

fn read_json(body: &str) -> Page {
    let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let mut page = Page::default();
    if let Some(next) = v["next_url"].as_str() {
        page.links.insert("prev-archive".into(), next.to_owned());
    }
    let items = v["items"].as_array().expect("items");
    page.ids = items
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect();
    page
}

/// Follows the archive chain of the feed in `dir`, format `file`, from its
/// current document; returns the ids collected in order and the pages visited.
fn walk(
    config: &Config,
    snapshot: &Snapshot,
    out: &Path,
    dir: &str,
    file: &str,
) -> (Vec<String>, usize) {
    let public = config.site.public_url.to_string();
    let current = format!("{dir}{file}");
    let mut path = current.clone();
    let (mut ids, mut pages, mut came_from): (Vec<String>, usize, Option<String>) =
        (vec![], 0, None);
    loop {
        let artifact = snapshot
            .get(&path)
            .unwrap_or_else(|| panic!("{path}: linked, not published"));
        let body = artifact.load(Encoding::Identity, out).expect("body");
        let text = std::str::from_utf8(&body).expect("UTF-8");
        let page = match file {
            "feed.json" => read_json(text),
            _ => read_xml(text, file),
        };
        let is_archive = path != current;
        if file != "feed.json" {
            assert_eq!(
                page.archive_mark, is_archive,
                "{path}: <fh:archive/> iff an archive page"
            );
            if is_archive {
                assert_eq!(
                    page.links.get("current"),
                    Some(&format!("{public}{current}")),
                    "{path}: current"
                );
                let next = page
                    .links
                    .get("next-archive")
                    .map(|u| u.trim_start_matches(&public).to_owned());
                let expected_next = came_from.clone().filter(|c| *c != current);
                assert_eq!(next, expected_next, "{path}: next-archive leads back");
            }
        }
        assert_eq!(
            artifact.long_cache(),
            is_archive && came_from.as_deref() != Some(current.as_str()),
            "{path}: only closed archive pages are cached long"
        );
        ids.extend(page.ids);
        pages += 1;
        let Some(prev) = page.links.get("prev-archive") else {
            return (ids, pages);
        };
        let prev = prev
            .strip_prefix(&public)
            .expect("a URL of ours")
            .to_owned();
        assert!(
            prev.starts_with(&format!("{dir}archive/")),
            "{path}: prev-archive {prev} outside the feed"
        );
        came_from = Some(path);
        path = prev;
        assert!(pages < 10_000, "{dir}{file}: the chain loops");
    }
}

/// Walks every feed in every format and compares with the store. Returns
/// the number of archive pages visited.
fn check_every_feed(
    config: &Config,
    store: &dyn Store,
    watcher: &Watcher,
    out: &Path,
    now: DateTime<Utc>,
) -> usize {
    let snapshot = watcher.publisher().snapshot();
    let want = expected(config, store, now);
    let published: BTreeSet<String> = snapshot
        .artifacts()
        .filter(|a| a.path.ends_with("feed.xml") && !a.path.contains("archive/"))
        .map(|a| a.path.trim_end_matches("feed.xml").to_owned())
        .collect();
    let want_dirs: BTreeSet<String> = want.keys().cloned().collect();
    assert_eq!(published, want_dirs, "the feeds published are the store's");
    let mut archive_pages = 0;
    for (dir, guids) in &want {
        for file in ["feed.xml", "atom.xml", "feed.json"] {
            let (ids, pages) = walk(config, &snapshot, out, dir, file);
            archive_pages += pages - 1;
            let distinct: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(
                distinct.len(),
                ids.len(),
                "{dir}{file}: an article seen twice in the walk"
            );
            assert_eq!(
                &distinct, guids,
                "{dir}{file}: the walk differs from the store"
            );
        }
    }
    archive_pages
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One round of random changes written to the store; returns what it did.
fn change_round(store: &dyn Store, rng: &mut Rng, round: usize, now: DateTime<Utc>) -> Vec<String> {
    let all = stored(store);
    let names = [
        "Maroc",
        "Iran",
        "Sport",
        "Casablanca",
        "Énergie nouvelle",
        "Tanger",
    ];
    let mut did = Vec::new();
    for n in 0..6 {
        let mut a = all[rng.below(all.len())].clone();
        match rng.below(6) {
            0 => {
                a.id = format!("new-{round}-{n}");
                a.url = format!("https://www.example.ma/new-{round}-{n}.html");
                a.published_at = now - TimeDelta::hours(rng.below(24 * 6) as i64);
                a.updated_at = a.published_at;
                a.status = Status::Published;
                did.push(format!("add {}", a.id));
            }
            1 => {
                a.tags = vec![
                    names[rng.below(names.len())].to_owned(),
                    names[rng.below(3)].to_owned(),
                ];
                a.tags.dedup();
                did.push(format!("retag {}", a.id));
            }
            2 => {
                a.section = Some(names[rng.below(names.len())].to_owned());
                did.push(format!("move {}", a.id));
            }
            3 => {
                a.status = Status::Draft;
                did.push(format!("unpublish {}", a.id));
            }
            4 => {
                store.delete(&a.id).expect("delete");
                did.push(format!("delete {}", a.id));
                continue;
            }
            _ => {
                a.id = format!("embargo-{round}-{n}");
                a.published_at = now + TimeDelta::hours(1);
                a.updated_at = a.published_at;
                a.status = Status::Published;
                did.push(format!("embargo {}", a.id));
            }
        }
        store.upsert(&[a]).expect("upsert");
    }
    did
}

#[test]
fn walking_prev_archive_yields_every_visible_article_once_before_and_after_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = Arc::new(config(tmp.path()));
    let store = corpus_store(tmp.path(), 600);
    let mut now: DateTime<Utc> = NOW.parse().expect("NOW");
    let clock = Arc::new(ManualClock::new(now));
    let out = tmp.path().join("feeds");
    let mut watcher = common::start_watcher(&config, store.clone(), clock.clone(), &out);
    let pages = check_every_feed(&config, &*store, &watcher, &out, now);
    assert!(
        pages > 100,
        "the corpus has archive pages to walk ({pages})"
    );
    let mut rng = Rng(0x5005);
    for round in 0..5 {
        let did = change_round(&*store, &mut rng, round, now);
        // Half an hour later, then past every embargo set so far.
        now += TimeDelta::minutes(if round % 2 == 0 { 30 } else { 120 });
        clock.set(now);
        watcher.pass();
        assert!(
            watcher.retrying().is_empty(),
            "round {round} ({did:?}): units to retry"
        );
        check_every_feed(&config, &*store, &watcher, &out, now);
    }
}

/// Paths whose artifact differs between two generations (new, changed or gone).
fn changed_paths(before: &Snapshot, after: &Snapshot) -> BTreeSet<String> {
    let paths: BTreeSet<String> = before
        .artifacts()
        .chain(after.artifacts())
        .map(|a| a.path.clone())
        .collect();
    paths
        .into_iter()
        .filter(|p| match (before.get(p), after.get(p)) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            _ => true,
        })
        .collect()
}

#[test]
fn deleting_an_article_of_a_closed_month_changes_only_that_months_pages() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = Arc::new(config(tmp.path()));
    let store = corpus_store(tmp.path(), 600);
    let now: DateTime<Utc> = NOW.parse().expect("NOW");
    let clock = Arc::new(ManualClock::new(now));
    let out = tmp.path().join("feeds");
    let mut watcher = common::start_watcher(&config, store.clone(), clock.clone(), &out);
    // The oldest visible article: November, archived in every feed it is in.
    let mut visible: Vec<Article> = stored(&*store)
        .into_iter()
        .filter(|a| a.status == Status::Published && a.published_at <= now)
        .collect();
    visible.sort_by_key(|a| (a.published_at, a.id.clone()));
    let victim = visible[1].clone();
    let month = victim.published_at.format("%Y-%m").to_string();
    assert_eq!(month, "2026-11");
    let before = watcher.publisher().snapshot();
    store.delete(&victim.id).expect("delete");
    watcher.pass();
    let after = watcher.publisher().snapshot();
    let changed = changed_paths(&before, &after);
    let archive_changes: Vec<&String> = changed.iter().filter(|p| p.contains("archive/")).collect();
    assert!(!archive_changes.is_empty(), "the article's pages changed");
    for path in &archive_changes {
        let label = path
            .split("archive/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .expect("label");
        assert!(
            label.starts_with(&month),
            "{path} changed, outside {month}: {changed:?}"
        );
    }
    // One page per feed of the article, in three formats; when that page
    // vanished (the article was its only one: small hour pages make that
    // common), the pages on either side of it too (their links change).
    let feeds = 1 + victim.section.iter().count() + victim.tags.len() + victim.authors.len();
    let vanished = archive_changes
        .iter()
        .filter(|p| p.ends_with("/feed.xml") && after.get(p).is_none())
        .count();
    assert!(
        archive_changes.len() <= 3 * (feeds + 2 * vanished),
        "{vanished} pages vanished: {archive_changes:?}"
    );
}

#[test]
fn archive_pages_match_their_golden_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = common::fresh_store(tmp.path());
    common::import_fixture(&store);
    let text = common::config_text_in(tmp.path())
        .replace("items = 50", "items = 2\n\n[archives]\npage_items = 3");
    let config =
        Config::from_toml(&tmp.path().join("c.toml"), &text, std::iter::empty()).expect("config");
    let docs = common::build(&config, &store, common::now());
    let golden = common::manifest_dir().join("tests/golden-archives");
    // The global feed's newest and oldest pages, in three formats.
    let pages: Vec<&(String, Vec<u8>)> = docs
        .iter()
        .filter(|(p, _)| p.starts_with("archive/"))
        .collect();
    assert!(
        pages.len() >= 6,
        "the fixture has at least two archive pages: {pages:?}"
    );
    let chosen = [&pages[..3], &pages[pages.len() - 3..]].concat();
    let updating = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    for (path, body) in chosen {
        let file = golden.join(path);
        if updating {
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(&file, body).expect("write golden");
            continue;
        }
        let expected = std::fs::read(&file).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; UPDATE_GOLDEN=1 cargo test --test it archives:: writes it",
                file.display()
            )
        });
        assert!(
            expected == *body,
            "{path}: {}",
            common::first_difference(&expected, body)
        );
    }
}
