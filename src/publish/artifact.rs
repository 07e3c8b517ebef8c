//! One servable document: bytes, validators and compressed variants.
//!
//! An artifact is complete when made: its validators are plain text (the strong
//! ETag of each variant, the HTTP-date of Last-Modified), made once; `http`
//! turns them into header values and never writes into an artifact.

use super::compress::{brotli, gzip};
use super::sendable::Resident;
use crate::render::{DocKind, Document};
use arc_swap::ArcSwapOption;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The bytes as rendered.
    Identity = 0,
    /// `gzip`.
    Gzip = 1,
    /// `br`.
    Brotli = 2,
}

impl Encoding {
    /// The `Content-Encoding` token (`None` for identity).
    pub(crate) fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// A published document.
#[derive(Debug)]
pub struct Artifact {
    /// Path under the public URL.
    pub path: String,
    /// Format, which decides the content type.
    pub kind: DocKind,
    /// Length of the rendered bytes.
    pub(crate) len: usize,
    /// Hex digest of the bytes: the strong ETag's opaque part.
    pub(crate) digest: String,
    /// Newest change among what it shows.
    pub last_modified: Option<DateTime<Utc>>,
    /// A closed archive page: cached for long (see [`Document::long_cache`]).
    pub(crate) long_cache: bool,
    /// The strong ETag of each variant (identity, gzip, br), quoted, made once.
    etags: [Bytes; 3],
    /// `last_modified` as an HTTP-date (IMF-fixdate), made once.
    http_date: Option<Bytes>,
    /// The rendered bytes, gzip and brotli variants, while kept in memory.
    resident: [ArcSwapOption<Resident>; 3],
    /// The mirror wrote these bytes under the output folder: they may leave memory.
    stored: AtomicBool,
    /// The hash of the bytes, for checking them when read back: the digest
    /// itself, or (when the digest is a renderer's fingerprint) set by the
    /// mirror before it writes them.
    pub(super) file_digest: OnceLock<String>,
    /// Whether `digest` is a renderer's fingerprint rather than the bytes' hash.
    pub(crate) fingerprinted: bool,
    /// When last served, on [`TICKS`]' scale.
    last_used: AtomicU64,
    /// The compressed variants clients asked for, of this version or of the
    /// one it replaced (a bit per [`Encoding`]): made ahead for the next one.
    asked: AtomicU8,
}

/// The bytes of a variant, and whether getting them took a compression.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The variant's bytes.
    pub(crate) bytes: Bytes,
    /// They were compressed for this call (not found in memory).
    pub(crate) compressed: bool,
}

/// A counter that orders uses of artifacts (cheaper than reading the clock).
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Why the bytes of a document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The file under the output folder is gone or holds other bytes.
    #[error(
        "{path}: the file under the output folder ({reason}) no longer holds this version; files there are syndic's own: restart `syndic serve` to rewrite them"
    )]
    Lost { path: String, reason: String },
    /// A document kept compressed while the disk refused it could not be
    /// unpacked.
    #[error(
        "{path}: the compressed copy kept in memory while the output folder refused writes could not be unpacked ({reason}); this is a bug in syndic: please report it"
    )]
    Unpack { path: String, reason: String },
}

impl Artifact {
    /// Wraps a rendered document; `digest` is its fingerprint when it has one,
    /// else [`digest_of`] its bytes.
    pub(crate) fn new(doc: Document, digest: String) -> Artifact {
        // Without a fingerprint the ETag digest is the bytes' own hash.
        let file_digest = OnceLock::new();
        if doc.fingerprint.is_none() {
            let _ = file_digest.set(digest.clone());
        }
        let etag = |e: Encoding| Bytes::from(etag_text(&digest, e));
        let http_date = doc.last_modified.map(http_date);
        Artifact {
            fingerprinted: doc.fingerprint.is_some(),
            etags: [
                etag(Encoding::Identity),
                etag(Encoding::Gzip),
                etag(Encoding::Brotli),
            ],
            http_date,
            path: doc.path,
            kind: doc.kind,
            len: doc.body.len(),
            resident: [
                ArcSwapOption::from_pointee(Resident::new(Bytes::from(doc.body))),
                ArcSwapOption::empty(),
                ArcSwapOption::empty(),
            ],
            digest,
            last_modified: doc.last_modified,
            long_cache: doc.long_cache,
            stored: AtomicBool::new(false),
            file_digest,
            last_used: AtomicU64::new(TICKS.fetch_add(1, Ordering::Relaxed)),
            asked: AtomicU8::new(0),
        }
    }

