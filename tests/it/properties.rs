//! Property tests: arbitrary article records (any Unicode, XML-forbidden control
//! characters, U+FFFE/U+FFFF, `]]>`, `<![CDATA[`, markup, quotes, right-to-left
//! scripts, emoji, strings of up to ~20,000 characters) go through
//! `model::from_json_str`, the one way text enters syndic. Every record that
//! validates must render to RSS, Atom and JSON Feed that strict parsers accept
//! and that give back the article's title, GUID and link; sitemaps built from
//! arbitrary rows must parse too.
//!
//! Case counts are kept small so that the suite runs in seconds in debug builds;
//! raise them with `PROPTEST_CASES=2000 cargo test --release --test it properties::`.

use crate::common;

use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Map, Value, json};
use syndic::index::{FeedInfo, FeedKey, FeedKind};
use syndic::model::{Article, clean, from_json, from_json_str, slug::slugify};
use syndic::render::{self, FeedView};
use syndic::store::LinkRow;

/// Small fragments that stress escaping, cleaning and bidirectional text.
const TRICKY: &[&str] = &[
    "]]>",
    "<![CDATA[",
    "]]]]><![CDATA[>",
    "<b>",
    "</p>",
    "<script>alert(1)</script>",
    "&",
    "&amp;",
    "&#0;",
    "&lt;",
    "\"",
    "'",
    "<",
    ">",
    "--",
    "<!--",
    "<?xml version=\"1.0\"?>",
    "مرحبا بالعالم",
    "المغرب",
    "שלום עולם",
    "\u{200F}",
    "\u{202E}",
    "\u{200B}",
    "\u{FEFF}",
    "👍🏽",
    "👨‍👩‍👧",
    "🎬",
    "\r\n",
    "\r",
    "\n",
    "\t",
    " ",
    "\u{85}",
    "\u{2028}",
    "\u{A0}",
    "\u{D7FF}",
    "\u{E000}",
    "\u{FFFD}",
    "\u{10FFFF}",
    "É",
    "e\u{301}",
    "États-Unis",
    "\\",
    "%",
    "%00",
    "{{",
    "null",
];

/// One piece of an arbitrary string.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => any::<char>().prop_map(String::from),
        2 => (0u32..0x20).prop_map(|c| char::from_u32(c).expect("C0 control").to_string()),
        1 => prop::sample::select(vec!['\u{7F}', '\u{80}', '\u{9F}', '\u{FFFE}', '\u{FFFF}'])
            .prop_map(String::from),
        3 => prop::sample::select(TRICKY).prop_map(String::from),
        2 => "[a-zA-Zéèàç0-9 ]{1,12}",
    ]
}

/// An arbitrary string: usually short, sometimes 1,000 to 20,000 characters.
fn text(max_pieces: usize) -> BoxedStrategy<String> {
    let short = prop::collection::vec(piece(), 0..max_pieces).prop_map(|v| v.concat());
    let long = (prop::collection::vec(piece(), 1..6), 1_000usize..20_000).prop_map(|(v, n)| {
        let unit = v.concat();
        unit.chars().cycle().take(n).collect::<String>()
    });
    prop_oneof![12 => short, 1 => long].boxed()
}

/// A title-like string that is usually non-empty after cleaning.
fn title() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (text(24), "[A-Za-zé]{1,8}").prop_map(|(t, w)| format!("{w}{t}")),
        1 => text(24),
    ]
    .boxed()
}

fn id() -> BoxedStrategy<String> {
    prop_oneof![
        8 => "[a-z0-9][a-z0-9-]{0,30}",
        1 => text(12),
        1 => (text(8), "[a-z]{1,4}").prop_map(|(t, w)| format!("{w}{t}{w}")),
    ]
    .boxed()
}

