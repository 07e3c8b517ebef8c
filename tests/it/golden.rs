//! Golden tests: every document of a full build of `tests/fixtures/articles.jsonl`
//! at a fixed time, compared byte for byte with `tests/golden/<path>`.
//!
//! One golden file per document (RSS, Atom and JSON Feed of every global,
//! section, tag and author feed; sitemap index, month sitemaps, news sitemap,
//! robots.txt, feeds.opml, index.html). A golden file whose document is no longer
//! produced fails the test too.
//!
//! To accept new output after an intended change, regenerate the files and review
//! the diff before committing it:
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test --test it golden::
//! git diff tests/golden
//! ```

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    common::manifest_dir().join("tests").join("golden")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compares `docs` with the golden folder (or rewrites it under UPDATE_GOLDEN).
fn check_against_golden(docs: &[(String, Vec<u8>)]) {
    let dir = golden_dir();
    if updating() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("clear tests/golden");
        }
        for (path, body) in docs {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&file, body).expect("write golden file");
        }
        eprintln!("rewrote {} golden files in {}", docs.len(), dir.display());
        return;
    }
    let mut problems = Vec::new();
    for (path, body) in docs {
        match std::fs::read(dir.join(path)) {
            Ok(expected) if &expected == body => {}
            Ok(expected) => problems.push(format!(
                "{path}: differs from tests/golden/{path}\n{}",
                common::first_difference(&expected, body)
            )),
            Err(e) => problems.push(format!(
                "{path}: produced, but tests/golden/{path} cannot be read ({e})"
            )),
        }
    }
    for stale in common::files_under(&dir) {
        if !docs.iter().any(|(p, _)| *p == stale) {
            problems.push(format!(
                "tests/golden/{stale}: golden file of a document the build no longer produces"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} golden mismatch(es); if the change is intended, run \
         `UPDATE_GOLDEN=1 cargo test --test it golden::` and review `git diff tests/golden`\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn every_document_matches_its_golden_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = common::build_fixture(tmp.path());
    check_against_golden(&docs);
}

/// The documents the fixture must produce, whatever their bytes: a guard against
/// a golden update that silently dropped a feed.
#[test]
fn the_fixture_produces_the_expected_documents() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = common::build_fixture(tmp.path());
    let paths: Vec<&str> = docs.iter().map(|(p, _)| p.as_str()).collect();
    let feed_dirs = [
        "",
        "sections/maroc/",
        "sections/monde/",
        "sections/economie/",
        "sections/culture/",
        "sections/sport/",
        "tags/etats-unis/",
        "tags/iran/",
        "tags/energie/",
        "authors/s-a/",
        "authors/m-k/",
    ];
    for dir in feed_dirs {
        for file in ["feed.xml", "atom.xml", "feed.json"] {
            let path = format!("{dir}{file}");
            assert!(paths.contains(&path.as_str()), "missing {path}: {paths:#?}");
        }
    }
    for path in [
        "sitemap.xml",
        "sitemaps/2026-10-15.xml",
        "sitemaps/2026-11-29.xml",
        "news-sitemap.xml",
        "robots.txt",
        "feeds.opml",
        "index.html",
    ] {
        assert!(paths.contains(&path), "missing {path}: {paths:#?}");
    }
    // The draft's and the embargoed article's own sections have no visible article.
    for absent in ["sections/politique/", "sections/societe/"] {
        assert!(
            !paths.iter().any(|p| p.starts_with(absent)),
            "{absent} exists: {paths:#?}"
        );
    }
    // Every feed folder has its three documents and nothing else.
    for (path, _) in &docs {
        if let Some(dir) = path.strip_suffix("feed.xml") {
            for file in ["atom.xml", "feed.json"] {
                assert!(
                    paths.contains(&format!("{dir}{file}").as_str()),
                    "{dir}{file}"
                );
            }
        }
    }
}

/// What the fixture's special records must (not) show, checked on the bytes
/// independently of the golden files.
#[test]
fn visibility_rules_hold_in_every_document() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = common::build_fixture(tmp.path());
    let text = |path: &str| -> String {
        let (_, body) = docs
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no {path}"));
        String::from_utf8(body.clone()).expect("UTF-8")
    };
    for (path, body) in &docs {
        let body = String::from_utf8_lossy(body);
        for hidden in ["actu-2006", "brouillon-2006", "actu-2007", "embargo-2007"] {
            assert!(!body.contains(hidden), "{path} shows {hidden}");
        }
    }
    let news = text("news-sitemap.xml");
    for id in ["2001", "2002", "2003", "2005", "2010"] {
        assert!(
            news.contains(&format!("-{id}.html")),
            "news sitemap lacks {id}"
        );
    }
    for id in ["2004", "2008", "2009", "2011"] {
        assert!(
            !news.contains(&format!("-{id}.html")),
            "news sitemap has {id}"
        );
    }
    // The tag's display name: two visible "États-Unis" against one visible
    // "Etats-Unis" (the draft and the embargoed article must not be counted).
    let tag = text("tags/etats-unis/feed.json");
    assert!(tag.contains("\"title\": \"Actu.ma — États-Unis\""), "{tag}");
    // The updated article: lastmod is its update, the feed's date too.
    let month = text("sitemaps/2026-11-25.xml");
    assert!(
        month.contains("<lastmod>2026-11-29T09:15:00Z</lastmod>"),
        "{month}"
    );
}

