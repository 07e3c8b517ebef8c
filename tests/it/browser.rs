//! The pages as a person sees them, in headless Chromium (Debian's, through
//! chromedriver), from a running syndic: the directory, a section page, a tag
//! page with an Arabic item, and raw feeds. The browser resolves nothing but
//! 127.0.0.1; the articles' images come from a loopback stub, so "loaded" is
//! real (`naturalWidth > 0`). Each page at 1280 and 360 CSS px: title, images
//! loaded, no horizontal scroll, same-origin links answering 200, no console
//! error, axe-core with no serious or critical violation. Screenshots go to
//! `target/browser-screenshots/` (two of them are docs/screenshots/).

use crate::browser_kit::{self as kit, Stub};
use crate::support::{Options, Server, record, samples_as_of, wait_for};
use chrono::TimeDelta;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::time::Duration;

const ARABIC_TITLE: &str = "إيران: استئناف المفاوضات النووية في فيينا";

/// The test articles: (id, title, section, tags, authors, hours before the
/// clock, image size (None: no dimensions given; no image at all for "sport"),
/// language).
#[allow(clippy::type_complexity)]
const ARTICLES: [(
    &str,
    &str,
    &str,
    &[&str],
    &[&str],
    i64,
    Option<(u32, u32)>,
    Option<&str>,
); 6] = [
    (
        "maroc-1",
        "Le Maroc inaugure sa deuxième ligne à grande vitesse",
        "Maroc",
        &["Économie", "Transport"],
        &["Salma Benali"],
        1,
        Some((1200, 675)),
        None,
    ),
    (
        "maroc-2",
        "Rabat : la médina rénovée rouvre ses portes",
        "Maroc",
        &["Culture"],
        &["Youssef Alami", "Salma Benali"],
        3,
        None,
        None,
    ),
    (
        "monde-1",
        "Iran : reprise des négociations à Vienne",
        "Monde",
        &["Iran"],
        &["Karim Idrissi"],
        2,
        Some((1200, 675)),
        None,
    ),
    (
        "ar-1",
        ARABIC_TITLE,
        "Monde",
        &["Iran"],
        &["كريم الإدريسي"],
        4,
        Some((1200, 675)),
        Some("ar"),
    ),
    (
        "eco-1",
        "Inflation : Bank Al-Maghrib maintient son taux directeur",
        "Économie",
        &["Économie", "Iran"],
        &["Nadia Tazi"],
        5,
        Some((800, 600)),
        None,
    ),
    (
        "sport-1",
        "Les Lions de l’Atlas qualifiés pour la finale",
        "Sport",
        &["Football"],
        &[],
        6,
        None,
        None,
    ),
];

