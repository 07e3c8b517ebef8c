//! Validation of one article record, field by field, collecting every error.

pub(crate) use super::fields::FieldError;
pub use super::fields::MAX_RECORD_BYTES;
use super::fields::{FIELDS, MAX_NAME_CHARS, MAX_NAMES, MAX_TEXT_BYTES};
use super::fields::{
    clean_names, guess_image_type, http_url, is_field_like, is_language_tag, is_mime, kind,
};
use super::{Article, Image, Status, clean};
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Map, Value};

/// Parses and validates one JSON text (an import line or an API body).
pub fn from_json_str(text: &str) -> Result<Article, Vec<FieldError>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => from_json(&map),
        Ok(_) => Err(vec![err("(record)", "expected a JSON object")]),
        Err(e) => Err(vec![err("(record)", &format!("not valid JSON: {e}"))]),
    }
}

/// Validates one record; on failure returns every field error found.
pub fn from_json(map: &Map<String, Value>) -> Result<Article, Vec<FieldError>> {
    let mut v = Validator {
        map,
        errors: Vec::new(),
    };
    v.unknown_fields();
    let id = v.id();
    let url = v.http_url("url", map.get("url"), true);
    let title = v.title();
    let summary = v
        .opt_string("summary")
        .map(clean::text)
        .filter(|s| !s.is_empty());
    let content_html = v
        .opt_string("content_html")
        .map(clean::text)
        .filter(|s| !s.is_empty());
    let authors = v.names("authors");
    let section = v
        .opt_string("section")
        .map(clean::line)
        .filter(|s| !s.is_empty());
    let tags = v.names("tags");
    let published_at = v.date("published_at", true);
    let updated_at = v.date("updated_at", false);
    let language = v.language();
    let image = v.image();
    let status = v.status();
    if let (Some(p), Some(u)) = (published_at, updated_at)
        && u < p
    {
        v.fail(
            "updated_at",
            "is before published_at; an update cannot precede first publication",
        );
    }
    match (v.errors.is_empty(), id, url, title, published_at) {
        (true, Some(id), Some(url), Some(title), Some(published_at)) => Ok(Article {
            id,
            url,
            title,
            summary,
            content_html,
            authors,
            section,
            tags,
            published_at,
            updated_at: updated_at.unwrap_or(published_at),
            language,
            image,
            status,
        }),
        _ => Err(v.errors),
    }
}

