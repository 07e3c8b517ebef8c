//! One servable document: bytes, validators and compressed variants.

use crate::render::{DocKind, Document};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hyper::header::HeaderValue;
use std::io::Write;
use std::sync::OnceLock;

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
    /// The ETag of each variant (identity, gzip, br), made once.
    etags: [HeaderValue; 3],
    /// The `Last-Modified` value, made once.
    last_modified_value: Option<HeaderValue>,
    /// The `Link: <…>; rel="self"` value, made on first use (it needs the public URL).
    pub self_link: OnceLock<HeaderValue>,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Artifact {
    /// Wraps a rendered document.
    pub fn new(doc: Document) -> Artifact {
        let digest = blake3::hash(&doc.body).to_hex()[..24].to_owned();
        // Hex digits, quotes and a token: always a valid header value.
        let etag = |e: Encoding| {
            HeaderValue::from_str(&etag_text(&digest, e))
                .unwrap_or(HeaderValue::from_static("\"\""))
        };
        let last_modified_value = doc.last_modified.map(|t| {
            let text = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
        });
        Artifact {
            etags: [
                etag(Encoding::Identity),
                etag(Encoding::Gzip),
                etag(Encoding::Brotli),
            ],
            last_modified_value,
            self_link: OnceLock::new(),
            path: doc.path,
            kind: doc.kind,
            body: Bytes::from(doc.body),
            digest,
            last_modified: doc.last_modified,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The `ETag` header value of a variant.
    pub fn etag_value(&self, encoding: Encoding) -> &HeaderValue {
        &self.etags[encoding as usize]
    }

    /// The `Last-Modified` header value (an HTTP date), if the document has one.
    pub fn last_modified_value(&self) -> Option<&HeaderValue> {
        self.last_modified_value.as_ref()
    }

    /// Whether `doc` would publish exactly this artifact.
    pub fn same_content(&self, doc: &Document) -> bool {
        self.body.as_ref() == doc.body.as_slice()
            && self.last_modified == doc.last_modified
            && self.kind == doc.kind
    }

    /// The strong ETag of a variant: distinct per encoding (RFC 9110 §8.8.3).
    pub fn etag(&self, encoding: Encoding) -> String {
        etag_text(&self.digest, encoding)
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

fn etag_text(digest: &str, encoding: Encoding) -> String {
    match encoding.token() {
        None => format!("\"{digest}\""),
        Some(token) => format!("\"{digest}-{token}\""),
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