fn seed(server: &Server, images: &Stub) {
    let colours = [
        "#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e",
    ];
    for (i, (id, title, section, tags, authors, hours, size, lang)) in
        ARTICLES.into_iter().enumerate()
    {
        let at = samples_as_of() - TimeDelta::hours(hours);
        let mut rec = record(id, section, tags, authors, at);
        rec["title"] = json!(title);
        if lang == Some("ar") {
            rec["language"] = json!("ar");
            rec["summary"] = json!("استؤنفت المحادثات بين إيران والقوى الكبرى صباح اليوم.");
        }
        if id != "sport-1" {
            let (w, h) = size.unwrap_or((1280, 720));
            let url = images.route(
                &format!("/img/{id}.svg"),
                "image/svg+xml",
                kit::svg(w, h, colours[i], id),
            );
            let mut image = json!({ "url": url, "type": "image/svg+xml", "caption": format!("Illustration {id}") });
            if let Some((w, h)) = size {
                image["width"] = json!(w);
                image["height"] = json!(h);
            }
            rec["image"] = image;
        }
        let r = server.put(&rec);
        assert!(r.status < 300, "PUT {id}: {} {}", r.status, r.text());
    }
    wait_for(
        "the Arabic item on the Iran page",
        Duration::from_secs(20),
        || {
            let r = server.get("/tags/iran/");
            (r.status == 200 && r.text().contains(ARABIC_TITLE)).then_some(())
        },
    );
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Waits until every image has loaded (scrolling each into view: they are lazy).
async fn images_loaded(c: &Client, page: &str) -> usize {
    let probe = "const imgs=[...document.images];imgs.forEach(i=>i.scrollIntoView());\
                 return imgs.map(i=>[i.currentSrc,i.complete,i.naturalWidth]);";
    for _ in 0..100 {
        let state = js(c, probe).await;
        let all = state.as_array().cloned().unwrap_or_default();
        if all
            .iter()
            .all(|i| i[1] == true && i[2].as_u64().unwrap_or(0) > 0)
        {
            return all.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{page}: images not loaded: {}", js(c, probe).await);
}

/// Every same-origin link answers 200 (fetched by the page itself); every
/// other one is an absolute http(s) URL.
async fn links_work(c: &Client, page: &str) -> usize {
    let script = "const done=arguments[0];const hrefs=[...new Set([...document.querySelectorAll('a[href]')].map(a=>a.href))];\
                  Promise.all(hrefs.map(h=>new URL(h).origin===location.origin?fetch(h).then(r=>[h,r.status],e=>[h,String(e)]):[h,'external']))\
                  .then(done);";
    let result = c.execute_async(script, vec![]).await.expect("link check");
    let links = result.as_array().cloned().unwrap_or_default();
    for l in &links {
        let (href, status) = (l[0].as_str().unwrap_or(""), &l[1]);
        if status == "external" {
            assert!(
                href.starts_with("https://") || href.starts_with("http://"),
                "{page}: bad link {href}"
            );
        } else {
            assert_eq!(status, 200, "{page}: link {href} answered {status}");
        }
    }
    links.len()
}

/// axe-core's violations of impact serious or critical, and all of them.
async fn axe(c: &Client, source: &str) -> (Vec<String>, Vec<String>) {
    c.execute(source, vec![]).await.expect("inject axe-core");
    let script = "const done=arguments[0];axe.run(document,{resultTypes:['violations']})\
                  .then(r=>done(r.violations.map(v=>[v.id,v.impact,v.nodes.length])),e=>done([['axe-error',String(e),0]]));";
    let v = c.execute_async(script, vec![]).await.expect("run axe-core");
    let all: Vec<(String, String)> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| (x[0].as_str().unwrap_or("").to_owned(), format!("{}", x[1])))
        .collect();
    let serious = all
        .iter()
        .filter(|(_, i)| i.contains("serious") || i.contains("critical") || i.contains("String"))
        .map(|(id, i)| format!("{id} ({i})"))
        .collect();
    (
        serious,
        all.into_iter()
            .map(|(id, i)| format!("{id} ({i})"))
            .collect(),
    )
}

/// Loads `path` at 1280 and 360 px and checks what a person sees; returns a
/// line for the report.
async fn check_page(c: &Client, base: &str, path: &str, name: &str, axe_source: &str) -> String {
    let url = format!("{base}{path}");
    let mut report = format!("{name} ({path}):");
    for (width, height) in [(1280, 900), (360, 780)] {
        kit::viewport(c, width, height).await;
        c.goto(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let title = js(c, "return document.title").await;
        let h1 = js(
            c,
            "const h=document.querySelector('h1');return h?h.textContent:''",
        )
        .await;
        assert!(
            title.as_str().is_some_and(|t| !t.is_empty()),
            "{url}: no title"
        );
        assert!(h1.as_str().is_some_and(|t| !t.is_empty()), "{url}: no h1");
        let images = images_loaded(c, &url).await;
        js(c, "window.scrollTo(0,0)").await;
        let overflow = js(
            c,
            "return [document.documentElement.scrollWidth, window.innerWidth]",
        )
        .await;
        assert!(
            overflow[0].as_u64() <= overflow[1].as_u64(),
            "{url} at {width}px: horizontal scroll {overflow}"
        );
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(
            kit::screenshot_dir().join(format!("{name}-{width}.png")),
            png,
        )
        .expect("save screenshot");
        report.push_str(&format!(
            " {width}px: title {title}, {images} images loaded, width {overflow};"
        ));
    }
    let links = links_work(c, &url).await;
    let (serious, all) = axe(c, axe_source).await;
    assert!(
        serious.is_empty(),
        "{url}: axe-core serious/critical violations: {serious:?}"
    );
    let errors: Vec<_> = kit::console(c)
        .await
        .into_iter()
        .filter(|(l, _)| l == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "{url}: console errors: {errors:?}");
    report + &format!(" {links} links OK; axe-core violations: {all:?}; console errors: none")
}

#[test]
fn pages_directory_and_raw_feeds_in_headless_chromium() {
    let axe_source = kit::axe_source();
    let driver = kit::start_driver("Africa/Casablanca");
    let images = Stub::start();
    let server = Server::start(Options {
        seed: false,
        own_public_url: true,
        ..Options::default()
    });
    seed(&server, &images);
    let base = format!("http://{}", server.addr);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(async {
        let c = kit::session(&driver).await;
        let mut report = vec![];
        report.push(check_page(&c, &base, "/feeds/", "directory", &axe_source).await);
        report.push(filter_works(&c).await);
        report.push(check_page(&c, &base, "/sections/maroc/", "section-maroc", &axe_source).await);
        report.push(check_page(&c, &base, "/tags/iran/", "tag-iran", &axe_source).await);
        report.push(arabic_item_and_local_dates(&c).await);
        report.push(check_page(&c, &base, "/", "global", &axe_source).await);
        report.extend(crate::browser_feeds::raw_feeds(&c, &server, &images).await);
        c.close().await.expect("close the session");
        report
    });
    eprintln!("browser report:\n{}", report.join("\n"));
}

/// The directory's filter box (JavaScript on) narrows the rows as one types.
async fn filter_works(c: &Client) -> String {
    kit::viewport(c, 1280, 900).await;
    let input = c
        .find(Locator::Css("#q"))
        .await
        .expect("the filter box is shown");
    input.send_keys("iran").await.expect("type");
    let visible = js(c, "return [...document.querySelectorAll('tbody tr')].filter(r=>!r.hidden).map(r=>r.cells[0].textContent)").await;
    assert_eq!(visible, json!(["Iran"]), "filtering by 'iran'");
    input.clear().await.expect("clear");
    input.send_keys("econ").await.expect("type");
    let visible = js(c, "return [...document.querySelectorAll('tbody tr')].filter(r=>!r.hidden).map(r=>r.cells[0].textContent)").await;
    assert_eq!(
        visible,
        json!(["Économie", "Économie"]),
        "accents folded: section and tag"
    );
    format!("directory filter: 'iran' → [\"Iran\"], 'econ' → {visible}")
}

/// The Arabic item is marked `lang="ar" dir="rtl"`; dates were rewritten in the
/// browser's time zone (Africa/Casablanca) with the UTC text kept as a title.
async fn arabic_item_and_local_dates(c: &Client) -> String {
    let ar = js(c, "const li=[...document.querySelectorAll('li[lang=ar][dir=rtl]')];return li.map(l=>l.querySelector('h3').textContent)").await;
    assert_eq!(
        ar,
        json!([ARABIC_TITLE]),
        "the Arabic item is lang=ar dir=rtl"
    );
    let times = js(
        c,
        "return [...document.querySelectorAll('time[data-local]')].map(t=>[t.title,t.textContent])",
    )
    .await;
    let first = &times[0];
    let (utc, local) = (
        first[0].as_str().unwrap_or(""),
        first[1].as_str().unwrap_or(""),
    );
    assert!(
        utc.ends_with("UTC") && !local.contains("UTC") && !local.is_empty(),
        "time enhanced: {first}"
    );
    format!("tag page: Arabic item lang=ar dir=rtl; first date: server '{utc}' → browser '{local}'")
}
