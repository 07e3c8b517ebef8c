//! Rows to model values, shared by every backend: a row written by another
//! program goes through the same validation and cleaning as an imported record,
//! whatever is read of it (metadata for the index, links for sitemaps, or the
//! whole article), so an invalid row is left out of every document alike.

use super::{BadRow, Change, Departure, LinkRow, MetaRow, UpsertCounts};
use crate::model::{self, Article, FieldError, Status, store_time};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The text columns of an `articles` row, in schema order.
pub(crate) struct ArticleColumns {
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) title: String,
    pub(crate) summary: Option<String>,
    pub(crate) content_html: Option<String>,
    pub(crate) authors: String,
    pub(crate) section: Option<String>,
    pub(crate) tags: String,
    pub(crate) published_at: String,
    pub(crate) updated_at: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) status: String,
}

/// Validates a row as a record of article-format.md.
pub(crate) fn article(c: ArticleColumns) -> Result<Article, BadRow> {
    let mut map = Map::new();
    let mut errors = Vec::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            map.insert(k.to_owned(), Value::String(v));
        }
    };
    put("id", Some(c.id.clone()));
    put("url", Some(c.url));
    put("title", Some(c.title));
    put("summary", c.summary);
    put("content_html", c.content_html);
    put("section", c.section);
    put("published_at", Some(c.published_at));
    put("updated_at", c.updated_at);
    put("language", c.language);
    put("status", Some(c.status));
    for (key, text) in [
        ("authors", Some(c.authors)),
        ("tags", Some(c.tags)),
        ("image", c.image),
    ] {
        match text.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(v)) => _ = map.insert(key.to_owned(), v),
            Some(Err(e)) => errors.push(FieldError {
                field: key.into(),
                reason: format!("column is not JSON: {e}"),
            }),
            None => {}
        }
    }
    match model::from_json(&map) {
        Ok(article) if errors.is_empty() => Ok(article),
        Ok(_) => Err(BadRow { id: c.id, errors }),
        Err(mut e) => {
            errors.append(&mut e);
            Err(BadRow { id: c.id, errors })
        }
    }
}

/// What the index needs of a valid article.
pub(crate) fn meta(a: Article) -> MetaRow {
    MetaRow {
        draft: a.status == Status::Draft,
        id: a.id,
        published_at: a.published_at,
        updated_at: a.updated_at,
        section: a.section,
        authors: a.authors,
        tags: a.tags,
    }
}

/// Rows checked at once on rayon's pool while the next ones are read.
const CHECK_BATCH: usize = 1024;

/// Validates the rows `read` yields into metadata on other threads (rayon's
/// pool, through a thread of its own) while `read` goes on, and hands each to
/// `visit`, or to `bad`, in the order read, on the calling thread. At most two
/// batches are in flight, so memory stays bounded whatever the table's size.
/// A start-up's index load was one thread reading, validating and indexing in
/// turn; validation was half of it.
pub(crate) fn check_meta_in_order<E>(
    read: impl FnOnce(&mut dyn FnMut(ArticleColumns)) -> Result<(), E>,
    visit: &mut dyn FnMut(MetaRow),
    bad: &mut dyn FnMut(BadRow),
) -> Result<(), E> {
    use rayon::prelude::*;
    type Checked = Vec<Result<MetaRow, BadRow>>;
    let (to_check, checking) = std::sync::mpsc::channel::<Vec<ArticleColumns>>();
    let (to_visit, checked) = std::sync::mpsc::channel::<Checked>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for batch in checking {
                let out: Checked = (batch.into_par_iter())
                    .map(|c| article(c).map(meta))
                    .collect();
                if to_visit.send(out).is_err() {
                    return;
                }
            }
        });
        let mut hand_over = |out: Checked| {
            out.into_iter().for_each(|r| match r {
                Ok(m) => visit(m),
                Err(b) => bad(b),
            })
        };
        let mut in_flight = 0;
        let mut send = |batch: Vec<ArticleColumns>| {
            if in_flight == 2 {
                hand_over(checked.recv().expect("the checking thread lives"));
                in_flight -= 1;
            }
            to_check.send(batch).expect("the checking thread lives");
            in_flight += 1;
        };
        let mut batch = Vec::with_capacity(CHECK_BATCH);
        let result = read(&mut |c| {
            batch.push(c);
            if batch.len() == CHECK_BATCH {
                send(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(CHECK_BATCH),
                ));
            }
        });
        if result.is_ok() && !batch.is_empty() {
            send(batch);
        }
        drop(to_check); // the checking thread ends with the last batch
        if result.is_ok() {
            checked.iter().for_each(&mut hand_over);
        }
        result
    })
}

