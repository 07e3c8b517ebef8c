//! Every document valid for every judge, on real data (issue 9): the demo (the
//! bundled samples seeded the way `serve` seeds them) and a generated corpus of
//! 5,000 articles with the awkward records on top (sections that are also tags,
//! duplicate and case-variant tags, authors without names, empty and null
//! optional fields, Arabic names, long texts, control characters, markup). Each
//! is imported through the real code path, built to disk at a fixed time, and
//! every file produced is judged (`judges.rs`, `news_rules.rs`): RSS by the `rss` crate, Atom by
//! the RFC 4287 grammar and Schematron rules, JSON Feed by its 1.1 schema with
//! format checks, sitemaps by their XSDs and Google News' rules, and every feed
//! item's categories distinct by slug. The corpus' feeds have archive pages
//! (RFC 5005), judged like every feed document. The counts per judge are printed (see
//! them with `--nocapture`); any failure, or a file no judge knows, fails.

use crate::common;
use crate::judges::{self, Verdict};
use crate::news_rules;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use syndic::config::{Config, Site};
use syndic::store::Store;

/// Articles the generator writes for the corpus test.
const CORPUS_ARTICLES: usize = 5_000;
/// Documents no judge here reads: plain text, OPML, the stylesheet, and the HTML
/// pages (`index.html` of every feed folder and of `feeds/`), which the browser
/// test judges (tests/it/browser.rs: axe-core, images, links, layout).
const UNJUDGED: [&str; 2] = ["robots.txt", "feeds.opml"];
const UNJUDGED_SUFFIXES: [&str; 3] = ["index.html", "feed.css", "pages.css"];

/// Runs `f`, printing how long it took.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    println!("{what}: {:.1} s", start.elapsed().as_secs_f64());
    value
}

/// Builds every document into `dir` at `now`.
pub(crate) fn build_to(config: &Config, store: &dyn Store, now: DateTime<Utc>, dir: &Path) {
    let (index, _) = syndic::build::load_index(config, store, now).expect("load the index");
    let report = syndic::build::build_to_disk(config, store, &index, dir).expect("build");
    assert_eq!(report.failures, 0, "documents failed to render");
}