fn err(field: &str, reason: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

struct Validator<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Validator<'a> {
    fn fail(&mut self, field: &str, reason: &str) {
        self.errors.push(err(field, reason));
    }

    /// Unknown keys, reported once however many there are (a record of a
    /// million keys must not answer with a million errors).
    fn unknown_fields(&mut self) {
        let known = FIELDS.join(", ");
        let mut unknown = self.map.keys().filter(|k| !FIELDS.contains(&k.as_str()));
        let Some(first) = unknown.next() else { return };
        match unknown.count() {
            // A key that reads as a field name is named as one; any other
            // (empty, spaces, controls, very long) is quoted in the reason.
            0 if is_field_like(first) => {
                self.fail(first, &format!("unknown field; known fields are {known}"))
            }
            0 => self.fail(
                "(record)",
                &format!("unknown field {first:?}; known fields are {known}"),
            ),
            more => self.fail(
                "(record)",
                &format!(
                    "{} unknown fields ({first:?} and {more} more); known fields are {known}",
                    more + 1
                ),
            ),
        }
    }

    /// The string `field` holds, borrowed (the cleaning makes the one copy kept).
    fn opt_string(&mut self, field: &str) -> Option<&'a str> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.len() > MAX_TEXT_BYTES => {
                self.fail(
                    field,
                    &format!(
                        "is {} bytes long; at most {MAX_TEXT_BYTES} are accepted",
                        s.len()
                    ),
                );
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                self.fail(field, &format!("expected a string, found {}", kind(other)));
                None
            }
        }
    }

    fn required_string(&mut self, field: &str) -> Option<&'a str> {
        let found = self.opt_string(field);
        if found.is_none() && !self.errors.iter().any(|e| e.field == field) {
            self.fail(field, "is required");
        }
        found
    }

    fn id(&mut self) -> Option<String> {
        let id = self.required_string("id")?;
        let chars = id.chars().count();
        if id.trim() != id || id.chars().any(char::is_control) {
            self.fail(
                "id",
                "must not contain control characters or surrounding spaces",
            );
        } else if !(1..=200).contains(&chars) {
            self.fail(
                "id",
                &format!("must be 1 to 200 characters long, found {chars}"),
            );
        } else {
            return Some(id.to_owned());
        }
        None
    }

    fn title(&mut self) -> Option<String> {
        let title = clean::line(self.required_string("title")?);
        if title.is_empty() {
            self.fail("title", "is empty after trimming; a headline is required");
            return None;
        }
        Some(title)
    }

    fn http_url(&mut self, field: &str, value: Option<&Value>, required: bool) -> Option<String> {
        let text = match value {
            None | Some(Value::Null) if required => {
                self.fail(field, "is required");
                return None;
            }
            None | Some(Value::Null) => return None,
            Some(Value::String(s)) => s.trim(),
            Some(other) => {
                self.fail(
                    field,
                    &format!(
                        "expected an absolute http(s) URL string, found {}",
                        kind(other)
                    ),
                );
                return None;
            }
        };
        match http_url(text) {
            Ok(uri) => Some(uri),
            Err(reason) => {
                self.fail(field, &reason);
                None
            }
        }
    }

    /// A list of display names, cleaned, distinct by slug, first spelling kept.
    fn names(&mut self, field: &str) -> Vec<String> {
        let items = match self.map.get(field) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.fail(
                    field,
                    &format!("expected an array of strings, found {}", kind(other)),
                );
                return Vec::new();
            }
        };
        if items.len() > MAX_NAMES {
            self.fail(
                field,
                &format!(
                    "has {} entries; at most {MAX_NAMES} are accepted",
                    items.len()
                ),
            );
            return Vec::new();
        }
        let mut raw = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) if s.chars().count() > MAX_NAME_CHARS => self.fail(
                    &format!("{field}[{i}]"),
                    &format!("is longer than {MAX_NAME_CHARS} characters"),
                ),
                Value::String(s) => raw.push(s.as_str()),
                _ => self.fail(
                    &format!("{field}[{i}]"),
                    &format!("expected a string, found {}", kind(item)),
                ),
            }
        }
        clean_names(raw)
    }

    fn date(&mut self, field: &str, required: bool) -> Option<DateTime<Utc>> {
        let text = if required {
            self.required_string(field)?
        } else {
            self.opt_string(field)?
        };
        match DateTime::parse_from_rfc3339(text.trim()) {
            // Whole seconds: what the store keeps and the formats show.
            Ok(t) if (1..=9999).contains(&t.with_timezone(&Utc).year()) => {
                Some(t.with_timezone(&Utc).with_nanosecond(0).unwrap_or_default())
            }
            Ok(_) => {
                self.fail(field, &format!("{text:?} is outside the years 1 to 9999"));
                None
            }
            Err(e) => {
                self.fail(field, &format!(
                    "{text:?} is not an RFC 3339 date-time with offset ({e}); e.g. 2019-10-24T09:40:00+01:00"));
                None
            }
        }
    }

    fn language(&mut self) -> Option<String> {
        let lang = self.opt_string("language")?;
        let lang = lang.trim();
        if is_language_tag(lang) {
            Some(lang.to_owned())
        } else {
            self.fail(
                "language",
                &format!("{lang:?} is not a BCP 47 language tag such as \"fr\" or \"ar-MA\""),
            );
            None
        }
    }

    fn status(&mut self) -> Status {
        match self.opt_string("status").map(str::trim) {
            None | Some("published") => Status::Published,
            Some("draft") => Status::Draft,
            Some(other) => {
                self.fail(
                    "status",
                    &format!("{other:?} is not \"published\" or \"draft\""),
                );
                Status::Published
            }
        }
    }

    fn image(&mut self) -> Option<Image> {
        let obj = match self.map.get("image") {
            None | Some(Value::Null) => return None,
            Some(Value::Object(obj)) => obj,
            Some(other) => {
                self.fail(
                    "image",
                    &format!(
                        "expected an object {{url, type?, width?, height?, caption?}}, found {}",
                        kind(other)
                    ),
                );
                return None;
            }
        };
        for key in obj
            .keys()
            .filter(|k| !["url", "type", "width", "height", "caption"].contains(&k.as_str()))
        {
            self.fail(
                &format!("image.{key}"),
                "unknown field; known fields are url, type, width, height, caption",
            );
        }
        let url = self.http_url("image.url", obj.get("url"), true);
        let mime_type = self.image_type(obj.get("type"), url.as_deref());
        let width = self.dimension("image.width", obj.get("width"));
        let height = self.dimension("image.height", obj.get("height"));
        let caption = match obj.get("caption") {
            Some(Value::String(s)) => Some(clean::line(s)).filter(|s| !s.is_empty()),
            None | Some(Value::Null) => None,
            Some(other) => {
                self.fail(
                    "image.caption",
                    &format!("expected a string, found {}", kind(other)),
                );
                None
            }
        };
        Some(Image {
            url: url?,
            mime_type: mime_type?,
            width,
            height,
            caption,
        })
    }

    fn image_type(&mut self, value: Option<&Value>, url: Option<&str>) -> Option<String> {
        match value {
            Some(Value::String(t)) if is_mime(t.trim()) => Some(t.trim().to_ascii_lowercase()),
            None | Some(Value::Null) => Some(guess_image_type(url.unwrap_or("")).to_owned()),
            Some(other) => {
                self.fail(
                    "image.type",
                    &format!("{other} is not a MIME type such as \"image/jpeg\""),
                );
                None
            }
        }
    }

    fn dimension(&mut self, field: &str, value: Option<&Value>) -> Option<u32> {
        match value {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=100_000).contains(&n)) => {
                n.as_u64().map(|n| n as u32)
            }
            Some(other) => {
                self.fail(
                    field,
                    &format!("{other} is not a whole number of pixels from 1 to 100000"),
                );
                None
            }
        }
    }
}
