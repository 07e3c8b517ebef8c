//! Content negotiation and preconditions: which encoding to send, and whether
//! the client's copy is current (RFC 9110 §13: If-None-Match wins over
//! If-Modified-Since).

use crate::publish::{Artifact, Encoding};
use headers::{ETag, HeaderMapExt, IfModifiedSince, IfNoneMatch};
use hyper::HeaderMap;
use hyper::header::ACCEPT_ENCODING;
use std::time::SystemTime;

/// The encoding to send for an `Accept-Encoding` header: brotli, then gzip, when
/// acceptable (q > 0); identity otherwise. Without the header, identity.
pub fn choose_encoding(headers: &HeaderMap) -> Encoding {
    let mut best = (Encoding::Identity, 0u8);
    let mut star: Option<u16> = None;
    let mut explicit: Vec<(String, u16)> = Vec::new();
    for value in headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(parse_q))
                .unwrap_or(1000);
            if coding == "*" {
                star = Some(q);
            } else if !coding.is_empty() {
                explicit.push((coding, q));
            }
        }
    }
    let q_of = |name: &str| {
        explicit
            .iter()
            .find(|(c, _)| c == name)
            .map(|&(_, q)| q)
            .or(star)
            .unwrap_or(0)
    };
    for (encoding, rank) in [(Encoding::Brotli, 2u8), (Encoding::Gzip, 1)] {
        let name = encoding.token().unwrap_or("identity");
        let q = if name == "gzip" {
            q_of("gzip").max(q_of("x-gzip"))
        } else {
            q_of(name)
        };
        if q > 0 && rank > best.1 {
            best = (encoding, rank);
        }
    }
    best.0
}

/// q-value in thousandths; malformed values count as 0 (not acceptable).
fn parse_q(text: &str) -> u16 {
    let q: f32 = text.trim().parse().unwrap_or(0.0);
    (q.clamp(0.0, 1.0) * 1000.0).round() as u16
}

/// Whether the client already has this representation: `304 Not Modified`.
pub fn not_modified(headers: &HeaderMap, artifact: &Artifact, encoding: Encoding) -> bool {
    if let Some(inm) = headers.typed_get::<IfNoneMatch>() {
        let Ok(etag) = std::str::from_utf8(artifact.etag(encoding))
            .unwrap_or("")
            .parse::<ETag>()
        else {
            return false;
        };
        return !inm.precondition_passes(&etag);
    }
    match (
        headers.typed_get::<IfModifiedSince>(),
        artifact.last_modified,
    ) {
        (Some(ims), Some(lm)) => !ims.is_modified(SystemTime::from(lm)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn accept(value: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        choose_encoding(&h)
    }

    #[test]
    fn prefers_brotli_then_gzip_and_honours_q_zero() {
        assert_eq!(choose_encoding(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(accept("gzip, deflate, br"), Encoding::Brotli);
        assert_eq!(accept("gzip"), Encoding::Gzip);
        assert_eq!(accept("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accept("*;q=0"), Encoding::Identity);
        assert_eq!(accept("*"), Encoding::Brotli);
        assert_eq!(accept("identity"), Encoding::Identity);
        assert_eq!(accept("GZIP ; Q=1"), Encoding::Gzip);
    }
}
