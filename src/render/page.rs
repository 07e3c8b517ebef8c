//! A feed's HTML page (`tags/iran/index.html`; the global feed's is the root
//! `index.html`): what the feed is, how to follow it, its latest items.
//!
//! An item's `<li>` is rendered once per article version, like its feed items
//! ([`super::RenderedItem`]), and the page is its frame with them in order.
//! Must not: escape by hand (maud does), read the clock (dates are the
//! articles'), or show anything that is not a function of the feed's content
//! and the configuration (the page's ETag changes only when it does).

use super::html::{self, item_language, words_of};
use super::words::{long_date, short_date};
use super::{FeedView, paths};
use crate::config::Site;
use crate::model::Article;
use maud::{Markup, PreEscaped, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// One-click subscription links: name, and the URL the feed's address is
/// appended to (path-style links take it as it is, query-style encoded).
/// Schemes as these readers document or accept them (see README, "Pages").
const READERS: [(&str, &str, bool); 4] = [
    ("Feedly", "https://feedly.com/i/subscription/feed/", false),
    ("Inoreader", "https://www.inoreader.com/feed/", false),
    ("NewsBlur", "https://newsblur.com/?url=", true),
    (
        "The Old Reader",
        "https://theoldreader.com/feeds/subscribe?url=",
        true,
    ),
];

/// The three formats: file, MIME type, label.
pub(crate) const FORMATS: [(&str, &str, &str); 3] = [
    (paths::RSS, "application/rss+xml", "RSS"),
    (paths::ATOM, "application/atom+xml", "Atom"),
    (paths::JSON, "application/feed+json", "JSON Feed"),
];

fn encoded(url: &str) -> String {
    utf8_percent_encode(url, NON_ALPHANUMERIC).to_string()
}

/// An article's `<li>` on every page showing it.
pub(crate) fn item_html(site: &Site, a: &Article) -> String {
    let w = words_of(site);
    let lang = item_language(a.language.as_deref(), &a.title);
    let (lang, dir) = match &lang {
        Some((l, d)) => (Some(l.as_str()), Some(*d)),
        None => (None, None),
    };
    let site_dir = if super::words::is_rtl(&site.language) {
        "rtl"
    } else {
        "ltr"
    };
    let published = crate::model::store_time(a.published_at);
    let markup = html! {
        li lang=[lang] dir=[dir] {
            h3 { a href=(a.url) { (a.title) } }
            @if let Some(img) = &a.image {
                @if let (Some(wd), Some(ht)) = (img.width, img.height) {
                    img src=(img.url) alt=(img.caption.as_deref().unwrap_or(""))
                        width=(wd) height=(ht) loading="lazy" decoding="async";
                } @else {
                    img.nodim src=(img.url) alt=(img.caption.as_deref().unwrap_or(""))
                        loading="lazy" decoding="async";
                }
            }
            p.meta lang=[lang.map(|_| site.language.as_str())] dir=[dir.map(|_| site_dir)] {
                time datetime=(published) data-local="" { (long_date(a.published_at, &site.language)) }
                @if !a.authors.is_empty() {
                    " · " (w.by) " "
                    bdi { (a.authors.join(", ")) }
                }
            }
            @if let Some(summary) = &a.summary { p { (summary) } }
        }
    };
    markup.into_string()
}

/// The feed's page: title, how to follow it, its latest items. `hub` is the
/// WebSub hub's URL when one is configured.
pub(crate) fn render(site: &Site, view: &FeedView, hub: Option<&str>) -> Vec<u8> {
    let w = words_of(site);
    let title = view.title(site);
    let urls: Vec<(String, &str, &str)> = FORMATS
        .iter()
        .map(|&(file, mime, label)| {
            let url = paths::url(site, &paths::feed_doc(view.info, file));
            (url, mime, label)
        })
        .collect();
    let head = html! {
        meta name="description" content=(view.description(site));
        @for (url, mime, _) in &urls {
            link rel="alternate" type=(*mime) title=(title) href=(url);
        }
        @if let Some(hub) = hub { link rel="hub" href=(hub); }
    };
    let items = view.items.iter().map(|i| &*i.html);
    let main = html! {
        h1 { (title) }
        p.lede { (view.description(site)) }
        (follow(site, &urls, hub))
        section aria-labelledby="latest" {
            h2 #latest { (w.latest) }
            @if view.items.is_empty() { p { (w.empty) } }
            @else {
                ol.items {
                    @for bytes in items { (PreEscaped(bytes)) }
                }
            }
        }
    };
    html::page(site, paths::to_root(view.info), &title, head, main)
}

/// "Follow this feed": what a feed is, its addresses with copy buttons, the
/// one-click readers, Miniflux, the WebSub hub.
fn follow(site: &Site, urls: &[(String, &str, &str)], hub: Option<&str>) -> Markup {
    let w = words_of(site);
    let rss = &urls[0].0;
    let miniflux = format!(
        "https://{}/bookmarklet?uri={}",
        w.your_miniflux,
        encoded(rss)
    );
    let readers = READERS.map(|(name, prefix, encode)| {
        let url = if encode { encoded(rss) } else { rss.clone() };
        (name, format!("{prefix}{url}"))
    });
    html! {
        section.follow aria-labelledby="follow" {
            h2 #follow { (w.follow) }
            p { (w.explain) }
            h3 { (w.addresses) }
            ul.formats {
                @for (url, _, label) in urls {
                    li {
                        b { (label) }
                        code { (url) }
                        button type="button" data-copy=(url) data-done=(w.copied) hidden { (w.copy) }
                    }
                }
            }
            h3 { (w.readers) }
            ul.readers {
                @for (name, href) in readers {
                    li { a href=(href) { (name) } }
                }
            }
            p.hint { (w.miniflux) " " code { (miniflux) } }
            @if let Some(hub) = hub { p.hint { (w.hub) " " code { (hub) } } }
        }
    }
}

/// The day of a time, in the site's language (the directory's column).
pub(crate) fn day(site: &Site, t: chrono::DateTime<chrono::Utc>) -> String {
    short_date(t, &site.language)
}
