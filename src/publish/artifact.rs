//! One servable document: bytes, validators and compressed variants.

use crate::render::{DocKind, Document};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::io::Write;
use std::sync::OnceLock;

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The bytes as rendered.
    Identity,
    /// `gzip`.
    Gzip,
    /// `br`.
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` token (`None` for identity).
    pub fn token(self) -> Option<&'static str> {
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
    /// The rendered bytes.
    pub body: Bytes,
    /// Hex digest of the bytes: the strong ETag's opaque part.
    pub digest: String,
    /// Newest change among what it shows.
    pub last_modified: Option<DateTime<Utc>>,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Artifact {
    /// Wraps a rendered document.
    pub fn new(doc: Document) -> Artifact {
        let digest = blake3::hash(&doc.body).to_hex()[..24].to_owned();
        Artifact {
            path: doc.path,
            kind: doc.kind,
            body: Bytes::from(doc.body),
            digest,
            last_modified: doc.last_modified,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// Whether `doc` would publish exactly this artifact.
    pub fn same_content(&self, doc: &Document) -> bool {
        self.body.as_ref() == doc.body.as_slice()
            && self.last_modified == doc.last_modified
            && self.kind == doc.kind
    }

    /// The strong ETag of a variant: distinct per encoding (RFC 9110 §8.8.3).
    pub fn etag(&self, encoding: Encoding) -> String {
        match encoding.token() {
            None => format!("\"{}\"", self.digest),
            Some(token) => format!("\"{}-{token}\"", self.digest),
        }
    }

    /// Whether the bytes of a variant are at hand (identity always; a compressed
    /// variant once made).
    pub fn is_ready(&self, encoding: Encoding) -> bool {
        match encoding {
            Encoding::Identity => true,
            Encoding::Gzip => self.gzip.get().is_some(),
            Encoding::Brotli => self.brotli.get().is_some(),
        }
    }

    /// The bytes of a variant; a compressed one is made on first use and kept for
    /// the life of this artifact (one generation), never per request.
    pub fn bytes(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => self.body.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.body)).clone(),
            Encoding::Brotli => self.brotli.get_or_init(|| brotli(&self.body)).clone(),
        }
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(6),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    Bytes::from(enc.finish().unwrap_or_default())
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 5);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        lgwin: 22,
        ..Default::default()
    };
    // Reading from a slice and writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    Bytes::from(out)
}
