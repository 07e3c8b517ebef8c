//! What every HTML page shares: the document frame (language, direction,
//! viewport, styles, the small script), the link to the directory, and how an
//! item's language and direction are told.
//!
//! Must not: escape by hand (maud escapes every interpolated value) or read
//! the clock. The script only enhances: every page reads the same without it.

use super::words::{self, Words};
use super::{DocKind, Document, paths};
use crate::config::Site;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The styles of the pages: readable from 320 px up, no horizontal scroll.
const CSS: &str = r#"
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",sans-serif;line-height:1.5;color:#1a1a1a;background:#fff;-webkit-text-size-adjust:100%}
body{margin:0 auto;max-width:60rem;padding:0 1rem 2rem;overflow-wrap:anywhere}
a{color:#0645ad}a:visited{color:#5a2d91}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.top{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.75rem 0;border-bottom:1px solid #ddd;font-size:.95rem}
h1{font-size:1.7rem;line-height:1.2;margin:1rem 0 .5rem}
h2{font-size:1.3rem;margin:1.5rem 0 .5rem}
h3{font-size:1.1rem;margin:.25rem 0}
.lede{color:#444;margin-top:0}
.follow{background:#f6f7f9;border:1px solid #e2e4e8;border-radius:.5rem;padding:.25rem 1rem 1rem}
.formats,.readers,.items{list-style:none;padding:0;margin:0}
.formats li{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .5rem;margin:.4rem 0}
.formats b{min-width:5.5rem}
.formats code{flex:1 1 12rem;background:#fff;border:1px solid #d0d4da;border-radius:.25rem;padding:.2rem .4rem;font-size:.85rem;direction:ltr;text-align:left}
button{font:inherit;font-size:.9rem;padding:.2rem .7rem;border:1px solid #0645ad;border-radius:.25rem;background:#fff;color:#0645ad;cursor:pointer;min-height:2rem}
.readers{display:flex;flex-wrap:wrap;gap:.5rem}
.readers a{display:inline-block;padding:.3rem .7rem;border:1px solid #d0d4da;border-radius:1rem;background:#fff;text-decoration:none;min-height:2rem}
.items>li{border-bottom:1px solid #e5e5e5;padding:1rem 0;display:grid;gap:.25rem}
.items img{width:100%;max-width:36rem;height:auto;border-radius:.25rem;background:#eee}
.items img.nodim{aspect-ratio:16/9;object-fit:cover}
.meta{color:#555;font-size:.9rem;margin:0}
.items p{margin:0}
.hint{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:start;padding:.3rem .5rem .3rem 0;border-bottom:1px solid #eee;vertical-align:top}
td:nth-child(2),th:nth-child(2){text-align:end;white-space:nowrap}
td:nth-child(3){white-space:nowrap;color:#555}
#filter input{font:inherit;width:100%;max-width:24rem;padding:.3rem .5rem;border:1px solid #888;border-radius:.25rem}
footer{margin-top:2rem;padding-top:.75rem;border-top:1px solid #ddd}
"#;

/// `pages.css`, which every page links (rendered with the directory).
pub(crate) fn pages_stylesheet() -> Document {
    Document {
        path: paths::PAGES_CSS.into(),
        kind: DocKind::Css,
        body: CSS.trim_start().as_bytes().to_vec(),
        last_modified: None,
        fingerprint: None,
        long_cache: false,
    }
}

/// Dates in the reader's time zone, copy buttons, the directory's filter.
const SCRIPT: &str = r#"(function(){
var lang=document.documentElement.lang;
document.querySelectorAll("time[data-local]").forEach(function(t){
 var d=new Date(t.getAttribute("datetime"));if(isNaN(d))return;
 var o=t.dataset.local==="day"?{dateStyle:"medium"}:{dateStyle:"long",timeStyle:"short"};
 try{t.title=t.textContent;t.textContent=new Intl.DateTimeFormat(lang,o).format(d);}catch(e){}
});
document.querySelectorAll("button[data-copy]").forEach(function(b){
 if(!navigator.clipboard)return;b.hidden=false;
 b.addEventListener("click",function(){navigator.clipboard.writeText(b.dataset.copy).then(function(){b.textContent=b.dataset.done;},function(){});});
});
var f=document.getElementById("filter");if(!f)return;f.hidden=false;
var fold=function(s){return s.normalize("NFD").replace(/[\u0300-\u036f]/g,"").toLowerCase();};
var rows=[].map.call(document.querySelectorAll("tbody tr"),function(r){return [r,fold(r.cells[0].textContent)];});
f.querySelector("input").addEventListener("input",function(e){
 var q=fold(e.target.value.trim());
 rows.forEach(function(x){x[0].hidden=q!==""&&x[1].indexOf(q)<0;});
});
f.addEventListener("submit",function(e){e.preventDefault();});
})();"#;

/// A whole page: `<html lang dir>`, the head (title, viewport, `pages.css`, `head`),
/// the top bar linking the directory and the site, `main`, the script.
pub(crate) fn page(site: &Site, root: &str, title: &str, head: Markup, main: Markup) -> Vec<u8> {
    let w = words::words(&site.language);
    let dir = if words::is_rtl(&site.language) {
        "rtl"
    } else {
        "ltr"
    };
    let directory = format!("{root}{}", paths::DIRECTORY_DIR);
    let stylesheet = format!("{root}{}", paths::PAGES_CSS);
    let markup = html! {
        (DOCTYPE)
        html lang=(site.language.as_str()) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                // No favicon request (syndic serves none; the site's is elsewhere).
                link rel="icon" href="data:,";
                (head)
                link rel="stylesheet" href=(stylesheet);
            }
            body {
                nav.top aria-label=(w.all_feeds) {
                    a href=(directory) { (w.all_feeds) }
                    a href=(site.home_url.as_str()) { (w.home) " — " (site.title) }
                }
                main { (main) }
                footer { a href=(directory) { (w.all_feeds) } }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut body = markup.into_string().into_bytes();
    body.push(b'\n');
    body
}

/// `lang` and `dir` for an item: its record's language when it has one, else
/// Arabic when its text is mostly Arabic script, else nothing (the page's).
pub(crate) fn item_language(language: Option<&str>, text: &str) -> Option<(String, &'static str)> {
    if let Some(lang) = language {
        let dir = if words::is_rtl(lang) { "rtl" } else { "ltr" };
        return Some((lang.to_owned(), dir));
    }
    let letters = text.chars().filter(|c| c.is_alphabetic());
    let (arabic, total) = letters.fold((0, 0), |(a, t), c| (a + is_arabic(c) as usize, t + 1));
    (total > 0 && arabic * 2 > total).then(|| ("ar".to_owned(), "rtl"))
}

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// The words of the site's language.
pub(crate) fn words_of(site: &Site) -> &'static Words {
    words::words(&site.language)
}

#[cfg(test)]
mod tests {
    use super::item_language;

    #[test]
    fn an_item_says_its_language_or_arabic_by_its_script() {
        assert_eq!(item_language(Some("fr"), "x"), Some(("fr".into(), "ltr")));
        assert_eq!(
            item_language(Some("ar-MA"), "x"),
            Some(("ar-MA".into(), "rtl"))
        );
        assert_eq!(
            item_language(None, "المغرب يفوز 2-0"),
            Some(("ar".into(), "rtl"))
        );
        assert_eq!(item_language(None, "Le Maroc gagne"), None);
    }
}
