//! Feeds with WebSub hubs configured (issue 10): the fixture built with an
//! external hub and the built-in one. The global feed's three documents are
//! compared with golden files in `tests/golden-websub/` (regenerate with
//! `UPDATE_GOLDEN=1 cargo test --test it websub_documents::` and review the
//! diff); every document differs from the hub-less build only by its hub
//! links; and every document passes every judge. The default build (no
//! `[websub]`) is `golden.rs`'s, unchanged.

use crate::common;
use crate::every_document::{build_to, judge_every_file};
use syndic::config::Config;

const EXTERNAL: &str = "https://hub.example.net/";
const BUILTIN: &str = "https://feeds.example.ma/websub";

fn hub_config() -> Config {
    let text = format!(
        "{}\n[websub]\nhubs = [\"{EXTERNAL}\"]\nbuiltin_hub = true\n",
        common::fixture_text("config.toml")
    );
    Config::from_toml(&common::fixture("config.toml"), &text, std::iter::empty())
        .unwrap_or_else(|e| panic!("fixture config with hubs: {e}"))
}

fn build_with_hubs(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let store = common::fresh_store(dir);
    common::import_fixture(&store);
    common::build(&hub_config(), &store, common::now())
}

#[test]
fn the_global_feed_with_hubs_matches_its_golden_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = build_with_hubs(tmp.path());
    let dir = common::manifest_dir().join("tests").join("golden-websub");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    for name in ["feed.xml", "atom.xml", "feed.json"] {
        let (_, body) = docs.iter().find(|(p, _)| p == name).expect("global feed");
        let file = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(&file, body).expect("write golden file");
            continue;
        }
        let expected = std::fs::read(&file).unwrap_or_else(|e| {
            panic!("tests/golden-websub/{name}: {e}; run with UPDATE_GOLDEN=1")
        });
        assert!(
            &expected == body,
            "{name}: differs from tests/golden-websub/{name}; if intended, run \
             `UPDATE_GOLDEN=1 cargo test --test it websub_documents::`\n{}",
            common::first_difference(&expected, body)
        );
    }
}

/// A document of the hub build with its hub links taken out.
fn without_hubs(path: &str, body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    if path.ends_with(".json") {
        let mut json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let hubs = json.as_object_mut().unwrap().remove("hubs").expect("hubs");
        assert_eq!(
            hubs,
            serde_json::json!([{"type": "WebSub", "url": EXTERNAL}, {"type": "WebSub", "url": BUILTIN}]),
            "{path}"
        );
        return serde_json::to_vec(&json).unwrap();
    }
    let mut text = text;
    for (element, hub) in [
        ("atom:link", EXTERNAL),
        ("atom:link", BUILTIN),
        ("link", EXTERNAL),
        ("link", BUILTIN),
    ] {
        text = text.replacen(&format!("<{element} href=\"{hub}\" rel=\"hub\"/>"), "", 1);
    }
    text.into_bytes()
}

#[test]
fn hubs_add_their_links_and_change_nothing_else() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let with = build_with_hubs(a.path());
    let without = common::build_fixture(b.path());
    assert_eq!(with.len(), without.len());
    let mut feeds = 0;
    for ((path, hubbed), (other, plain)) in with.iter().zip(&without) {
        assert_eq!(path, other);
        let is_feed = ["feed.xml", "atom.xml", "feed.json"]
            .iter()
            .any(|f| path.ends_with(f));
        let is_feed_page = path.ends_with("index.html") && path != "feeds/index.html";
        if is_feed_page {
            // A feed's page names the hub a reader may subscribe through.
            let text = String::from_utf8_lossy(hubbed);
            assert!(
                text.contains(BUILTIN),
                "{path} does not name the built-in hub"
            );
            continue;
        }
        if !is_feed {
            assert!(hubbed == plain, "{path} changed");
            continue;
        }
        feeds += 1;
        let text = String::from_utf8_lossy(hubbed);
        assert!(text.contains(EXTERNAL) && text.contains(BUILTIN), "{path}");
        let stripped = without_hubs(path, hubbed);
        let plain = if path.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_slice(plain).unwrap();
            serde_json::to_vec(&v).unwrap()
        } else {
            plain.clone()
        };
        assert!(
            stripped == plain,
            "{path}: {}",
            common::first_difference(&plain, &stripped)
        );
    }
    assert!(feeds >= 33, "{feeds} feed documents");
}

#[test]
fn every_document_with_hubs_passes_every_judge() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = hub_config();
    let store = common::fresh_store(tmp.path());
    common::import_fixture(&store);
    let out = tmp.path().join("feeds");
    build_to(&config, &store, common::now(), &out);
    let verdicts = judge_every_file("fixture with hubs", &out, &config.site, common::now());
    let rss = verdicts
        .iter()
        .find(|v| v.judge.starts_with("RSS"))
        .map_or(0, |v| v.checked);
    assert!(rss >= 11, "{verdicts:?}");
}
