//! What a record may hold (its fields, their limits, the error type) and the
//! checks of single values validation shares: names, languages, MIME types, URLs.

use super::clean;
use super::slug::slugify;
use serde_json::Value;
use std::fmt;

/// One thing wrong with one field of a record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field, e.g. `published_at` or `image.url`; `(record)` for the whole line.
    pub field: String,
    /// What is wrong and what is expected.
    pub(crate) reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Most authors or tags on one article (each becomes a feed).
pub(crate) const MAX_NAMES: usize = 64;
/// Longest author, tag or section name.
pub(crate) const MAX_NAME_CHARS: usize = 200;
/// Longest text field, in bytes (Google News takes articles up to 1 MB).
pub(crate) const MAX_TEXT_BYTES: usize = 2 << 20;
/// Longest record, in bytes of JSON: a few text fields at their limit, with room
/// for escapes. An import line over it is refused without being read into memory.
pub const MAX_RECORD_BYTES: usize = 8 << 20;

pub(super) const FIELDS: &[&str] = &[
    "id",
    "url",
    "title",
    "summary",
    "content_html",
    "authors",
    "section",
    "tags",
    "published_at",
    "updated_at",
    "language",
    "image",
    "status",
];

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

/// Longest URL, percent-encoded (sitemaps refuse longer ones).
pub(crate) const MAX_URL_CHARS: usize = 2048;

/// `text` as an absolute http(s) URL, written as a strict URI; or why not. The
/// host must be a DNS name or an address, the URI at most [`MAX_URL_CHARS`].
pub(super) fn http_url(text: &str) -> Result<String, String> {
    let url =
        url::Url::parse(text).map_err(|e| format!("{text:?} is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        let scheme = url.scheme();
        return Err(format!(
            "{text:?} has scheme {scheme:?}; expected http or https"
        ));
    }
    if let Some(url::Host::Domain(host)) = url.host() {
        let dns = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if !host.chars().all(dns) {
            let why = "letters, digits, '-', '.' and '_' only";
            return Err(format!("{text:?}: host {host:?} is not a DNS name ({why})"));
        }
    }
    let uri = super::clean::strict_uri(&url);
    if uri.len() > MAX_URL_CHARS {
        let why = format!("at most {MAX_URL_CHARS}, the sitemaps' limit");
        return Err(format!("is {} characters long as a URI; {why}", uri.len()));
    }
    Ok(uri)
}

/// Whether an unknown key can stand as the field named in an error.
pub(super) fn is_field_like(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::http_url;

    #[test]
    fn urls_need_a_dns_host_and_fit_a_sitemap() {
        assert_eq!(
            http_url("https://www.actu.example.ma/a]").unwrap(),
            "https://www.actu.example.ma/a%5D"
        );
        assert!(
            http_url("https://www{actu.example&ma/a")
                .unwrap_err()
                .contains("not a DNS name")
        );
        assert!(
            http_url("ftp://actu.ma/")
                .unwrap_err()
                .contains("expected http or https")
        );
        let long = format!("https://actu.ma/{}", "é".repeat(700));
        assert!(http_url(&long).unwrap_err().contains("at most 2048"));
        assert!(http_url("http://[::1]:8080/x").is_ok());
    }
}