/// Runs every judge on every file under `dir`; prints the counts; fails on any
/// failure or on a file that no judge reads.
pub(crate) fn judge_every_file(
    label: &str,
    dir: &Path,
    site: &Site,
    now: DateTime<Utc>,
) -> Vec<Verdict> {
    let files = common::files_under(dir);
    let named = |suffix: &str| -> Vec<PathBuf> {
        let paths = files.iter().filter(|f| f.ends_with(suffix));
        paths.map(|f| dir.join(f)).collect()
    };
    let (rss, atom, json) = (named("feed.xml"), named("atom.xml"), named("feed.json"));
    let sitemaps: Vec<&String> = files
        .iter()
        .filter(|f| common::is_sitemap_path(f))
        .collect();
    let feeds = [rss.clone(), atom.clone(), json.clone()].concat();
    let unknown: Vec<&String> = files
        .iter()
        .filter(|f| !common::is_sitemap_path(f) && !UNJUDGED.contains(&f.as_str()))
        .filter(|f| !UNJUDGED_SUFFIXES.iter().any(|s| f.ends_with(s)))
        .filter(|f| !feeds.contains(&dir.join(f)))
        .collect();
    assert!(unknown.is_empty(), "{label}: no judge for {unknown:?}");

    let sitemap_docs: Vec<(String, Vec<u8>)> = sitemaps
        .iter()
        .map(|f| {
            (
                (*f).clone(),
                std::fs::read(dir.join(f)).expect("read sitemap"),
            )
        })
        .collect();
    let sitemap_files: Vec<PathBuf> = sitemaps.iter().map(|f| dir.join(f)).collect();
    let news = || {
        let news = news_rules::check(&sitemap_docs, site, now);
        Verdict {
            judge: "Google News rules",
            checked: news.files,
            failures: news.failures,
        }
    };
    let judged: [&(dyn Fn() -> Verdict + Sync); 7] = [
        &|| judges::rss(&rss),
        &|| judges::atom_grammar(&atom),
        &|| judges::atom_rules(&atom),
        &|| judges::json_feed(&json),
        &|| judges::distinct_categories(&feeds),
        &|| judges::sitemap_schemas(&sitemap_files),
        &news,
    ];
    // The judges run side by side (most of them are external processes).
    let (verdicts, timings): (Vec<Verdict>, Vec<Duration>) = std::thread::scope(|s| {
        let running: Vec<_> = judged
            .iter()
            .map(|judge| {
                s.spawn(move || {
                    let start = Instant::now();
                    (judge(), start.elapsed())
                })
            })
            .collect();
        let joined = running.into_iter().map(|j| j.join());
        joined
            .map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .unzip()
    });
    println!("{label}: {} files", files.len());
    for (v, took) in verdicts.iter().zip(&timings) {
        println!(
            "  {:<34} {:>6} documents, {} failed ({:.1} s)",
            v.judge,
            v.checked,
            v.failed_documents(),
            took.as_secs_f64()
        );
    }
    let failures: Vec<String> = verdicts
        .iter()
        .flat_map(|v| v.failures.iter().map(move |f| format!("[{}] {f}", v.judge)))
        .collect();
    assert!(
        failures.is_empty(),
        "{label}: {} problems:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
    verdicts
}

/// The count a judge reported.
fn checked(verdicts: &[Verdict], judge: &str) -> usize {
    let v = verdicts.iter().find(|v| v.judge.starts_with(judge));
    v.map_or(0, |v| v.checked)
}

#[test]
fn the_demo_passes_every_judge() {
    let root = common::manifest_dir();
    let path = root.join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config.toml");
    let seed = root.join("samples/articles.jsonl");
    let env = [(
        "SYNDIC_DEMO__SEED_FILE".to_owned(),
        seed.display().to_string(),
    )];
    let config = Config::from_toml(&path, &text, env.into_iter()).expect("the demo config");
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = common::fresh_store(tmp.path());
    // Any day after seed_as_of: `serve` moves the dates by (now − seed_as_of).
    let now: DateTime<Utc> = "2026-12-03T08:30:00Z".parse().expect("date");
    let summary = syndic::build::seed_if_empty(&config, &store, now)
        .expect("seed")
        .expect("the demo config names a seed");
    assert_eq!(summary.rejected, 0, "{summary}");
    let out = tmp.path().join("feeds");
    build_to(&config, &store, now, &out);
    let verdicts = judge_every_file("demo", &out, &config.site, now);
    assert!(checked(&verdicts, "JSON Feed") >= 39, "{verdicts:?}");
    assert!(checked(&verdicts, "Google News") >= 1, "no news sitemap");
}

#[test]
fn a_generated_corpus_passes_every_judge() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = common::now();
    let corpus = tmp.path().join("corpus.jsonl");
    let generator = common::manifest_dir().join("bench/gen_corpus.py");
    let status = timed("generate", || {
        Command::new("python3")
            .arg(&generator)
            .args(["--n", &CORPUS_ARTICLES.to_string(), "--seed", "9"])
            .args(["--now", common::NOW, "--order", "shuffled"])
            .args(["--tag-variant-rate", "0.2", "--out"])
            .arg(&corpus)
            .stderr(std::process::Stdio::null())
            .status()
    })
    .unwrap_or_else(|e| panic!("python3 {} could not run: {e}", generator.display()));
    assert!(status.success(), "{} failed", generator.display());
    let store = common::fresh_store(tmp.path());
    let text = std::fs::read_to_string(&corpus).expect("corpus");
    let (summary, report) = timed("import", || {
        common::import_text(&store, &text, "corpus.jsonl")
    });
    assert_eq!(summary.rejected, 0, "{report}");
    let (summary, report) = common::import_text(&store, &awkward_records(now), "awkward");
    assert_eq!(summary.rejected, 0, "{report}");

    let config = common::config();
    let out = tmp.path().join("feeds");
    timed("build", || build_to(&config, &store, now, &out));
    let verdicts = judge_every_file("corpus of 5,000", &out, &config.site, now);
    // Feeds of 50 items: the older articles are on archive pages (RFC 5005),
    // judged like every feed document.
    let archive_pages = common::files_under(&out)
        .into_iter()
        .filter(|f| f.starts_with("archive/") || f.contains("/archive/"))
        .count();
    println!("archive pages judged: {archive_pages}");
    assert!(
        archive_pages > 100,
        "the corpus has archive pages ({archive_pages})"
    );
    assert!(checked(&verdicts, "RSS") >= 100, "{verdicts:?}");
    assert!(checked(&verdicts, "Google News") >= 1, "no news sitemap");
}

