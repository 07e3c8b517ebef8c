//! The words of the HTML pages and of a feed opened in a browser, in the site's
//! language (French, Arabic, else English), and dates written in that language.
//!
//! Must not: build markup (the page renderers do, with maud) or read the clock.

use chrono::{DateTime, Locale, Utc};

/// Every phrase the pages show, in one language.
pub(crate) struct Words {
    /// Title suffix of the directory: "Actu — flux".
    pub(crate) feeds: &'static str,
    /// The four groups of feeds: global, sections, tags, authors.
    pub(crate) groups: [&'static str; 4],
    /// Link to the directory from every page.
    pub(crate) all_feeds: &'static str,
    /// Link to the publication's site.
    pub(crate) home: &'static str,
    /// Heading of the "how to follow" part.
    pub(crate) follow: &'static str,
    /// What a feed is and how to follow it.
    pub(crate) explain: &'static str,
    /// Heading of the format list.
    pub(crate) addresses: &'static str,
    /// Copy button, and what it says once copied.
    pub(crate) copy: &'static str,
    pub(crate) copied: &'static str,
    /// Heading of the one-click readers.
    pub(crate) readers: &'static str,
    /// Text before a Miniflux address.
    pub(crate) miniflux: &'static str,
    /// Placeholder for the reader's own Miniflux host.
    pub(crate) your_miniflux: &'static str,
    /// Text before the WebSub hub's address.
    pub(crate) hub: &'static str,
    /// Heading of the latest items.
    pub(crate) latest: &'static str,
    /// Before the authors of an item.
    pub(crate) by: &'static str,
    /// When a feed has no item.
    pub(crate) empty: &'static str,
    /// Directory: filter box label.
    pub(crate) filter: &'static str,
    /// Directory column headings: feed, items, last change.
    pub(crate) columns: [&'static str; 3],
    /// Directory: the news sitemap line, before the count, before the time.
    pub(crate) news: [&'static str; 2],
    /// Directory: link to the OPML file.
    pub(crate) opml: &'static str,
    /// A raw feed opened in a browser: the link to its page.
    pub(crate) open_page: &'static str,
}

const FR: Words = Words {
    feeds: "flux",
    groups: ["Toute l’actualité", "Rubriques", "Sujets", "Auteurs"],
    all_feeds: "Tous les flux",
    home: "Le site",
    follow: "Suivre ce flux",
    explain: "Un flux est la liste des derniers articles, dans un format que lisent les \
              lecteurs de flux (Feedly, Inoreader, NetNewsWire, Thunderbird…). Abonnez-vous \
              une fois : chaque nouvel article y arrive, sans compte ni courriel. Copiez une \
              adresse ci-dessous dans votre lecteur, ou cliquez sur le vôtre.",
    addresses: "Adresses du flux",
    copy: "Copier",
    copied: "Copié",
    readers: "S’abonner en un clic",
    miniflux: "Miniflux (votre instance) :",
    your_miniflux: "votre-miniflux",
    hub: "Mises à jour instantanées (WebSub) :",
    latest: "Derniers articles",
    by: "par",
    empty: "Aucun article pour l’instant.",
    filter: "Filtrer les flux",
    columns: ["Flux", "Articles", "Dernière modification"],
    news: ["Sitemap Google News :", "articles ; régénéré le"],
    opml: "Tous les flux en OPML",
    open_page: "Ceci est un flux. Voir sa page pour s’abonner →",
};

const AR: Words = Words {
    feeds: "خلاصات",
    groups: ["كل الأخبار", "الأقسام", "المواضيع", "الكتّاب"],
    all_feeds: "كل الخلاصات",
    home: "الموقع",
    follow: "تابع هذه الخلاصة",
    explain: "الخلاصة قائمة بآخر المقالات بصيغة تقرؤها تطبيقات قراءة الخلاصات. اشترك مرة \
              واحدة فيصلك كل مقال جديد دون حساب أو بريد. انسخ أحد العناوين أدناه في قارئك.",
    addresses: "عناوين الخلاصة",
    copy: "نسخ",
    copied: "تم النسخ",
    readers: "اشترك بنقرة",
    miniflux: "Miniflux (خادمك):",
    your_miniflux: "your-miniflux",
    hub: "تحديثات فورية (WebSub):",
    latest: "آخر المقالات",
    by: "بقلم",
    empty: "لا مقالات بعد.",
    filter: "تصفية الخلاصات",
    columns: ["الخلاصة", "المقالات", "آخر تعديل"],
    news: ["خريطة أخبار Google:", "مقالات؛ أعيد توليدها في"],
    opml: "كل الخلاصات بصيغة OPML",
    open_page: "هذه خلاصة. افتح صفحتها للاشتراك ←",
};

const EN: Words = Words {
    feeds: "feeds",
    groups: ["All news", "Sections", "Topics", "Authors"],
    all_feeds: "All feeds",
    home: "The site",
    follow: "Follow this feed",
    explain: "A feed is the list of the latest articles, in a format feed readers read \
              (Feedly, Inoreader, NetNewsWire, Thunderbird…). Subscribe once: every new \
              article reaches you, with no account and no e-mail. Copy an address below \
              into your reader, or click yours.",
    addresses: "Feed addresses",
    copy: "Copy",
    copied: "Copied",
    readers: "Subscribe in one click",
    miniflux: "Miniflux (your instance):",
    your_miniflux: "your-miniflux",
    hub: "Instant updates (WebSub):",
    latest: "Latest articles",
    by: "by",
    empty: "No article yet.",
    filter: "Filter feeds",
    columns: ["Feed", "Articles", "Last change"],
    news: ["Google News sitemap:", "articles; regenerated"],
    opml: "Every feed as OPML",
    open_page: "This is a feed. Open its page to subscribe →",
};

/// The primary subtag of a language tag, lower case: `fr` for `fr-MA`.
pub(crate) fn primary(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The words for a language tag.
pub(crate) fn words(language: &str) -> &'static Words {
    match primary(language).as_str() {
        "fr" => &FR,
        "ar" => &AR,
        _ => &EN,
    }
}

/// Whether a language is written right to left.
pub(crate) fn is_rtl(language: &str) -> bool {
    matches!(
        primary(language).as_str(),
        "ar" | "fa" | "he" | "ur" | "ps" | "yi" | "dv" | "ckb" | "sd" | "ug"
    )
}

/// The date locale of a language tag: `fr-MA` → `fr_MA`, `fr` → `fr_FR`, a few
/// languages whose region is not their code, else POSIX (English).
fn locale(language: &str) -> Locale {
    let p = primary(language);
    let region = language
        .split(['-', '_'])
        .nth(1)
        .map(str::to_ascii_uppercase);
    let fallback = match p.as_str() {
        "ar" => "ar_MA",
        "en" => "en_GB",
        _ => "",
    };
    let candidates = [
        region.map(|r| format!("{p}_{r}")),
        Some(format!("{p}_{}", p.to_ascii_uppercase())),
        Some(fallback.to_owned()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|c| Locale::try_from(c.as_str()).ok())
        .unwrap_or(Locale::POSIX)
}

/// "30 novembre 2026, 14:05 UTC": the date and time in UTC, in the language.
pub(crate) fn long_date(t: DateTime<Utc>, language: &str) -> String {
    format!(
        "{}, {} UTC",
        t.format_localized("%-d %B %Y", locale(language)),
        t.format("%H:%M")
    )
}

/// "30/11/2026": the day in UTC, in the language's short form.
pub(crate) fn short_date(t: DateTime<Utc>, language: &str) -> String {
    t.format_localized("%x", locale(language)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_written_in_the_language() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 14, 5, 0).unwrap();
        assert_eq!(long_date(t, "fr"), "30 novembre 2026, 14:05 UTC");
        assert_eq!(long_date(t, "en-US"), "30 November 2026, 14:05 UTC");
        assert_eq!(short_date(t, "fr"), "30/11/2026");
        assert_eq!(long_date(t, "ar"), "30 نونبر 2026, 14:05 UTC");
    }

    #[test]
    fn arabic_is_right_to_left_and_french_is_not() {
        assert!(is_rtl("ar") && is_rtl("ar-MA") && !is_rtl("fr"));
        assert_eq!(words("fr-MA").latest, "Derniers articles");
    }
}
