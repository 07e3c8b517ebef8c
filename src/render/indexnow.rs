//! The IndexNow key file: `{key}.txt` holding the key, which proves to search
//! engines that submissions for a host come from its owner.

use super::{DocKind, Document};

/// `{key}.txt` (the key was checked when the configuration was read).
pub(crate) fn key_file(key: &str) -> Document {
    Document {
        path: format!("{key}.txt"),
        kind: DocKind::Text,
        body: key.as_bytes().to_vec(),
        last_modified: None,
        fingerprint: None,
        long_cache: false,
    }
}
