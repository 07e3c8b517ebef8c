//! The judges: each format's own rules, run on many documents at once and
//! reporting every failure instead of stopping at the first.
//! - RSS 2.0: the `rss` crate's validation (URLs, RFC 2822 dates, enclosures, MIME
//!   types), GUIDs that are not permalinks, dates in UTC;
//! - Atom 1.0: the RFC 4287 RELAX NG grammar and its Schematron rules, with `jing`;
//! - JSON Feed 1.1: the JSON Schema with format checks on, with python `jsonschema`
//!   (`tests/tools/jsonfeed_check.py`);
//! - sitemaps: `xmllint --schema` against the sitemaps.org schemas and Google's
//!   extensions, offline through the schemas' XML catalog (Google News' rules are
//!   in `news_rules.rs`);
//! - every feed format: an item's categories are distinct by slug.
//!
//! Schemas are vendored in `tests/schemas/` (origins in its README). External tools
//! run once per batch of files, not once per document. A missing tool fails the
//! test with the command that installs it (scripts/test.sh installs them).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use syndic::model::slug::slugify;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// Files per run of an external tool (keeps command lines short).
const BATCH: usize = 400;

/// What one judge said about a set of documents.
#[derive(Debug)]
pub struct Verdict {
    pub judge: &'static str,
    pub checked: usize,
    /// One line per problem: `path: what`.
    pub failures: Vec<String>,
}

impl Verdict {
    /// Documents with at least one problem.
    pub fn failed_documents(&self) -> usize {
        let paths: HashSet<&str> = self
            .failures
            .iter()
            .map(|f| f.split(": ").next().unwrap_or(f))
            .collect();
        paths.len()
    }
}

/// The vendored schemas (`tests/schemas/`).
pub fn schemas() -> PathBuf {
    crate::common::manifest_dir().join("tests/schemas")
}

