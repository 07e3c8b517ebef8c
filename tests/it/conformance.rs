//! Conformance of the golden documents (the fixture's full output, checked byte for
//! byte by `golden.rs`) with the formats' own rules, through the judges of
//! `judges.rs`: Atom's RFC 4287 grammar and Schematron rules (`jing`), the JSON
//! Feed 1.1 schema (python `jsonschema`), the `rss` crate's validation, and
//! categories distinct by slug in every format. Sitemaps: `sitemap_schema.rs`.
//! Every document of real builds (the demo, a generated corpus): `every_document.rs`.

use crate::judges::{self, Verdict};
use std::path::{Path, PathBuf};

fn golden_files(name: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, name, out);
            } else if path.file_name().is_some_and(|n| n == name) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &crate::common::manifest_dir().join("tests/golden"),
        name,
        &mut out,
    );
    out.sort();
    assert!(
        out.len() >= 4,
        "expected golden {name} files for every kind of feed"
    );
    out
}

fn assert_passes(verdict: Verdict) {
    assert!(
        verdict.failures.is_empty(),
        "{}:\n{}",
        verdict.judge,
        verdict.failures.join("\n")
    );
}

#[test]
fn atom_feeds_match_the_rfc_4287_grammar_and_rules() {
    let files = golden_files("atom.xml");
    assert_passes(judges::atom_grammar(&files));
    assert_passes(judges::atom_rules(&files));
}

#[test]
fn json_feeds_match_the_json_feed_1_1_schema() {
    assert_passes(judges::json_feed(&golden_files("feed.json")));
}

#[test]
fn rss_feeds_pass_the_rss_crates_validation() {
    assert_passes(judges::rss(&golden_files("feed.xml")));
}

#[test]
fn every_item_has_distinct_categories() {
    for name in ["feed.xml", "atom.xml", "feed.json"] {
        assert_passes(judges::distinct_categories(&golden_files(name)));
    }
}