    /// An artifact whose bytes are only in the mirror under the output folder
    /// (as a manifest describes them): read back, checked against
    /// `file_digest`, when asked for. `digests` is (ETag digest, the bytes'
    /// digest, whether the first is a renderer's fingerprint); `long_cache`
    /// as when it was rendered (a closed archive page keeps its long cache).
    pub(crate) fn on_disk(
        path: String,
        kind: DocKind,
        len: usize,
        digests: (String, String, bool),
        last_modified: Option<DateTime<Utc>>,
        long_cache: bool,
    ) -> Artifact {
        let (digest, file_digest, fingerprinted) = digests;
        let etag = |e: Encoding| Bytes::from(etag_text(&digest, e));
        Artifact {
            etags: [
                etag(Encoding::Identity),
                etag(Encoding::Gzip),
                etag(Encoding::Brotli),
            ],
            http_date: last_modified.map(http_date),
            path,
            kind,
            len,
            long_cache,
            resident: Default::default(),
            digest,
            last_modified,
            stored: AtomicBool::new(true),
            file_digest: OnceLock::from(file_digest),
            fingerprinted,
            last_used: AtomicU64::new(0),
            asked: AtomicU8::new(0),
        }
    }

    /// The strong ETag of a variant, quoted: distinct per encoding (RFC 9110
    /// §8.8.3). Hex digits, quotes and a token: always a valid header value.
    pub fn etag(&self, encoding: Encoding) -> &Bytes {
        &self.etags[encoding as usize]
    }

    /// Whether this is a closed archive page, served with the long `Cache-Control`.
    pub fn long_cache(&self) -> bool {
        self.long_cache
    }

    /// `last_modified` as an HTTP-date (`Sun, 29 Nov 2026 08:40:00 GMT`), if any.
    pub(crate) fn http_date(&self) -> Option<&Bytes> {
        self.http_date.as_ref()
    }

    /// Whether `doc`, whose bytes have `digest`, would publish exactly this artifact.
    pub(crate) fn same_content(&self, doc: &Document, digest: &str) -> bool {
        self.digest == digest
            && (self.len == doc.body.len() || doc.is_unchanged())
            && self.last_modified == doc.last_modified
            && self.kind == doc.kind
            && self.long_cache == doc.long_cache
    }

    /// The bytes of a variant if they are in memory (no I/O, no compression).
    /// Asking for a compressed variant notes it as asked for.
    pub(crate) fn ready(&self, encoding: Encoding) -> Option<Bytes> {
        if encoding != Encoding::Identity {
            let bit = 1 << encoding as u8;
            if self.asked.load(Ordering::Relaxed) & bit == 0 {
                self.asked.fetch_or(bit, Ordering::Relaxed);
            }
        }
        let resident = self.resident[encoding as usize].load_full()?;
        self.touch();
        resident.offer_file();
        Some(resident.bytes().clone())
    }

    /// The compressed variants asked for of this version or the one before,
    /// not in memory now, while the rendered bytes are (nothing to read back).
    pub(crate) fn to_make_ahead(&self) -> Vec<Encoding> {
        if self.resident[Encoding::Identity as usize].load().is_none() {
            return Vec::new();
        }
        let asked = self.asked.load(Ordering::Relaxed);
        [Encoding::Gzip, Encoding::Brotli]
            .into_iter()
            .filter(|&e| asked & (1 << e as u8) != 0)
            .filter(|&e| self.resident[e as usize].load().is_none())
            .collect()
    }

    /// Takes over what was asked of the version this one replaces.
    pub(crate) fn inherit_asked(&self, previous: &Artifact) {
        let asked = previous.asked.load(Ordering::Relaxed);
        self.asked.fetch_or(asked, Ordering::Relaxed);
    }

    /// The bytes of a variant: from memory, else read back from `dir` (where the
    /// mirror wrote them) and checked against the digest; a compressed variant is
    /// made on first use and kept as long as the artifact stays in memory, never
    /// per request. Blocks: call it off the async threads.
    pub fn load(&self, encoding: Encoding, dir: &Path) -> Result<Bytes, BodyError> {
        self.load_variant(encoding, dir).map(|loaded| loaded.bytes)
    }

    /// [`Artifact::load`], saying whether it compressed.
    pub(crate) fn load_variant(&self, encoding: Encoding, dir: &Path) -> Result<Loaded, BodyError> {
        let done = |bytes, compressed| Ok(Loaded { bytes, compressed });
        if let Some(bytes) = self.ready(encoding) {
            return done(bytes, false);
        }
        let body = match self.ready(Encoding::Identity) {
            Some(body) => body,
            None if !self.is_stored() => self.unpack()?,
            None => self.read_back(dir)?,
        };
        let bytes = match encoding {
            Encoding::Identity => return done(body, false),
            Encoding::Gzip => gzip(&body),
            Encoding::Brotli => brotli(&body),
        };
        self.resident[encoding as usize].store(Some(Arc::new(Resident::new(bytes.clone()))));
        done(bytes, true)
    }

