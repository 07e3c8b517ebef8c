//! Checks of single values shared by validation: names, languages, MIME types.

use super::clean;
use super::slug::slugify;
use serde_json::Value;

/// Cleans display names (authors, tags): one line each, empty ones dropped,
/// distinct by slug with the first spelling kept.
pub(crate) fn clean_names<'a>(raw: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut slugs = std::collections::HashSet::new();
    for name in raw.into_iter().map(clean::line).filter(|n| !n.is_empty()) {
        if slugs.insert(slugify(&name)) {
            names.push(name);
        }
    }
    names
}

pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A BCP 47 language tag: a 2–3 letter primary subtag, then subtags of 1–8
/// letters or digits (the rule for articles and for `site.language`).
pub(crate) fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

pub(super) fn is_mime(t: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    matches!(t.split_once('/'), Some((a, b)) if token(a) && token(b))
}

pub(super) fn guess_image_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match path.rsplit('.').next() {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        _ => "image/jpeg",
    }
}
