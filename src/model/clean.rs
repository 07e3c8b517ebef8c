//! Text cleaning: the one place where text entering syndic is made safe.
//!
//! Owns: removing code points that XML 1.0 forbids, trimming surrounding
//! whitespace, and making URLs strict RFC 3986 URIs. Every string of an article passes through here exactly once, on
//! its way into the model (import, ingest API, rows read from the store), so
//! renderers can hand text to the XML/JSON crates without further checks.
//! Must not: escape anything (the rss, atom_syndication, quick-xml and
//! serde_json crates escape; escaping here would double-escape).

use std::borrow::Cow;

/// `url` as a URI by RFC 3986, which feeds require (Atom's `IRI`, JSON Feed's
/// `uri` format): the WHATWG serialisation leaves some characters RFC 3986
/// does not allow in a path, query or fragment (`[`, `]`, `|`, `{`, `^`, a
/// `%` not followed by two hex digits, a second `#`): they are percent-encoded.
/// The scheme and authority are kept as the parser wrote them.
pub(crate) fn strict_uri(url: &url::Url) -> String {
    let head = &url[..url::Position::BeforePath];
    let tail = url[url::Position::BeforePath..].as_bytes();
    let mut out = String::with_capacity(url.as_str().len() + 8);
    out.push_str(head);
    let mut in_fragment = false;
    for (i, &b) in tail.iter().enumerate() {
        let keep = match b {
            b'%' => tail
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
            b'#' if !in_fragment => {
                in_fragment = true;
                true
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' => true,
            b'+' | b',' | b';' | b'=' | b':' | b'@' | b'/' | b'?' => true,
            _ => false,
        };
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `c` is allowed by the XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\u{9}' | '\u{A}' | '\u{D}'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Removes characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE, U+FFFF).
pub(crate) fn xml_safe(text: &str) -> Cow<'_, str> {
    // In UTF-8 the forbidden characters are the bytes below 0x20 (but tab, LF,
    // CR) and U+FFFE/U+FFFF (EF BF BE/BF): a byte scan finds most text clean.
    if !has_suspicious_byte(text.as_bytes()) || text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// Whether `bytes` hold a byte that may start or end a forbidden character. A
/// block of 32 is tested whole, without stopping at the first hit, so that the
/// compiler can test the block's bytes side by side (SIMD): article bodies are
/// long, and nearly always clean.
fn has_suspicious_byte(bytes: &[u8]) -> bool {
    let suspicious = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xBF;
    bytes
        .chunks(32)
        .any(|block| block.iter().fold(false, |seen, &b| seen | suspicious(b)))
}

/// Cleans one text field: XML-illegal characters removed, line ends made `\n`
/// (an XML parser would turn a bare `\r` into `\n` anyway), whitespace trimmed.
pub(crate) fn text(text: &str) -> String {
    let safe = xml_safe(text);
    let trimmed = safe.trim();
    if trimmed.contains('\r') {
        trimmed.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        trimmed.to_owned()
    }
}

/// Cleans a single-line field (title, name, tag): like [`text`], and every run of
/// whitespace, line breaks included, folded to one space.
pub fn line(text: &str) -> String {
    let safe = xml_safe(text);
    let mut out = String::with_capacity(safe.len());
    for word in safe.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_forbidden_controls_and_keeps_tab_newline() {
        assert_eq!(xml_safe("a\u{1}b\u{B}c\u{FFFE}d\te\nf"), "abcd\te\nf");
        assert!(matches!(xml_safe("Les États-Unis"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_forbidden_character_is_found_anywhere_in_a_long_text() {
        let clean = "é".repeat(50); // 100 bytes: blocks of 32 and a short one
        for at in [0, 30, 32, 62, 64, 96, 100] {
            for bad in ["\u{1}", "\u{FFFF}"] {
                let text = format!("{}{bad}{}", &clean[..at], &clean[at..]);
                assert_eq!(xml_safe(&text), clean, "{bad:?} at byte {at}");
            }
        }
        assert!(matches!(xml_safe(&clean), Cow::Borrowed(_)));
    }

    #[test]
    fn line_folds_whitespace() {
        assert_eq!(line("  Maroc \n\t Sport  "), "Maroc Sport");
        assert_eq!(text("  corps\n\ndu texte \u{0}"), "corps\n\ndu texte");
        assert_eq!(text("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn urls_become_strict_uris_once() {
        let strict = |s: &str| strict_uri(&url::Url::parse(s).unwrap());
        assert_eq!(
            strict("https://exemple.ma/a]b|c{d}%zz%4?q=[1]#f#g"),
            "https://exemple.ma/a%5Db%7Cc%7Bd%7D%25zz%254?q=%5B1%5D#f%23g"
        );
        assert_eq!(strict("https://[::1]:8080/x"), "https://[::1]:8080/x");
        let once = strict("https://exemple.ma/É t%41");
        assert_eq!(once, "https://exemple.ma/%C3%89%20t%41");
        assert_eq!(strict(&once), once, "idempotent");
    }
}
