//! RSS 2.0 with content, Dublin Core, Atom and Media RSS extensions.

use super::splice::{fragment, frame_error, splice};
use super::{FeedView, RenderError, archive, browser, guid, paths};
use crate::config::Site;
use crate::model::Article;
use rss::extension::Extension;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item};
use std::collections::BTreeMap;

const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// Closes every RSS document; items go just before it.
const TAIL: &[u8] = b"</channel></rss>";

/// Every namespace an item may use, declared on every feed (items are rendered
/// apart from the feed, so the feed cannot ask them which they use).
fn namespaces() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "atom".to_owned(),
            rss::extension::atom::NAMESPACE.to_owned(),
        ),
        (
            "content".to_owned(),
            "http://purl.org/rss/1.0/modules/content/".to_owned(),
        ),
        (
            "dc".to_owned(),
            rss::extension::dublincore::NAMESPACE.to_owned(),
        ),
        ("media".to_owned(), MEDIA_NS.to_owned()),
    ])
}

fn write(channel: &Channel, path: &str) -> Result<Vec<u8>, RenderError> {
    let out = Vec::with_capacity(2048);
    channel.write_to(out).map_err(|e| RenderError::Xml {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Renders a feed as RSS 2.0 from its items' `<item>` fragments.
pub(crate) fn render(site: &Site, view: &FeedView) -> Result<Vec<u8>, RenderError> {
    let self_path = view.doc_path(paths::RSS);
    let mut channel = Channel {
        title: view.title(site),
        link: site.home_url.to_string(),
        description: view.description(site),
        language: Some(site.language.to_string()),
        last_build_date: view.last_modified().map(|t| t.to_rfc2822()),
        generator: Some("syndic".into()),
        atom_ext: Some(AtomExtension {
            links: std::iter::once(Link {
                href: paths::url(site, &self_path),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Link::default()
            })
            .chain(site.hubs.iter().map(|hub| hub_link(hub)))
            .collect(),
        }),
        namespaces: namespaces()
            .into_iter()
            .chain([(browser::XHTML_PREFIX, browser::XHTML_NS)].map(|(p, n)| (p.into(), n.into())))
            .collect(),
        extensions: browser::rss_page_link(site, view.info),
        ..Channel::default()
    };
    add_archive(site, view, &mut channel);
    let frame = browser::with_stylesheet(site, write(&channel, &self_path)?);
    let items = view.items.iter().map(|i| &*i.rss);
    let mut out = splice(frame, TAIL, items).ok_or_else(|| frame_error(&self_path))?;
    out.push(b'\n');
    Ok(out)
}

/// `<atom:link rel="hub">`: a WebSub hub of the feed.
fn hub_link(href: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: "hub".into(),
        ..Link::default()
    }
}

/// RFC 5005 in RSS (its appendix B): `atom:link`s and `<fh:archive/>`.
fn add_archive(site: &Site, view: &FeedView, channel: &mut Channel) {
    let links = archive::links(site, view, paths::RSS).into_iter();
    if let Some(ext) = &mut channel.atom_ext {
        ext.links.extend(links.map(|(rel, href)| Link {
            href,
            rel: rel.into(),
            mime_type: Some("application/rss+xml".into()),
            ..Link::default()
        }));
    }
    channel.namespaces.extend(archive::namespace(view));
    channel
        .extensions
        .extend(archive::archive_mark(view, |name| Extension {
            name,
            ..Extension::default()
        }));
}

/// The `<item>` of an article, as it sits in every feed.
pub(crate) fn item_xml(site: &Site, a: &Article) -> Result<Vec<u8>, RenderError> {
    let frame = |items| Channel {
        namespaces: namespaces(),
        items,
        ..Channel::default()
    };
    fragment(&a.id, TAIL, |i| write(&frame(i), &a.id), item(site, a))
}

fn item(site: &Site, a: &Article) -> Item {
    let categories = a.categories().into_iter().map(|c| Category {
        name: c.name.to_owned(),
        domain: None,
    });
    Item {
        title: Some(a.title.clone()),
        link: Some(a.url.clone()),
        // Readers take <description> as HTML: the plain-text summary is escaped
        // for HTML here, then the crate wraps it in CDATA for XML.
        description: a
            .summary
            .as_deref()
            .map(|s| quick_xml::escape::escape(s).into_owned()),
        content: a.content_html.clone(),
        guid: Some(Guid {
            value: guid(site, &a.id),
            permalink: false,
        }),
        pub_date: Some(a.published_at.to_rfc2822()),
        categories: categories.collect(),
        dublin_core_ext: (!a.authors.is_empty()).then(|| DublinCoreExtension {
            creators: a.authors.clone(),
            ..Default::default()
        }),
        enclosure: a.image.as_ref().map(|img| Enclosure {
            url: img.url.clone(),
            length: "0".into(),
            mime_type: img.mime_type.clone(),
        }),
        extensions: media_content(a),
        ..Item::default()
    }
}

/// `<media:content url type medium="image" width height>` with the caption as
/// `<media:description>`: the lead image in the form bots look for first.
fn media_content(a: &Article) -> rss::extension::ExtensionMap {
    let Some(img) = &a.image else {
        return BTreeMap::new();
    };
    let mut attrs = BTreeMap::from([
        ("url".to_owned(), img.url.clone()),
        ("type".to_owned(), img.mime_type.clone()),
        ("medium".to_owned(), "image".to_owned()),
    ]);
    if let (Some(w), Some(h)) = (img.width, img.height) {
        attrs.insert("width".into(), w.to_string());
        attrs.insert("height".into(), h.to_string());
    }
    let children = img.caption.iter().map(|caption| {
        let description = Extension {
            name: "media:description".into(),
            value: Some(caption.clone()),
            ..Default::default()
        };
        ("description".to_owned(), vec![description])
    });
    let content = Extension {
        name: "media:content".into(),
        attrs,
        children: children.collect(),
        value: None,
    };
    BTreeMap::from([(
        "media".to_owned(),
        BTreeMap::from([("content".to_owned(), vec![content])]),
    )])
}
