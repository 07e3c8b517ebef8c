//! The directory of feeds: robots.txt and the OPML outline (the HTML directory
//! is [`super::catalogue`]).

use super::xml::{self, text_element};
use super::{DocKind, Document, FeedView, RenderError, paths};
use crate::config::Site;
use crate::index::{FeedInfo, FeedKind};
use quick_xml::events::{BytesEnd, BytesStart, Event};

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

pub(super) fn title(site: &Site, info: &FeedInfo) -> String {
    FeedView {
        info,
        items: &[],
        archive: None,
    }
    .title(site)
}

/// The four groups of feeds in the site's language, in the order listed.
pub(super) fn labels(language: &str) -> [(FeedKind, &'static str); 4] {
    let groups = super::words::words(language).groups;
    let kinds = [
        FeedKind::Global,
        FeedKind::Section,
        FeedKind::Tag,
        FeedKind::Author,
    ];
    std::array::from_fn(|i| (kinds[i], groups[i]))
}

/// `feeds.opml`: every feed (RSS), grouped by kind, for readers to import at once.
pub fn opml(site: &Site, feeds: &[FeedInfo]) -> Result<Document, RenderError> {
    let body = xml::document(paths::OPML, |w| {
        w.write_event(Event::Start(
            BytesStart::new("opml").with_attributes([("version", "2.0")]),
        ))?;
        w.create_element("head")
            .write_inner_content(|w| text_element(w, "title", &site.title))?;
        w.write_event(Event::Start(BytesStart::new("body")))?;
        for (kind, label) in labels(&site.language) {
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