/// Runs a checker: (success, stdout, stderr). Panics, saying how to install it,
/// when it cannot run.
fn run(tool: &str, install: &str, cmd: &mut Command) -> (bool, String, String) {
    match cmd.output() {
        Ok(out) => (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Err(e) => panic!(
            "{tool} is required for this test and could not run ({e}); install it: {install} \
             (or run scripts/test.sh)"
        ),
    }
}

/// The lines of a tool's output that name one of `files`, as failures; a failed
/// run that names none of them is a failure of the whole batch.
fn failures_naming(files: &[PathBuf], ok: bool, output: &str) -> Vec<String> {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut out: Vec<String> = output
        .lines()
        .filter_map(|line| {
            let name = names.iter().find(|n| line.starts_with(n.as_str()))?;
            Some(format!(
                "{name}: {}",
                line[name.len()..].trim_start_matches(':')
            ))
        })
        .collect();
    if !ok && out.is_empty() {
        out.push(format!("{}: the checker failed:\n{output}", names[0]));
    }
    out
}

/// `jing SCHEMA FILE…` in batches. Debian's jing warns about optional jars on
/// stderr; problems are reported on stdout.
fn jing(judge: &'static str, schema: &str, files: &[PathBuf]) -> Verdict {
    let mut failures = Vec::new();
    for batch in files.chunks(BATCH) {
        let (ok, stdout, _) = run(
            "jing",
            "apt-get install jing",
            Command::new("jing").arg(schemas().join(schema)).args(batch),
        );
        failures.extend(failures_naming(batch, ok, &stdout));
    }
    Verdict {
        judge,
        checked: files.len(),
        failures,
    }
}

/// Atom feeds against the RFC 4287 RELAX NG grammar.
pub fn atom_grammar(files: &[PathBuf]) -> Verdict {
    jing("Atom RELAX NG (RFC 4287)", "atom/atom.rng", files)
}

/// Atom feeds against the RFC 4287 Schematron rules.
pub fn atom_rules(files: &[PathBuf]) -> Verdict {
    jing("Atom Schematron (RFC 4287)", "atom/atom.sch", files)
}

/// JSON feeds against the JSON Feed 1.1 schema, formats checked.
pub fn json_feed(files: &[PathBuf]) -> Verdict {
    let mut failures = Vec::new();
    for batch in files.chunks(BATCH) {
        let (ok, stdout, stderr) = run(
            "python3 with jsonschema",
            "pip install jsonschema",
            Command::new("python3")
                .arg(crate::common::manifest_dir().join("tests/tools/jsonfeed_check.py"))
                .arg(schemas().join("jsonfeed"))
                .args(batch),
        );
        failures.extend(failures_naming(batch, ok, &format!("{stdout}{stderr}")));
    }
    Verdict {
        judge: "JSON Feed 1.1 schema",
        checked: files.len(),
        failures,
    }
}

/// RSS feeds through the `rss` crate's validation, plus syndic's GUID and date rules.
pub fn rss(files: &[PathBuf]) -> Verdict {
    use rss::validation::Validate;
    let mut failures = Vec::new();
    for path in files {
        let mut fail = |what: String| failures.push(format!("{}: {what}", path.display()));
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let channel = match rss::Channel::read_from(&bytes[..]) {
            Ok(c) => c,
            Err(e) => {
                fail(format!("does not parse: {e}"));
                continue;
            }
        };
        // The crate wants length > 0; an unknown length is "0" by decision (issue 2,
        // as WordPress and the RSS Best Practices Profile do), so only that is waived.
        let mut checked = channel.clone();
        for item in &mut checked.items {
            if let Some(e) = item.enclosure.as_mut().filter(|e| e.length == "0") {
                e.length = "1".into();
            }
        }
        if let Err(e) = checked.validate() {
            fail(e.to_string());
        }
        for item in channel.items() {
            if item.guid().is_none_or(|g| g.is_permalink()) {
                fail(format!(
                    "{:?}: the GUID must not be a permalink",
                    item.link()
                ));
            }
            if !item.pub_date().is_some_and(|d| d.ends_with("+0000")) {
                fail(format!("{:?}: pubDate must be in UTC", item.link()));
            }
        }
    }
    Verdict {
        judge: "RSS 2.0 (rss crate validation)",
        checked: files.len(),
        failures,
    }
}

/// Every item of every feed (RSS, Atom or JSON Feed, told by the file name) has
/// categories distinct by slug.
pub fn distinct_categories(files: &[PathBuf]) -> Verdict {
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        let items = match categories_per_item(path, &text) {
            Ok(items) => items,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if items.is_empty() && (text.contains("<item>") || text.contains("<entry>")) {
            failures.push(format!(
                "{}: the judge found none of its items",
                path.display()
            ));
        }
        for (item, names) in items {
            let mut slugs = HashSet::new();
            if let Some(dup) = names.iter().find(|n| !slugs.insert(slugify(n))) {
                failures.push(format!(
                    "{}: item {item}: category {dup:?} repeated in {names:?}",
                    path.display()
                ));
            }
        }
    }
    Verdict {
        judge: "item categories distinct by slug",
        checked: files.len(),
        failures,
    }
}

/// (item id, category names) of each item of a feed.
fn categories_per_item(path: &Path, text: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    if path.extension().is_some_and(|e| e == "json") {
        let feed: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let items = feed["items"].as_array().cloned().unwrap_or_default();
        return Ok(items
            .iter()
            .map(|i| {
                let tags = i["tags"].as_array().cloned().unwrap_or_default();
                let names = tags.iter().filter_map(|t| t.as_str().map(str::to_owned));
                (i["id"].to_string(), names.collect())
            })
            .collect());
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let atom = doc.root_element().has_tag_name((ATOM_NS, "feed"));
    let (ns, item, id) = if atom {
        (ATOM_NS, "entry", "id")
    } else {
        ("", "item", "guid")
    };
    // RSS elements have no namespace (which `has_tag_name(("", …))` does not match).
    let is = |n: &roxmltree::Node, name: &str| {
        n.tag_name().name() == name && n.tag_name().namespace().unwrap_or("") == ns
    };
    let children = |n: roxmltree::Node, name: &str| -> Vec<String> {
        let named = n.children().filter(|c| is(c, name));
        let values = named.filter_map(|c| {
            if atom && name == "category" {
                c.attribute("term")
            } else {
                c.text()
            }
        });
        values.map(str::to_owned).collect()
    };
    Ok(doc
        .descendants()
        .filter(|n| is(n, item))
        .map(|n| {
            let id = children(n, id).into_iter().next().unwrap_or_default();
            (id, children(n, "category"))
        })
        .collect())
}

/// Sitemap files (urlsets and indexes, told by their root element) against the
/// sitemaps.org schemas with Google's extensions.
pub fn sitemap_schemas(files: &[PathBuf]) -> Verdict {
    let (mut indexes, mut urlsets) = (Vec::new(), Vec::new());
    for file in files {
        let body = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if crate::common::is_sitemap_index(&body) {
            indexes.push(file.clone());
        } else {
            urlsets.push(file.clone());
        }
    }
    let mut failures = Vec::new();
    for (xsd, group) in [
        ("urlset-all.xsd", &urlsets),
        ("siteindex-all.xsd", &indexes),
    ] {
        for batch in group.chunks(BATCH) {
            failures.extend(xmllint(xsd, batch).err().unwrap_or_default());
        }
    }
    Verdict {
        judge: "sitemap XSD (xmllint)",
        checked: files.len(),
        failures,
    }
}

/// `xmllint --schema xsd` on the files: Ok, or the failures (one line per file
/// that does not say "validates", with xmllint's output).
pub fn xmllint(xsd: &str, files: &[PathBuf]) -> Result<(), Vec<String>> {
    if files.is_empty() {
        return Ok(());
    }
    let dir = schemas().join("sitemap");
    let (ok, _, stderr) = run(
        "xmllint",
        "apt-get install libxml2-utils",
        Command::new("xmllint")
            .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
            .args(["--noout", "--nonet", "--schema"])
            .arg(dir.join(xsd))
            .args(files),
    );
    // Belt and braces: one "validates" line per file, whatever the exit status says.
    let failures: Vec<String> = files
        .iter()
        .filter(|f| !stderr.contains(&format!("{} validates", f.display())))
        .map(|f| {
            let name = f.display().to_string();
            let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&name)).collect();
            format!("{name}: {xsd}: {}", lines.join(" | "))
        })
        .collect();
    match (ok, failures.is_empty()) {
        (true, true) => Ok(()),
        (false, true) => Err(vec![format!("xmllint failed:\n{stderr}")]),
        _ => Err(failures),
    }
}
