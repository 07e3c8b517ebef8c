//! `[indexnow]`: submitting changed article URLs to search engines (IndexNow).

use super::HttpUrl;
use serde::Deserialize;

/// An IndexNow key: 8 to 128 characters of `[a-zA-Z0-9-]`, checked when the
/// configuration is read (it names the key file, `/{key}.txt`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IndexNowKey(String);

impl IndexNowKey {
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IndexNowKey {
    type Error = String;

    fn try_from(key: String) -> Result<IndexNowKey, String> {
        let allowed = key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        match allowed && (8..=128).contains(&key.len()) {
            true => Ok(IndexNowKey(key)),
            false => Err(format!(
                "indexnow.key {key:?} must be 8 to 128 characters of a-z, A-Z, 0-9 and '-', \
                 e.g. the output of `openssl rand -hex 16`"
            )),
        }
    }
}

/// `[indexnow]`; without the section nothing is submitted and no key file is served.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexNow {
    /// Where submissions go, e.g. `https://api.indexnow.org/indexnow`.
    pub endpoint: HttpUrl,
    /// The key; syndic serves it at `{public_url}{key}.txt`.
    pub key: IndexNowKey,
    /// Where search engines find the key file when it is not
    /// `{public_url}{key}.txt` (it must be on the articles' host: see README).
    #[serde(default)]
    pub key_location: Option<HttpUrl>,
    /// Changes are gathered this long before a submission (milliseconds).
    #[serde(default = "default_window_ms")]
    pub window_ms: u64,
}

fn default_window_ms() -> u64 {
    2_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_when_read() {
        assert!(IndexNowKey::try_from("a1b2-c3d4".to_owned()).is_ok());
        assert!(IndexNowKey::try_from("x".repeat(128)).is_ok());
        for bad in [
            "short",
            "has space in it",
            "accentué-123",
            "under_score1",
            &"x".repeat(129),
        ] {
            let err = IndexNowKey::try_from(bad.to_owned()).unwrap_err();
            assert!(err.contains("8 to 128"), "{bad}: {err}");
        }
    }
}
