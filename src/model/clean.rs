//! Text cleaning: the one place where text entering syndic is made safe.
//!
//! Owns: removing code points that XML 1.0 forbids and trimming surrounding
//! whitespace. Every string of an article passes through here exactly once, on
//! its way into the model (import, ingest API, rows read from the store), so
//! renderers can hand text to the XML/JSON crates without further checks.
//! Must not: escape anything (the rss, atom_syndication, quick-xml and
//! serde_json crates escape; escaping here would double-escape).

use std::borrow::Cow;

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
    let bytes = text.as_bytes();
    let suspicious = bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xBF);
    if !suspicious || text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
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
    fn line_folds_whitespace() {
        assert_eq!(line("  Maroc \n\t Sport  "), "Maroc Sport");
        assert_eq!(text("  corps\n\ndu texte \u{0}"), "corps\n\ndu texte");
        assert_eq!(text("a\r\nb\rc"), "a\nb\nc");
    }
}
