//! The directory of feeds: robots.txt, the OPML outline and the HTML index page.

use super::xml::{self, XmlWriter, text_element};
use super::{DocKind, Document, FeedView, RenderError, paths};
use crate::config::Site;
use crate::index::{FeedInfo, FeedKind};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

/// `robots.txt`: everything allowed, a `Sitemap:` line per sitemap index present.
pub(crate) fn robots(site: &Site, has_sitemap: bool, has_news: bool) -> Document {
    let mut body = String::from("User-agent: *\nAllow: /\n");
    if has_sitemap || has_news {
        body.push('\n');
    }
    for (present, path) in [
        (has_sitemap, paths::SITEMAP_INDEX),
        (has_news, paths::NEWS_SITEMAP),
    ] {
        if present {
            body.push_str(&format!("Sitemap: {}\n", paths::url(site, path)));
        }
    }
    Document {
        path: paths::ROBOTS.into(),
        kind: DocKind::Text,
        body: body.into_bytes(),
        last_modified: None,
        fingerprint: None,
        long_cache: false,
    }
}

fn title(site: &Site, info: &FeedInfo) -> String {
    FeedView {
        info,
        items: &[],
        archive: None,
    }
    .title(site)
}

/// The directory's words in the site's language (French, Arabic, else English):
/// page title suffix, then the four groups of feeds.
fn labels(language: &str) -> (&'static str, [(FeedKind, &'static str); 4]) {
    let words = match language.split('-').next().unwrap_or("") {
        "fr" => [
            "flux",
            "Toute l’actualité",
            "Rubriques",
            "Sujets",
            "Auteurs",
        ],
        "ar" => ["خلاصات", "كل الأخبار", "الأقسام", "المواضيع", "الكتّاب"],
        _ => ["feeds", "All news", "Sections", "Topics", "Authors"],
    };
    let kinds = [
        FeedKind::Global,
        FeedKind::Section,
        FeedKind::Tag,
        FeedKind::Author,
    ];
    (words[0], std::array::from_fn(|i| (kinds[i], words[i + 1])))
}

const FORMATS: [(&str, &str, &str); 3] = [
    (paths::RSS, "application/rss+xml", "RSS"),
    (paths::ATOM, "application/atom+xml", "Atom"),
    (paths::JSON, "application/feed+json", "JSON Feed"),
];

/// `feeds.opml`: every feed (RSS), grouped by kind, for readers to import at once.
pub fn opml(site: &Site, feeds: &[FeedInfo]) -> Result<Document, RenderError> {
    let body = xml::document(paths::OPML, |w| {
        w.write_event(Event::Start(
            BytesStart::new("opml").with_attributes([("version", "2.0")]),
        ))?;
        w.create_element("head")
            .write_inner_content(|w| text_element(w, "title", &site.title))?;
        w.write_event(Event::Start(BytesStart::new("body")))?;
        for (kind, label) in labels(&site.language).1 {
            let group: Vec<&FeedInfo> = feeds.iter().filter(|f| f.key.kind == kind).collect();
            if group.is_empty() {
                continue;
            }
            w.create_element("outline")
                .with_attribute(("text", label))
                .write_inner_content(|w| {
                    for info in group {
                        let t = title(site, info);
                        let url = paths::url(site, &paths::feed_doc(info, paths::RSS));
                        w.create_element("outline")
                            .with_attributes([
                                ("type", "rss"),
                                ("text", t.as_str()),
                                ("title", t.as_str()),
                            ])
                            .with_attributes([
                                ("xmlUrl", url.as_str()),
                                ("htmlUrl", site.home_url.as_str()),
                            ])
                            .write_empty()?;
                    }
                    Ok(())
                })?;
        }
        w.write_event(Event::End(BytesEnd::new("body")))?;
        w.write_event(Event::End(BytesEnd::new("opml")))
    })?;
    Ok(Document {
        path: paths::OPML.into(),
        kind: DocKind::Opml,
        body,
        last_modified: None,
        fingerprint: None,
        long_cache: false,
    })
}

/// `index.html`: a readable list of every feed, with autodiscovery links for the
/// global and section feeds in its head.
pub fn html_index(site: &Site, feeds: &[FeedInfo]) -> Result<Document, RenderError> {
    let mut w = xml::writer(64 * 1024);
    write_html(&mut w, site, feeds).map_err(|e| RenderError::Xml {
        path: paths::HTML_INDEX.into(),
        message: e.to_string(),
    })?;
    let mut body = b"<!DOCTYPE html>\n".to_vec();
    body.extend_from_slice(&w.into_inner());
    body.push(b'\n');
    Ok(Document {
        path: paths::HTML_INDEX.into(),
        kind: DocKind::Html,
        body,
        last_modified: None,
        fingerprint: None,
        long_cache: false,
    })
}

fn write_html(w: &mut XmlWriter, site: &Site, feeds: &[FeedInfo]) -> std::io::Result<()> {
    w.write_event(Event::Start(
        BytesStart::new("html").with_attributes([("lang", site.language.as_str())]),
    ))?;
    w.create_element("head").write_inner_content(|w| {
        w.create_element("meta")
            .with_attribute(("charset", "utf-8"))
            .write_empty()?;
        w.create_element("meta")
            .with_attributes([
                ("name", "viewport"),
                ("content", "width=device-width, initial-scale=1"),
            ])
            .write_empty()?;
        text_element(
            w,
            "title",
            &format!("{} — {}", site.title, labels(&site.language).0),
        )?;
        for info in feeds
            .iter()
            .filter(|f| matches!(f.key.kind, FeedKind::Global | FeedKind::Section))
        {
            let t = title(site, info);
            for (file, mime, _) in FORMATS {
                let href = paths::url(site, &paths::feed_doc(info, file));
                w.create_element("link")
                    .with_attributes([
                        ("rel", "alternate"),
                        ("type", mime),
                        ("title", t.as_str()),
                        ("href", href.as_str()),
                    ])
                    .write_empty()?;
            }
        }
        Ok(())
    })?;
    w.write_event(Event::Start(BytesStart::new("body")))?;
    text_element(w, "h1", &site.title)?;
    text_element(w, "p", &site.description)?;
    for (kind, label) in labels(&site.language).1 {
        let group: Vec<&FeedInfo> = feeds.iter().filter(|f| f.key.kind == kind).collect();
        if !group.is_empty() {
            write_group(w, site, label, &group)?;
        }
    }
    w.write_event(Event::End(BytesEnd::new("body")))?;
    w.write_event(Event::End(BytesEnd::new("html")))
}

fn write_group(
    w: &mut XmlWriter,
    site: &Site,
    label: &str,
    group: &[&FeedInfo],
) -> std::io::Result<()> {
    text_element(w, "h2", label)?;
    w.create_element("ul").write_inner_content(|w| {
        for info in group {
            w.create_element("li").write_inner_content(|w| {
                let name = if info.name.is_empty() {
                    site.title.as_str()
                } else {
                    info.name.as_str()
                };
                w.write_event(Event::Text(BytesText::new(name)))?;
                for (file, mime, label) in FORMATS {
                    let href = paths::url(site, &paths::feed_doc(info, file));
                    w.write_event(Event::Text(BytesText::new(" · ")))?;
                    w.create_element("a")
                        .with_attributes([("href", href.as_str()), ("type", mime)])
                        .write_text_content(BytesText::new(label))?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}