    fn read_back(&self, dir: &Path) -> Result<Bytes, BodyError> {
        let file = dir.join(&self.path);
        let lost = |reason: String| BodyError::Lost {
            path: file.display().to_string(),
            reason,
        };
        let body = std::fs::read(&file).map_err(|e| lost(e.to_string()))?;
        let expected = self.file_digest.get().map(String::as_str);
        if body.len() != self.len || expected != Some(digest_of(&body).as_str()) {
            return Err(lost("other bytes".into()));
        }
        let body = Bytes::from(body);
        self.resident[0].store(Some(Arc::new(Resident::new(body.clone()))));
        Ok(body)
    }

    fn touch(&self) {
        self.last_used
            .store(TICKS.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// The rendered bytes while they are in memory (always until [`Artifact::mark_stored`]).
    pub fn resident_body(&self) -> Option<Bytes> {
        self.resident[0].load_full().map(|b| b.bytes().clone())
    }

    /// Records the hash of the bytes (for checking them when read back) if it
    /// is not known yet; the mirror calls it before writing them.
    pub(crate) fn note_file_digest(&self, body: &[u8]) {
        self.file_digest.get_or_init(|| digest_of(body));
    }

    /// The rendered bytes if the mirror has not written them yet (for writing
    /// them): from memory, or unpacked from the gzip variant of a
    /// [compacted](Artifact::compact) artifact.
    pub(crate) fn unwritten_body(&self) -> Option<Bytes> {
        if self.is_stored() {
            return None;
        }
        self.resident_body().or_else(|| self.unpack().ok())
    }

    /// For a document the mirror could not write (a full disk): keeps only
    /// the gzip variant in memory, a fraction of the bytes, until it is written.
    /// The rendered bytes are unpacked from it when asked for, never kept.
    /// Returns the bytes freed.
    pub(crate) fn compact(&self) -> usize {
        if self.is_stored() {
            return 0;
        }
        let before = self.resident_bytes();
        let gzip_slot = &self.resident[Encoding::Gzip as usize];
        if gzip_slot.load().is_none() {
            let Some(body) = self.resident_body() else {
                return 0;
            };
            gzip_slot.store(Some(Arc::new(Resident::new(gzip(&body)))));
        }
        self.resident[Encoding::Identity as usize].store(None);
        self.resident[Encoding::Brotli as usize].store(None);
        before.saturating_sub(self.resident_bytes())
    }

    /// The rendered bytes of a compacted artifact, from its gzip variant.
    fn unpack(&self) -> Result<Bytes, BodyError> {
        let lost = |reason: &str| BodyError::Unpack {
            path: self.path.clone(),
            reason: reason.into(),
        };
        let packed = self.resident[Encoding::Gzip as usize]
            .load_full()
            .ok_or_else(|| lost("not in memory"))?;
        let mut body = Vec::with_capacity(self.len);
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&packed.bytes()[..]),
            &mut body,
        )
        .map_err(|e| lost(&e.to_string()))?;
        Ok(Bytes::from(body))
    }

    /// Says that the mirror wrote these bytes: they may now leave memory.
    pub(crate) fn mark_stored(&self) {
        self.stored.store(true, Ordering::Release);
    }

    /// Whether the bytes are on disk.
    pub(crate) fn is_stored(&self) -> bool {
        self.stored.load(Ordering::Acquire)
    }

    /// Bytes of this artifact's variants held in memory.
    pub(crate) fn resident_bytes(&self) -> usize {
        self.resident
            .iter()
            .filter_map(|r| r.load().as_ref().map(|b| b.bytes().len()))
            .sum()
    }

    /// When it was last served (comparable between artifacts only).
    pub(crate) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// Drops the variants from memory if the bytes are on disk; returns the bytes freed.
    pub(crate) fn evict(&self) -> usize {
        if !self.is_stored() {
            return 0;
        }
        let freed = self.resident_bytes();
        self.resident.iter().for_each(|r| r.store(None));
        freed
    }
}

fn http_date(t: DateTime<Utc>) -> Bytes {
    Bytes::from(t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// The digest an artifact's ETag is made of: 96 bits of BLAKE3, in hex.
pub(crate) fn digest_of(body: &[u8]) -> String {
    blake3::hash(body).to_hex()[..24].to_owned()
}

fn etag_text(digest: &str, encoding: Encoding) -> String {
    match encoding.token() {
        None => format!("\"{digest}\""),
        Some(token) => format!("\"{digest}-{token}\""),
    }
}