#[test]
fn builds_are_deterministic() {
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let first = common::build_fixture(a.path());
    let second = common::build_fixture(b.path());
    assert_eq!(paths(&first), paths(&second));
    for ((path, x), (_, y)) in first.iter().zip(&second) {
        assert!(x == y, "{path}: {}", common::first_difference(x, y));
    }
}

/// The documents depend on the records, not on the order they were written in.
#[test]
fn import_order_does_not_change_any_document() {
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let first = common::build_fixture(a.path());
    let store = common::fresh_store(b.path());
    let reversed: String = common::fixture_text("articles.jsonl")
        .lines()
        .rev()
        .map(|l| format!("{l}\n"))
        .collect();
    let (summary, report) = common::import_text(&store, &reversed, "reversed");
    assert_eq!(summary.rejected, 0, "{report}");
    let second = common::build(&common::config(), &store, common::now());
    assert_eq!(paths(&first), paths(&second));
    for ((path, x), (_, y)) in first.iter().zip(&second) {
        assert!(x == y, "{path}: {}", common::first_difference(x, y));
    }
}

fn paths(docs: &[(String, Vec<u8>)]) -> Vec<&str> {
    docs.iter().map(|(p, _)| p.as_str()).collect()
}

/// `syndic import` then `syndic build --now` write the same bytes as the library
/// build, and nothing else, into the output folder.
#[test]
fn the_binary_writes_the_golden_documents() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, common::config_text_in(tmp.path())).expect("write config");
    run(
        &config,
        &[
            "import",
            common::fixture("articles.jsonl").to_str().expect("UTF-8"),
        ],
    );
    run(&config, &["build", "--now", common::NOW]);
    let out = tmp.path().join("feeds");
    let written = common::files_under(&out);
    let lib_tmp = tempfile::tempdir().expect("tempdir");
    let docs = common::build_fixture(lib_tmp.path());
    assert_eq!(written, paths(&docs));
    for (path, body) in &docs {
        let on_disk = std::fs::read(out.join(path)).expect("read written file");
        assert!(
            &on_disk == body,
            "{path}: {}",
            common::first_difference(body, &on_disk)
        );
    }
}

fn run(config: &Path, args: &[&str]) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_syndic"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("SYNDIC_")) {
        cmd.env_remove(key);
    }
    let output = cmd
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run syndic");
    assert!(
        output.status.success(),
        "syndic {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
