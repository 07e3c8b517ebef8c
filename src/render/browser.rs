//! A feed opened in a browser: the `<?xml-stylesheet type="text/css"?>`
//! instruction RSS and Atom carry, the stylesheet it names (`feed.css`), and
//! the one visible link to the feed's page (an XHTML `<a>`, which browsers
//! render as a link inside any XML document and feed readers ignore as a
//! foreign extension element).
//!
//! Browsers no longer run XSLT (Chromium disables it from M155), so this is CSS
//! only: it shows the feed's title, that link, then each item's title and date.
//! Must not: change what readers parse: the instruction sits in the prolog and
//! the link is an extension element of a namespace no reader uses.

use super::{DocKind, Document, paths};
use crate::config::Site;
use crate::index::FeedInfo;
use quick_xml::events::{BytesPI, Event};
use std::collections::BTreeMap;

/// The XHTML namespace and the prefix the link is written with.
pub(crate) const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";
pub(crate) const XHTML_PREFIX: &str = "html";

/// The stylesheet: everything hidden but the feed's title and description,
/// the link to its page, and each item's title, date and author.
const FEED_CSS: &str = r#"@namespace html url(http://www.w3.org/1999/xhtml);
*{display:none}
rss,feed{display:block;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.5;color:#1a1a1a;background:#fff;max-width:48rem;margin:0 auto;padding:1rem;overflow-wrap:anywhere}
channel,feed{display:flex;flex-direction:column}
channel>title,feed>title{display:block;order:-3;font-size:1.7rem;font-weight:700;line-height:1.2;margin:.5rem 0}
channel>description,feed>subtitle{display:block;order:-2;color:#444}
html|a{display:block;order:-1;margin:1rem 0;padding:.75rem 1rem;background:#f6f7f9;border:1px solid #e2e4e8;border-radius:.5rem;color:#0645ad;font-weight:600}
item,entry{display:block;padding:.75rem 0;border-bottom:1px solid #e5e5e5}
item>title,entry>title{display:block;font-size:1.1rem;font-weight:600}
item>pubDate,entry>published,item>creator,entry>author,entry>author>name{display:inline;color:#555;font-size:.9rem}
item>creator::before,entry>author::before{content:" · "}
"#;

/// `feed.css`, served with the feeds.
pub(crate) fn feed_stylesheet() -> Document {
    Document {
        path: paths::FEED_CSS.into(),
        kind: DocKind::Css,
        body: FEED_CSS.as_bytes().to_vec(),
        last_modified: None,
        fingerprint: None,
        long_cache: false,
    }
}

/// `<html:a href="{the feed's page}">…</html:a>` as an RSS channel extension
/// (the `html` prefix must be declared: see [`XHTML_PREFIX`]).
pub(crate) fn rss_page_link(site: &Site, info: &FeedInfo) -> rss::extension::ExtensionMap {
    let (attrs, text) = page_link(site, info);
    let a = rss::extension::Extension {
        name: format!("{XHTML_PREFIX}:a"),
        value: Some(text.to_owned()),
        attrs,
        children: BTreeMap::new(),
    };
    BTreeMap::from([(
        XHTML_PREFIX.to_owned(),
        BTreeMap::from([("a".to_owned(), vec![a])]),
    )])
}

/// The same link as an Atom feed extension.
pub(crate) fn atom_page_link(
    site: &Site,
    info: &FeedInfo,
) -> atom_syndication::extension::ExtensionMap {
    let (attrs, text) = page_link(site, info);
    let a = atom_syndication::extension::Extension {
        name: format!("{XHTML_PREFIX}:a"),
        value: Some(text.to_owned()),
        attrs,
        children: BTreeMap::new(),
    };
    BTreeMap::from([(
        XHTML_PREFIX.to_owned(),
        BTreeMap::from([("a".to_owned(), vec![a])]),
    )])
}

/// The link's attributes and text.
fn page_link(site: &Site, info: &FeedInfo) -> (BTreeMap<String, String>, &'static str) {
    let href = paths::url(site, &paths::feed_dir(info));
    let words = super::words::words(&site.language);
    (BTreeMap::from([("href".to_owned(), href)]), words.open_page)
}

/// `doc` (an XML document starting with its declaration) with the stylesheet
/// instruction right after the declaration.
pub(crate) fn with_stylesheet(site: &Site, doc: Vec<u8>) -> Vec<u8> {
    let href = paths::url(site, paths::FEED_CSS);
    let content = format!(
        "xml-stylesheet type=\"text/css\" href=\"{}\"",
        quick_xml::escape::escape(href.as_str())
    );
    let mut pi = quick_xml::Writer::new(Vec::with_capacity(content.len() + 8));
    // Writing to a Vec cannot fail.
    let _ = pi.write_event(Event::PI(BytesPI::new(content)));
    let pi = pi.into_inner();
    let at = doc
        .windows(2)
        .position(|w| w == b"?>")
        .filter(|_| doc.starts_with(b"<?xml "))
        .map_or(0, |i| i + 2);
    let mut out = Vec::with_capacity(doc.len() + pi.len());
    out.extend_from_slice(&doc[..at]);
    out.extend_from_slice(&pi);
    out.extend_from_slice(&doc[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instruction_follows_the_declaration() {
        let toml = "[site]\ntitle = \"A\"\ndescription = \"B\"\nlanguage = \"fr\"\n\
            home_url = \"https://a.example/\"\npublic_url = \"https://f.example/\"\n\
            publication_name = \"A\"\nguid_authority = \"a.example,2024\"\n";
        let path = std::path::Path::new("config.toml");
        let site = crate::config::Config::from_toml(path, toml, std::iter::empty())
            .unwrap()
            .site;
        let out = with_stylesheet(&site, b"<?xml version=\"1.0\"?><rss/>".to_vec());
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("<?xml version=\"1.0\"?><?xml-stylesheet type=\"text/css\" href=\""),
            "{text}"
        );
        assert!(text.ends_with("feed.css\"?><rss/>"), "{text}");
        roxmltree::Document::parse(&text).expect("well-formed");
    }
}
