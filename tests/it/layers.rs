//! The module map of `src/lib.rs` is true: data flows one way, store → index →
//! render → publish → http, and no module uses a module it may not (a stage
//! never uses a later one). Reads every `src/**/*.rs` and checks each
//! `crate::…` path (and `super::…` that leaves its top module) against the
//! table below. A new top-level module must be added to the table.

use crate::common;
use std::path::{Path, PathBuf};

/// Base modules every module may use.
const BASE: &[&str] = &["model", "config"];

/// Each top-level module and the modules it may use besides [`BASE`].
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("config", &[]),
    ("metrics", &[]),
    // The outbound HTTP client: config only.
    ("outbound", &[]),
    // WebSub pings: what was published, sent out through outbound.
    ("ping", &["outbound", "metrics", "publish", "render"]),
    // The stages, each using only the stages before it.
    ("store", &[]),
    ("index", &["store"]),
    ("render", &["index"]),
    ("publish", &["index", "render"]),
    // http reads published artifacts; its ingest API writes the store, nudges
    // the watch loop (`watch::Nudge`) and counts in metrics; /websub asks the hub.
    (
        "http",
        &[
            "store", "index", "render", "publish", "metrics", "watch", "hub",
        ],
    ),
    // The built-in WebSub hub: subscriptions in the store, diffs rendered from
    // the pipeline's feed heads, sent through the outbound client; its clock
    // is watch's.
    (
        "hub",
        &[
            "store", "index", "render", "pipeline", "metrics", "watch", "outbound",
        ],
    ),
    // Orchestration: wires the stages it names.
    ("import", &["store"]),
    // IndexNow: the store's queue of URLs, sent by the outbound client,
    // counted; its clock is watch's (watch only wakes it through a channel).
    ("indexnow", &["store", "outbound", "metrics", "watch"]),
    ("pipeline", &["store", "index", "render", "publish"]),
    // watch reloads from a full scan and starts from the first full pass (build).
    (
        "watch",
        &["store", "index", "pipeline", "publish", "metrics", "build"],
    ),
    (
        "build",
        &["store", "index", "pipeline", "publish", "import"],
    ),
    // resume restores the mirror and says what to render before serving.
    (
        "resume",
        &["store", "index", "render", "pipeline", "publish", "build"],
    ),
    (
        "serve",
        &[
            "store", "index", "pipeline", "publish", "http", "watch", "build", "metrics", "hub",
            "outbound", "ping", "resume", "indexnow",
        ],
    ),
    (
        "cli",
        &[
            "store", "index", "render", "pipeline", "publish", "http", "watch", "build", "import",
            "serve", "metrics",
        ],
    ),
    ("lib", &[]),
    ("main", &[]),
];

/// HTTP crates, and the only modules that may use them.
const HTTP_CRATES: &[&str] = &["hyper", "hyper_util", "headers", "http"];
const HTTP_USERS: &[&str] = &[
    "http", "outbound", "hub", "indexnow", "serve", "main", "cli",
];

/// Whether a line names `name::…` as a crate (not `crate::name::…` or `x_name::`).
fn uses_crate(line: &str, name: &str) -> bool {
    line.match_indices(&format!("{name}::")).any(|(at, _)| {
        let before = &line[..at];
        !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// The top-level module of a source file, and its module path under the crate.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The top-level modules a line's paths name: `crate::x`, `crate::{x, y}`, and
/// `super::…` chains that climb to the crate root (from `path`, the file's module).
fn named_modules(line: &str, path: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `syndic_crate::`, `$crate::`
        }
        found.extend(heads(&line[at + "crate::".len()..]));
    }
    if let Some(at) = line.find("super::") {
        let mut rest = &line[at..];
        let mut depth = path.len();
        while let Some(next) = rest.strip_prefix("super::") {
            rest = next;
            depth = depth.saturating_sub(1);
        }
        if depth == 0 {
            found.extend(heads(rest));
        }
    }
    found
}

/// The first segment(s) of a path: `x::…` → `x`, `{x, y::z}` → `x`, `y`.
fn heads(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut names = vec![ident(group)];
    let mut depth = 1;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => break,
            '}' => depth -= 1,
            ',' if depth == 1 => names.push(ident(&group[i + 1..])),
            _ => {}
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

/// Every forbidden use in one file's text: `file:line: module may not use x`.
fn violations(file: &str, module: &[String], text: &str) -> Vec<String> {
    let top = module.first().map_or("lib", String::as_str);
    let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == top) else {
        return vec![format!(
            "{file}: module `{top}` is not in tests/it/layers.rs ALLOWED: add it with the modules it may use, and to the map in src/lib.rs"
        )];
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // Unit tests (at the end of a file, by the house's layout) may reach
        // anything, and their `super::` is the file's module, not its parent.
        if line.trim() == "#[cfg(test)]" {
            break;
        }
        if line.trim_start().starts_with("//") {
            continue;
        }
        if !HTTP_USERS.contains(&top) && HTTP_CRATES.iter().any(|c| uses_crate(line, c)) {
            out.push(format!(
                "{file}:{}: `{top}` uses an HTTP crate ({HTTP_CRATES:?}): only {HTTP_USERS:?} may; publish produces complete artifacts and http makes the headers.",
                n + 1
            ));
        }
        for used in named_modules(line, module) {
            if used == top || BASE.contains(&used.as_str()) || allowed.contains(&used.as_str()) {
                continue;
            }
            out.push(format!(
                "{file}:{}: `{top}` uses `crate::{used}`, an edge the map forbids (data flows store → index → render → publish → http); `{top}` may use {BASE:?} and {allowed:?}. Pass the value in from the caller, or move the code to the stage that owns it.",
                n + 1
            ));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("read src/").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_later_stage() {
    let src = common::manifest_dir().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under src/",
        files.len()
    );
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a source file");
        let name = file.strip_prefix(common::manifest_dir()).unwrap_or(file);
        found.extend(violations(
            &name.display().to_string(),
            &module_path(&src, file),
            &text,
        ));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_sees_forbidden_edges_in_every_form() {
    let path_of = |f: &str| module_path(Path::new("src"), Path::new(f));
    let check = |f: &str, text: &str| violations(f, &path_of(f), text);
    assert!(check("src/render/x.rs", "use crate::index::Month;").is_empty());
    assert_eq!(
        check("src/render/x.rs", "use crate::publish::Snapshot;").len(),
        1
    );
    assert_eq!(
        check(
            "src/render/x.rs",
            "use crate::{model::A, publish::B, http};"
        )
        .len(),
        2
    );
    assert_eq!(
        check("src/publish/a.rs", "let x = crate::http::f();").len(),
        1
    );
    assert_eq!(
        check("src/publish/a.rs", "use super::super::http::X;").len(),
        1
    );
    assert!(check("src/publish/a.rs", "use super::super::render::X;").is_empty());
    assert!(check("src/publish/a/b.rs", "use super::super::http::X;").is_empty());
    assert_eq!(check("src/publish/mod.rs", "use super::http::X;").len(), 1);
    assert!(check("src/store/mod.rs", "// see crate::index").is_empty());
    assert_eq!(check("src/newstage.rs", "").len(), 1, "unknown module");
    assert_eq!(
        check("src/publish/a.rs", "use hyper::header::HeaderValue;").len(),
        1
    );
    assert!(check("src/http/a.rs", "use hyper::header::HeaderValue;").is_empty());
    assert!(check("src/serve.rs", "use crate::http::{self, AppState};").is_empty());
}