fn http_url() -> BoxedStrategy<String> {
    prop_oneof![
        8 => ("(https?)", "(www\\.actu\\.example\\.ma|exemple\\.ma|xn--mgbc0a9azcg\\.ma|[a-z]{1,10}\\.ma)", text(10))
            // Paths of at most 300 characters: a URL over 2,048 as a URI is refused.
            .prop_map(|(scheme, host, path)| format!("{scheme}://{host}/{}", path.chars().take(300).collect::<String>())),
        1 => ("https://www.actu.example.ma/", text(6), text(6))
            .prop_map(|(base, q, f)| format!("{base}a?{q}#{f}")),
        1 => text(10),
    ]
    .boxed()
}

/// A date-time in RFC 3339 with a random offset (and sometimes garbage).
fn date(base: i64) -> BoxedStrategy<Option<String>> {
    prop_oneof![
        12 => (0i64..90 * 86_400, -12i32..=14, prop::bool::ANY).prop_map(move |(delta, hours, frac)| {
            let t = DateTime::from_timestamp(base + delta, 0).expect("in range");
            let offset = chrono::FixedOffset::east_opt(hours * 3600).expect("offset");
            let secs = if frac {
                chrono::SecondsFormat::Millis
            } else {
                chrono::SecondsFormat::Secs
            };
            Some(t.with_timezone(&offset).to_rfc3339_opts(secs, false))
        }),
        1 => text(8).prop_map(Some),
    ]
    .boxed()
}

fn optional<T: std::fmt::Debug + Clone + 'static>(s: BoxedStrategy<T>) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 2 => s.prop_map(Some)].boxed()
}

fn names() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(
        prop_oneof![3 => text(8), 1 => prop::sample::select(vec!["États-Unis", "Etats-Unis", "S.A", "سعيد العلوي", "!!", "../.."]).prop_map(String::from)],
        0..5,
    )
    .boxed()
}

fn image() -> BoxedStrategy<Value> {
    (
        http_url(),
        optional(
            prop::sample::select(vec![
                "image/jpeg",
                "image/png",
                "IMAGE/WebP",
                "image/svg+xml",
            ])
            .prop_map(String::from)
            .boxed(),
        ),
        optional((1u32..5000).boxed()),
        optional((1u32..5000).boxed()),
        optional(text(16)),
    )
        .prop_map(|(url, ty, w, h, caption)| {
            let mut m = Map::new();
            m.insert("url".into(), json!(url));
            if let Some(t) = ty {
                m.insert("type".into(), json!(t));
            }
            if let Some(w) = w {
                m.insert("width".into(), json!(w));
            }
            if let Some(h) = h {
                m.insert("height".into(), json!(h));
            }
            if let Some(c) = caption {
                m.insert("caption".into(), json!(c));
            }
            Value::Object(m)
        })
        .boxed()
}

/// An arbitrary article record as JSON text.
pub(crate) fn record() -> BoxedStrategy<String> {
    let base = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
        .expect("date")
        .timestamp();
    let core = (
        id(),
        http_url(),
        title(),
        optional(text(40)),
        optional(text(60)),
        names(),
        optional(text(8)),
        names(),
    );
    let rest = (
        date(base),
        optional((0i64..10 * 86_400).boxed()),
        optional(
            prop::sample::select(vec![
                "fr",
                "ar",
                "ar-MA",
                "he",
                "en-US",
                "zh-Hant-TW",
                "fr-FR-x-actu",
            ])
            .prop_map(String::from)
            .boxed(),
        ),
        optional(image()),
        optional(
            prop::sample::select(vec!["published", "draft"])
                .prop_map(String::from)
                .boxed(),
        ),
    );
    (core, rest)
        .prop_map(
            |(
                (id, url, title, summary, content, authors, section, tags),
                (published, later, language, image, status),
            )| {
                let mut m = Map::new();
                m.insert("id".into(), json!(id));
                m.insert("url".into(), json!(url));
                m.insert("title".into(), json!(title));
                if let Some(s) = summary {
                    m.insert("summary".into(), json!(s));
                }
                if let Some(c) = content {
                    m.insert("content_html".into(), json!(c));
                }
                if !authors.is_empty() {
                    m.insert("authors".into(), json!(authors));
                }
                if let Some(s) = section {
                    m.insert("section".into(), json!(s));
                }
                if !tags.is_empty() {
                    m.insert("tags".into(), json!(tags));
                }
                if let Some(p) = &published {
                    m.insert("published_at".into(), json!(p));
                    if let (Some(later), Ok(t)) = (later, DateTime::parse_from_rfc3339(p)) {
                        let u = t + TimeDelta::seconds(later);
                        m.insert("updated_at".into(), json!(u.to_rfc3339()));
                    }
                }
                if let Some(l) = language {
                    m.insert("language".into(), json!(l));
                }
                if let Some(i) = image {
                    m.insert("image".into(), i);
                }
                if let Some(s) = status {
                    m.insert("status".into(), json!(s));
                }
                Value::Object(m).to_string()
            },
        )
        .boxed()
}

