//! Atom 1.0 (RFC 4287). Text is `type="text"` or `type="html"`, never xhtml
//! (the crate writes xhtml unescaped).

use super::splice::{fragment, frame_error, splice};
use super::{FeedView, RenderError, archive, browser, guid, paths};
use crate::config::Site;
use crate::model::{Article, CategoryKind};
use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

/// Renders a feed as Atom.
pub(crate) fn render(site: &Site, view: &FeedView) -> Result<Vec<u8>, RenderError> {
    let dir = paths::feed_dir(view.info);
    let self_path = view.doc_path(paths::ATOM);
    let mut feed = Feed {
        title: Text::plain(view.title(site)),
        id: format!(
            "tag:{}:feed/{}",
            site.guid_authority,
            dir.trim_end_matches('/')
        ),
        // A feed with no entries (only the global one can be empty) says the
        // epoch, not the time it was rendered: its bytes must derive from the
        // store alone, whenever and wherever they are rendered.
        updated: view
            .last_modified()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
            .fixed_offset(),
        authors: vec![person(&site.publication_name)],
        links: vec![
            link(
                &paths::url(site, &self_path),
                "self",
                "application/atom+xml",
            ),
            link(&site.home_url, "alternate", "text/html"),
        ]
        .into_iter()
        .chain(site.hubs.iter().map(|hub| Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Link::default()
        }))
        .collect(),
        subtitle: Some(Text::plain(view.description(site))),
        generator: Some(Generator {
            value: "syndic".into(),
            ..Generator::default()
        }),
        lang: Some(site.language.to_string()),
        extensions: browser::atom_page_link(site, view.info),
        namespaces: [(browser::XHTML_PREFIX, browser::XHTML_NS)]
            .map(|(p, n)| (p.to_owned(), n.to_owned()))
            .into(),
        ..Feed::default()
    };
    add_archive(site, view, &mut feed);
    let frame = browser::with_stylesheet(site, write(&feed, &self_path)?);
    let entries = view.items.iter().map(|i| &*i.atom);
    let mut out = splice(frame, TAIL, entries).ok_or_else(|| frame_error(&self_path))?;
    out.push(b'\n');
    Ok(out)
}

/// RFC 5005: `current`, `prev-archive`, `next-archive` links and `<fh:archive/>`
/// (written by the crate after the entries, so before them once spliced).
fn add_archive(site: &Site, view: &FeedView, feed: &mut Feed) {
    let links = archive::links(site, view, paths::ATOM).into_iter();
    feed.links
        .extend(links.map(|(rel, href)| link(&href, rel, "application/atom+xml")));
    feed.namespaces.extend(archive::namespace(view));
    feed.extensions.extend(archive::archive_mark(view, |name| {
        atom_syndication::extension::Extension {
            name,
            ..Default::default()
        }
    }));
}

/// Closes every Atom document; entries go just before it.
const TAIL: &[u8] = b"</feed>";

fn write(feed: &Feed, path: &str) -> Result<Vec<u8>, RenderError> {
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: None,
    };
    feed.write_with_config(Vec::with_capacity(2048), config)
        .map_err(|e| RenderError::Xml {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// The `<entry>` of an article, as it sits in every feed.
pub(crate) fn entry_xml(site: &Site, a: &Article) -> Result<Vec<u8>, RenderError> {
    let frame = |entries| Feed {
        entries,
        ..Feed::default()
    };
    fragment(&a.id, TAIL, |e| write(&frame(e), &a.id), entry(site, a))
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_owned(),
        ..Person::default()
    }
}

fn link(href: &str, rel: &str, mime_type: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime_type.to_owned()),
        ..Link::default()
    }
}

fn entry(site: &Site, a: &Article) -> Entry {
    let mut links = vec![link(&a.url, "alternate", "text/html")];
    if let Some(img) = &a.image {
        links.push(Link {
            length: Some("0".into()),
            ..link(&img.url, "enclosure", &img.mime_type)
        });
    }
    let scheme = |folder: &str| Some(paths::url(site, folder));
    let categories = a.categories().into_iter().map(|c| Category {
        term: c.name.to_owned(),
        scheme: scheme(match c.kind {
            CategoryKind::Section => "sections/",
            CategoryKind::Tag => "tags/",
        }),
        label: None,
    });
    // An article in another language than the feed says so on its texts.
    let lang = a.language.clone().filter(|l| l != site.language.as_str());
    let text = |value: String| Text {
        lang: lang.clone(),
        ..Text::plain(value)
    };
    Entry {
        title: text(a.title.clone()),
        id: guid(site, &a.id),
        updated: a.updated_at.fixed_offset(),
        published: Some(a.published_at.fixed_offset()),
        authors: a.authors.iter().map(|n| person(n)).collect(),
        categories: categories.collect(),
        links,
        summary: a.summary.clone().map(text),
        content: a.content_html.as_ref().map(|html| Content {
            value: Some(html.clone()),
            content_type: Some("html".into()),
            lang: lang.clone(),
            ..Content::default()
        }),
        ..Entry::default()
    }
}
