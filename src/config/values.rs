//! Typed configuration values, parsed once when the configuration is read.
//!
//! Owns: the types whose invariants the rest of the program relies on (an
//! absolute http(s) URL ending in `/`, a BCP 47 language tag), each made only by
//! parsing. Serde reads them through `TryFrom<String>`, so a bad value is refused
//! at load with the key (added by the TOML reader), the value and what is
//! expected. Must not: read files or the environment.

use serde::Deserialize;
use std::fmt;
use std::ops::Deref;

/// An absolute `http`/`https` URL ending in `/`: a base that paths are appended to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct BaseUrl(String);

impl TryFrom<String> for BaseUrl {
    type Error = String;

    fn try_from(text: String) -> Result<BaseUrl, String> {
        match url::Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && text.ends_with('/') => {
                Ok(BaseUrl(text))
            }
            _ => Err(format!(
                "{text:?} is not an absolute http(s) URL ending in '/', e.g. \"https://feeds.example.ma/\""
            )),
        }
    }
}

/// A BCP 47 language tag such as `fr` or `ar-MA` (the same rule as an
/// article's `language`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct LanguageTag(String);

impl TryFrom<String> for LanguageTag {
    type Error = String;

    fn try_from(text: String) -> Result<LanguageTag, String> {
        if crate::model::is_language_tag(&text) {
            Ok(LanguageTag(text))
        } else {
            Err(format!(
                "{text:?} is not a BCP 47 language tag such as \"fr\" or \"ar-MA\""
            ))
        }
    }
}

macro_rules! reads_as_str {
    ($($t:ty),*) => {$(
        impl $t {
            /// The text as written in the configuration.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )*};
}

reads_as_str!(BaseUrl, LanguageTag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_absolute_http_and_end_in_a_slash() {
        for good in ["https://feeds.example.ma/", "http://127.0.0.1:8080/x/"] {
            assert_eq!(&*BaseUrl::try_from(good.to_owned()).unwrap(), good);
        }
        for bad in ["feeds", "https://feeds.example.ma", "ftp://x.ma/", "/x/"] {
            let e = BaseUrl::try_from(bad.to_owned()).unwrap_err();
            assert!(e.contains(bad) && e.contains("ending in '/'"), "{e}");
        }
    }

    #[test]
    fn language_tags_follow_the_article_rule() {
        for good in ["fr", "ar-MA", "zh-Hant-TW"] {
            assert!(LanguageTag::try_from(good.to_owned()).is_ok(), "{good}");
        }
        for bad in ["français", "f", "fr_FR", "fr-", "-fr", "12"] {
            assert!(LanguageTag::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
