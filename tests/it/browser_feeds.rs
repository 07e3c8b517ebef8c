//! A feed opened in headless Chromium: syndic's RSS and Atom render through
//! `feed.css` as a list with a working link to the feed's page; and what
//! Chromium does with the same bytes under each content type a feed may be
//! served with: the evidence for serving a browser (asking for HTML, naming no
//! feed type) `application/xml` (see src/http/documents.rs and README "Pages").

use crate::browser_kit::{self as kit, Stub};
use crate::support::Server;
use fantoccini::Client;
use serde_json::Value;
use std::time::Duration;

const XHTML: &str = "http://www.w3.org/1999/xhtml";

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// What the browser shows for the current document.
async fn shown(c: &Client) -> Value {
    js(
        c,
        &format!(
            "const a=document.getElementsByTagNameNS('{XHTML}','a')[0];\
             const titles=[...document.getElementsByTagName('title')].filter(t=>getComputedStyle(t).display!=='none');\
             return {{url:location.href,type:document.contentType,root:document.documentElement?document.documentElement.nodeName:null,\
             link:a?[a.href,Math.round(a.getBoundingClientRect().height)]:null,titles:titles.length,\
             scroll:[document.documentElement.scrollWidth,innerWidth]}};"
        ),
    )
    .await
}

/// syndic's RSS and Atom of the Iran tag, as served.
async fn served(c: &Client, base: &str, path: &str, name: &str) -> String {
    let mut line = format!("raw {path}:");
    for (width, height) in [(1280, 900), (360, 780)] {
        kit::viewport(c, width, height).await;
        c.goto(&format!("{base}{path}"))
            .await
            .expect("open the feed");
        let s = shown(c).await;
        assert!(
            s["type"].as_str().unwrap_or("").ends_with("+xml"),
            "{path}: {s}"
        );
        let link = &s["link"];
        assert!(
            link[1].as_u64().unwrap_or(0) > 0,
            "{path}: the page link is not shown: {s}"
        );
        assert_eq!(link[0], format!("{base}/tags/iran/"), "{path}: {s}");
        // the feed's title and its three items' titles
        assert_eq!(s["titles"], 4, "{path}: titles shown: {s}");
        assert!(
            s["scroll"][0].as_u64() <= s["scroll"][1].as_u64(),
            "{path} at {width}px: {s}"
        );
        let png = c.screenshot().await.expect("screenshot");
        let file = kit::screenshot_dir().join(format!("{name}-{width}.png"));
        std::fs::write(file, png).expect("save screenshot");
        line.push_str(&format!(" {width}px {s};"));
    }
    // An XML document cannot say "no favicon" as the pages do: the browser asks
    // for /favicon.ico, which syndic does not serve. Any other error fails.
    let errors: Vec<_> = kit::console(c)
        .await
        .into_iter()
        .filter(|(l, m)| l == "SEVERE" && !m.contains("/favicon.ico "))
        .collect();
    assert!(errors.is_empty(), "{path}: console errors: {errors:?}");
    // The link is a real link.
    let a = c
        .find(fantoccini::Locator::XPath("//*[local-name()='a']"))
        .await
        .expect("the link");
    a.click().await.expect("click the page link");
    let url = c.current_url().await.expect("url");
    assert_eq!(
        url.path(),
        "/tags/iran/",
        "{path}: the link leads to the page"
    );
    line
}

/// The same RSS bytes under each content type (and without the stylesheet
/// instruction), from the stub: what Chromium does with each.
async fn content_types(c: &Client, server: &Server, stub: &Stub) -> Vec<String> {
    let rss = server.get("/tags/iran/feed.xml").body;
    let text = String::from_utf8(rss.clone()).expect("utf-8");
    let start = text.find("<?xml-stylesheet").expect("the instruction");
    let end = start + text[start..].find("?>").expect("its end") + 2;
    let bare = format!("{}{}", &text[..start], &text[end..]).into_bytes();
    let cases = [
        ("application/rss+xml", &rss),
        ("application/atom+xml", &rss),
        ("application/xml", &rss),
        ("text/xml", &rss),
        ("application/rss+xml (no stylesheet)", &bare),
        ("text/xml (no stylesheet)", &bare),
    ];
    let mut lines = vec![];
    kit::viewport(c, 1280, 900).await;
    for (n, (label, body)) in cases.into_iter().enumerate() {
        let ctype = label.split(' ').next().unwrap_or(label);
        let url = stub.route(&format!("/ct/{n}.xml"), ctype, body.clone());
        c.goto("about:blank").await.expect("blank");
        let _ = c.goto(&url).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let s = shown(c).await;
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(
            kit::screenshot_dir().join(format!("content-type-{n}.png")),
            png,
        )
        .expect("save");
        // What syndic's choice rests on: the feed types show as plain text, the
        // XML types render through the stylesheet, with the link.
        let rendered = s["link"][1].as_u64().unwrap_or(0) > 0;
        match ctype {
            "application/rss+xml" | "application/atom+xml" => {
                assert_eq!(s["type"], "text/plain", "{label}: {s}");
                assert!(!rendered, "{label}: {s}");
            }
            _ => assert!(rendered && s["root"] == "rss", "{label}: {s}"),
        }
        lines.push(format!("as {label}: {s}"));
    }
    let _ = kit::console(c).await; // the stub's pages are not syndic's: not judged
    lines
}

/// Every raw-feed check; lines for the report.
pub async fn raw_feeds(c: &Client, server: &Server, stub: &Stub) -> Vec<String> {
    let base = format!("http://{}", server.addr);
    let mut lines = vec![
        served(c, &base, "/tags/iran/feed.xml", "raw-rss").await,
        served(c, &base, "/tags/iran/atom.xml", "raw-atom").await,
    ];
    c.goto(&format!("{base}/tags/iran/feed.json"))
        .await
        .expect("open JSON Feed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    lines.push(format!("raw /tags/iran/feed.json: {}", shown(c).await));
    lines.extend(content_types(c, server, stub).await);
    lines
}
