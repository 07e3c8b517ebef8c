//! Slugs: the path segment of a section, tag or author feed.
//!
//! Owns: turning a display name ("États-Unis") into a URL-safe, stable slug
//! (`etats-unis`). Must not: look at anything but the name.

/// Lower case, accents folded, only `[a-z0-9-]`, never empty, never `/` or `..`.
/// A name with nothing to transliterate (e.g. only punctuation) gets a slug
/// derived from a hash of the name, so distinct names stay distinct.
pub fn slugify(name: &str) -> String {
    let slug = slug::slugify(name);
    if slug.is_empty() {
        let hash = blake3::hash(name.as_bytes());
        format!("x-{}", &hash.to_hex()[..12])
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(slugify("États-Unis"), "etats-unis");
        assert_eq!(slugify("Etats-Unis"), "etats-unis");
        assert_eq!(slugify("Nasser Bourita"), "nasser-bourita");
        assert_eq!(slugify("S.A"), "s-a");
    }

    #[test]
    fn never_empty_nor_a_path() {
        assert_eq!(slugify("المغرب"), "lmgrb");
        let odd = slugify("../..");
        assert!(odd.starts_with("x-") && !odd.contains('/') && !odd.contains(".."));
        assert_ne!(slugify("!!"), slugify("??"));
    }
}