/// JSON Lines of the records that broke or could break a document, all valid,
/// published in the last hours so that they reach every feed and the news sitemap.
fn awkward_records(now: DateTime<Utc>) -> String {
    let at = |minutes: i64| (now - TimeDelta::minutes(minutes)).to_rfc3339();
    let long_name = "Nom ".repeat(50);
    let mut records = vec![
        // The section is also a tag, in several spellings.
        json!({"section": "Économie", "tags": ["economie", "Énergie", "ÉCONOMIE", "Économie"]}),
        json!({"section": "Maroc", "tags": ["Rabat", "Maroc", "maroc"]}),
        json!({"section": "Monde", "tags": ["Iran", "Iran", "iran", "IRAN"]}),
        // No authors, authors without names, empty and null optional fields.
        json!({"authors": [], "tags": []}),
        json!({"authors": ["", "  ", "\u{1}"], "section": "", "summary": "", "content_html": ""}),
        json!({"authors": null, "tags": null, "section": null, "summary": null,
               "content_html": null, "image": null, "updated_at": null, "language": null}),
        // Arabic names, the section also a tag, another language.
        json!({"title": "المغرب يستضيف قمة إفريقية", "language": "ar", "section": "المغرب",
               "tags": ["المغرب", "الرباط", "Maroc"], "authors": ["محمد العلوي", "S.A"],
               "summary": "ملخص قصير", "content_html": "<p dir=\"rtl\">نص المقال</p>"}),
        json!({"language": "zh-Hant-TW", "tags": ["台灣"], "authors": ["王小明"]}),
        // Long texts, markup-like and control characters.
        json!({"title": format!("<b>Gras</b> & \"guillemets\" ]]> {}", "très long ".repeat(100)),
               "summary": "Résumé\u{1} avec\u{b} contrôles\u{fffe} et <balises> & ]]>".repeat(200),
               "content_html": format!("<p>{}</p><script>x = ']]>'</script>", "Paragraphe. ".repeat(20_000)),
               "authors": [long_name.trim_end()], "tags": ["tab\there", "nul\u{0}tag", "  "]}),
        // Non-ASCII and query-string URLs, an image with every field.
        json!({"url": "https://www.actu.example.ma/économie/été 2026.html?a=1&b=2",
               "image": {"url": "https://static.actu.example.ma/img/photo été.webp?w=800&h=600",
                         "width": 800, "height": 600, "caption": "Légende <i>&</i> crédit ©"}}),
        json!({"image": {"url": "https://static.actu.example.ma/img/sans-extension"}, "updated_at": at(1)}),
    ];
    let mut out = String::new();
    for (i, record) in records.iter_mut().enumerate() {
        let defaults = json!({
            "id": format!("awkward-{i}"),
            "url": format!("https://www.actu.example.ma/awkward/{i}.html"),
            "title": format!("Article difficile {i}"),
            "published_at": at(i as i64 * 7 + 5),
        });
        for (key, value) in defaults.as_object().expect("object") {
            let map = record.as_object_mut().expect("object");
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
        out.push_str(&serde_json::to_string(record).expect("JSON"));
        out.push('\n');
    }
    out
}