pub(crate) fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(cases),
        // No regression files: this crate owns no `proptest-regressions/` folder.
        // A failure prints the minimal input; turn it into a unit test.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

pub(crate) fn site() -> syndic::config::Site {
    common::config().site
}

/// Text with line ends normalised as XML 1.0 §2.11 requires of parsers. The
/// writers put a carriage return in text raw (quick-xml does not write `&#13;`
/// in text, and `description`/`content:encoded` are CDATA, where it cannot be
/// escaped), so a CR of a summary or body reaches readers as LF. Both sides of a
/// comparison are normalised because roxmltree does not normalise a CR that sits
/// next to an entity reference.
fn xml_normalised(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(node: roxmltree::Node, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or("").to_owned())
}

fn all_text(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// Renders one feed of `a` and checks all three documents.
pub(crate) fn check_feed(
    site: &syndic::config::Site,
    info: &FeedInfo,
    a: &Article,
) -> Result<(), TestCaseError> {
    let item = std::sync::Arc::new(
        render::RenderedItem::render(site, a).map_err(|e| TestCaseError::fail(e.to_string()))?,
    );
    let view = FeedView {
        info,
        items: std::slice::from_ref(&item),
        archive: None,
    };
    let docs = render::feed_documents(site, &view, None)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(docs.len(), 4);
    prop_assert!(docs[3].path.ends_with("index.html"));
    let guid = render::guid(site, &a.id);
    let feed_title = view.title(site);

    // RSS 2.0
    let rss_doc = &docs[0];
    let rss_text =
        std::str::from_utf8(&rss_doc.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let parsed = roxmltree::Document::parse(rss_text).map_err(|e| {
        TestCaseError::fail(format!("{}: roxmltree: {e}\n{rss_text}", rss_doc.path))
    })?;
    let channel =
        child(parsed.root_element(), "channel").ok_or_else(|| TestCaseError::fail("no channel"))?;
    let item = child(channel, "item").ok_or_else(|| TestCaseError::fail("no item"))?;
    prop_assert_eq!(child_text(channel, "title"), Some(feed_title.clone()));
    prop_assert_eq!(child_text(item, "title"), Some(a.title.clone()));
    prop_assert_eq!(child_text(item, "guid"), Some(guid.clone()));
    prop_assert_eq!(child_text(item, "link"), Some(a.url.clone()));
    // <description> is HTML to readers: the plain-text summary is HTML-escaped in it.
    let description = child(item, "description").map(|d| all_text(d));
    let unescaped = description.as_deref().map(|d| {
        quick_xml::escape::unescape(d)
            .map(|u| u.into_owned())
            .unwrap_or_default()
    });
    prop_assert_eq!(
        unescaped.as_deref().map(xml_normalised),
        a.summary.as_deref().map(xml_normalised)
    );
    let channel_rs = rss::Channel::read_from(&rss_doc.body[..])
        .map_err(|e| TestCaseError::fail(format!("rss crate: {e}\n{rss_text}")))?;
    prop_assert_eq!(channel_rs.title(), feed_title.as_str());
    prop_assert_eq!(channel_rs.items().len(), 1);
    let it = &channel_rs.items()[0];
    prop_assert_eq!(it.title(), Some(a.title.as_str()));
    prop_assert_eq!(it.link(), Some(a.url.as_str()));
    prop_assert_eq!(it.guid().map(|g| g.value()), Some(guid.as_str()));
    prop_assert_eq!(it.guid().map(|g| g.is_permalink()), Some(false));
    // Section then tags, each name once by slug (a section that is also a tag once).
    let mut slugs = std::collections::HashSet::new();
    let distinct = a
        .section
        .iter()
        .chain(&a.tags)
        .filter(|n| slugs.insert(slugify(n)));
    prop_assert_eq!(it.categories().len(), distinct.count());
    prop_assert_eq!(
        it.dublin_core_ext().map_or(0, |dc| dc.creators().len()),
        a.authors.len()
    );

    // Atom 1.0
    let atom_doc = &docs[1];
    let atom_text =
        std::str::from_utf8(&atom_doc.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let parsed = roxmltree::Document::parse(atom_text).map_err(|e| {
        TestCaseError::fail(format!("{}: roxmltree: {e}\n{atom_text}", atom_doc.path))
    })?;
    let entry =
        child(parsed.root_element(), "entry").ok_or_else(|| TestCaseError::fail("no entry"))?;
    prop_assert_eq!(child_text(entry, "title"), Some(a.title.clone()));
    prop_assert_eq!(child_text(entry, "id"), Some(guid.clone()));
    prop_assert_eq!(
        child_text(entry, "summary").as_deref().map(xml_normalised),
        a.summary.as_deref().map(xml_normalised)
    );
    prop_assert_eq!(
        child_text(entry, "content").as_deref().map(xml_normalised),
        a.content_html.as_deref().map(xml_normalised)
    );
    let feed = atom_syndication::Feed::read_from(&atom_doc.body[..])
        .map_err(|e| TestCaseError::fail(format!("atom_syndication: {e}\n{atom_text}")))?;
    prop_assert_eq!(feed.title.value.as_str(), feed_title.as_str());
    prop_assert_eq!(feed.entries.len(), 1);
    let e = &feed.entries[0];
    prop_assert_eq!(e.title.value.as_str(), a.title.as_str());
    prop_assert_eq!(e.id.as_str(), guid.as_str());
    prop_assert_eq!(
        e.links.first().map(|l| l.href.as_str()),
        Some(a.url.as_str())
    );
    prop_assert_eq!(e.authors.len(), a.authors.len());
    for (person, name) in e.authors.iter().zip(&a.authors) {
        prop_assert_eq!(&person.name, name);
    }

    // JSON Feed 1.1
    let json_doc = &docs[2];
    let jf: Value = serde_json::from_slice(&json_doc.body)
        .map_err(|e| TestCaseError::fail(format!("JSON Feed: {e}")))?;
    prop_assert_eq!(jf["title"].as_str(), Some(feed_title.as_str()));
    let item = &jf["items"][0];
    prop_assert_eq!(item["title"].as_str(), Some(a.title.as_str()));
    prop_assert_eq!(item["id"].as_str(), Some(guid.as_str()));
    prop_assert_eq!(item["url"].as_str(), Some(a.url.as_str()));
    prop_assert_eq!(item["summary"].as_str(), a.summary.as_deref());
    prop_assert_eq!(item["content_html"].as_str(), a.content_html.as_deref());
    prop_assert!(
        item["content_html"].is_string() || item["content_text"].is_string(),
        "JSON Feed items need content_html or content_text"
    );
    Ok(())
}

/// The generator produces mostly valid records, or the properties test little.
#[test]
fn generator_mostly_produces_valid_records() {
    let mut runner = TestRunner::deterministic();
    let strategy = record();
    let total = 200;
    let valid = (0..total)
        .filter(|_| {
            let json = strategy.new_tree(&mut runner).expect("generate").current();
            from_json_str(&json).is_ok()
        })
        .count();
    assert!(
        valid * 100 >= total * 40,
        "only {valid} of {total} generated records validate"
    );
    assert!(
        valid < total,
        "the generator never produces an invalid record"
    );
}

proptest! {
    #![proptest_config(proptest_config(128))]

    /// Validated text is XML-safe and validation is idempotent: an article fed
    /// back through the validator (as a store row is) comes out unchanged.
    #[test]
    fn validation_cleans_and_is_idempotent(json in record()) {
        let Ok(a) = from_json_str(&json) else { return Ok(()) };
        let forbidden = |s: &str| s.chars().any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}'));
        let mut texts = vec![&a.title, &a.url];
        texts.extend(a.summary.iter().chain(&a.content_html).chain(&a.section).chain(&a.authors).chain(&a.tags));
        if let Some(img) = &a.image {
            texts.push(&img.url);
            texts.extend(&img.caption);
        }
        for t in texts {
            prop_assert!(!forbidden(t), "XML-forbidden character left in {t:?}");
        }
        prop_assert!(!a.title.is_empty());
        prop_assert!(!a.title.contains(['\n', '\r', '\t']));
        prop_assert!(a.updated_at >= a.published_at);
        let again = serde_json::to_value(&a).expect("serialise");
        let Value::Object(map) = again else { unreachable!() };
        let b = from_json(&map).map_err(|e| TestCaseError::fail(format!("re-validation failed: {e:?}")))?;
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.digest(), b.digest());
    }

    /// Every valid record renders to feeds that strict parsers accept, with its
    /// title, GUID and link intact, in the global feed and in a term feed.
    #[test]
    fn valid_records_render_to_parseable_feeds(json in record()) {
        let Ok(a) = from_json_str(&json) else { return Ok(()) };
        let site = site();
        let global = FeedInfo { key: FeedKey::GLOBAL, slug: String::new(), name: String::new() };
        check_feed(&site, &global, &a)?;
        let term = a.tags.first().map(|t| (FeedKind::Tag, t))
            .or(a.section.as_ref().map(|s| (FeedKind::Section, s)))
            .or(a.authors.first().map(|n| (FeedKind::Author, n)));
        if let Some((kind, name)) = term {
            let info = FeedInfo { key: FeedKey { kind, term: 0 }, slug: slugify(name), name: name.clone() };
            check_feed(&site, &info, &a)?;
        }
    }

}

proptest! {
    #![proptest_config(proptest_config(64))]

    /// Sitemaps of arbitrary rows (cleaned as the store cleans them) parse, and
    /// give back every URL and title in order.
    #[test]
    fn sitemaps_of_arbitrary_rows_parse(
        rows in prop::collection::vec((text(10), http_url(), title(), optional(prop::sample::select(vec!["fr", "ar", "AR-ma", "zh-Hant", "he", "x"]).prop_map(String::from).boxed()), 0i64..40 * 86_400, 0i64..86_400, optional(http_url())), 1..24)
    ) {
        let base = common::now().timestamp() - 40 * 86_400;
        let rows: Vec<LinkRow> = rows.into_iter().map(|(id, url, title, language, p, u, image)| {
            let published_at = DateTime::from_timestamp(base + p, 0).expect("time");
            LinkRow {
                id,
                url: clean::line(&url),
                title: clean::line(&title),
                language,
                published_at,
                updated_at: published_at + TimeDelta::seconds(u),
                image_url: image.map(|i| clean::line(&i)),
            }
        }).collect();
        let site = site();
        let months = render::sitemaps_by_day(&rows).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut locs = Vec::new();
        for doc in &months {
            let text = std::str::from_utf8(&doc.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let parsed = roxmltree::Document::parse(text)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{text}", doc.path)))?;
            prop_assert_eq!(parsed.root_element().tag_name().name(), "urlset");
            for url in parsed.root_element().children().filter(|n| n.is_element()) {
                locs.push(child_text(url, "loc").unwrap_or_default());
            }
        }
        // Each URL once (two rows at one URL are listed once), first row kept.
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<&LinkRow> = rows.iter().filter(|r| seen.insert(r.url.clone())).collect();
        let urls: Vec<&str> = rows.iter().map(|r| r.url.as_str()).collect();
        prop_assert_eq!(&locs, &urls);

        let all_rows: Vec<LinkRow> = rows.iter().map(|r| (*r).clone()).collect();
        let news = render::news_sitemap(&site, &all_rows).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(news.len(), 1);
        let text = std::str::from_utf8(&news[0].body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = roxmltree::Document::parse(text)
            .map_err(|e| TestCaseError::fail(format!("news: {e}\n{text}")))?;
        let urls: Vec<_> = parsed.root_element().children().filter(|n| n.is_element()).collect();
        prop_assert_eq!(urls.len(), rows.len());
        for (url, row) in urls.iter().zip(rows.iter()) {
            prop_assert_eq!(child_text(*url, "loc").unwrap_or_default(), row.url.clone());
            let news = child(*url, "news").ok_or_else(|| TestCaseError::fail("no news:news"))?;
            prop_assert_eq!(child_text(news, "title").unwrap_or_default(), row.title.clone());
        }

        let refs: Vec<render::SitemapRef> = months.iter().map(|d| render::SitemapRef { path: d.path.clone(), lastmod: d.last_modified }).collect();
        let index = render::sitemap_index(&site, "sitemap.xml", &refs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let text = std::str::from_utf8(&index.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        roxmltree::Document::parse(text).map_err(|e| TestCaseError::fail(format!("index: {e}\n{text}")))?;
    }

    /// The directory documents (OPML, HTML) of feeds with arbitrary names parse.
    #[test]
    fn directory_of_arbitrary_feed_names_parses(names in prop::collection::vec((prop::sample::select(vec![FeedKind::Section, FeedKind::Tag, FeedKind::Author]), text(12)), 0..12)) {
        let site = site();
        let mut feeds = vec![FeedInfo { key: FeedKey::GLOBAL, slug: String::new(), name: String::new() }];
        for (i, (kind, name)) in names.iter().enumerate() {
            let name = clean::line(name);
            if name.is_empty() {
                continue;
            }
            feeds.push(FeedInfo { key: FeedKey { kind: *kind, term: i as u32 }, slug: slugify(&name), name });
        }
        let opml = render::opml(&site, &feeds).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let text = std::str::from_utf8(&opml.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = roxmltree::Document::parse(text).map_err(|e| TestCaseError::fail(format!("opml: {e}\n{text}")))?;
        let outlines = parsed.descendants().filter(|n| n.has_tag_name("outline") && n.attribute("type") == Some("rss")).count();
        prop_assert_eq!(outlines, feeds.len());
        for info in &feeds[1..] {
            let expected = format!("{} — {}", site.title, info.name);
            prop_assert!(parsed.descendants().any(|n| n.attribute("text") == Some(expected.as_str())), "no outline {expected:?}");
        }
        let entries: Vec<render::DirectoryEntry> = feeds.iter().map(|info| render::DirectoryEntry { info: info.clone(), items: 1, last_change: None }).collect();
        let html = render::html_directory(&site, &entries, None);
        let text = std::str::from_utf8(&html.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(text.starts_with("<!DOCTYPE html><html lang=\"fr\""), "{}", &text[..60.min(text.len())]);
        // maud escapes every name: one row per feed, and no name's markup leaks.
        let items = text.matches("<tr>").count() - text.matches("<thead>").count();
        prop_assert_eq!(items, feeds.len());
    }
}