/// What sitemaps need of a valid article.
pub(crate) fn link(a: Article) -> LinkRow {
    LinkRow {
        image_url: a.image.map(|i| i.url),
        id: a.id,
        url: a.url,
        title: a.title,
        language: a.language,
        published_at: a.published_at,
        updated_at: a.updated_at,
    }
}

/// The column values an upsert writes, in schema order, then the digest: dates as
/// stored text, lists and the image as JSON text.
pub(crate) struct StoredValues<'a> {
    pub(crate) id: &'a str,
    pub(crate) url: &'a str,
    pub(crate) title: &'a str,
    pub(crate) summary: Option<&'a str>,
    pub(crate) content_html: Option<&'a str>,
    pub(crate) authors: String,
    pub(crate) section: Option<&'a str>,
    pub(crate) tags: String,
    pub(crate) published_at: String,
    pub(crate) updated_at: String,
    pub(crate) language: Option<&'a str>,
    pub(crate) image: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) digest: &'a str,
}

impl<'a> StoredValues<'a> {
    /// The values of `a`, whose [`Article::digest`] is `digest`.
    pub(crate) fn of(a: &'a Article, digest: &'a str) -> StoredValues<'a> {
        StoredValues {
            id: &a.id,
            url: &a.url,
            title: &a.title,
            summary: a.summary.as_deref(),
            content_html: a.content_html.as_deref(),
            authors: json(&a.authors),
            section: a.section.as_deref(),
            tags: json(&a.tags),
            published_at: store_time(a.published_at),
            updated_at: store_time(a.updated_at),
            language: a.language.as_deref(),
            image: a.image.as_ref().map(json),
            status: a.status.as_str(),
            digest,
        }
    }
}

/// JSON text of a column value (lists and the image); plain data cannot fail to serialise.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Which records of an upsert batch must be written, and the counts: `stored`
/// holds the stored digest of each id that exists (`None` inside: a row written by
/// another program, always rewritten). A batch naming an id twice: its second
/// record updates the first.
pub(crate) fn plan_upsert(
    articles: &[Article],
    digests: &[String],
    mut stored: HashMap<String, Option<String>>,
) -> (UpsertCounts, Vec<usize>) {
    let mut counts = UpsertCounts::default();
    let mut writes = Vec::new();
    for (i, (a, digest)) in articles.iter().zip(digests).enumerate() {
        match stored.insert(a.id.clone(), Some(digest.clone())) {
            Some(Some(d)) if d == *digest => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.inserted += 1,
        }
        writes.push(i);
    }
    (counts, writes)
}

/// The columns of a change-log entry, dates as RFC 3339 text.
pub(crate) struct ChangeColumns {
    pub(crate) seq: i64,
    pub(crate) article_id: String,
    pub(crate) op: String,
    pub(crate) at: String,
    pub(crate) old_section: Option<String>,
    pub(crate) old_authors: Option<String>,
    pub(crate) old_tags: Option<String>,
    pub(crate) old_published_at: Option<String>,
}

/// A change-log entry, parsed once. `at` is kept to the second (an HTTP date's
/// resolution); a date that does not parse (written by hand) reads as 1970.
pub(crate) fn change(c: ChangeColumns) -> Change {
    let time = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .ok()
            .and_then(|t| DateTime::from_timestamp(t.timestamp(), 0))
    };
    let names = |text: Option<String>| -> Vec<String> {
        text.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    };
    let left = c.old_authors.is_some().then(|| Departure {
        section: c.old_section,
        authors: names(c.old_authors),
        tags: names(c.old_tags),
        published_at: c.old_published_at.as_deref().and_then(time),
    });
    Change {
        seq: c.seq as u64,
        article_id: c.article_id,
        at: time(&c.at).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        left,
        truncate: c.op == "truncate",
    }
}
