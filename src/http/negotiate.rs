//! Content negotiation and preconditions: which encoding to send, and whether
//! the client's copy is current (RFC 9110 §13: If-None-Match wins over
//! If-Modified-Since).

use crate::publish::{Artifact, Encoding};
use headers::{ETag, HeaderMapExt, IfModifiedSince, IfNoneMatch};
use hyper::HeaderMap;
use hyper::header::{ACCEPT_ENCODING, IF_NONE_MATCH};
use std::time::SystemTime;

/// The encoding to send for the request's `Accept-Encoding` (RFC 9110 §12.5.3).
///
/// Coding names and the `q` parameter name are case-insensitive; `x-gzip` is
/// `gzip`; `*` stands for every coding not listed. The acceptable coding
/// (q > 0) with the highest weight wins; on equal weights brotli, then gzip,
/// then identity. Identity is acceptable without being listed (below any
/// listed coding), unless `identity;q=0`, or `*;q=0` without an `identity`
/// entry, refuses it. When nothing we have is acceptable, identity is sent
/// anyway, as RFC 9110 recommends and nginx and Apache do, rather than a `406`
/// a feed reader could do nothing with. Without the header, identity.
pub(crate) fn choose_encoding(headers: &HeaderMap) -> Encoding {
    let Some(accepted) = Accepted::parse(headers) else {
        return Encoding::Identity;
    };
    let gzip = accepted
        .listed("gzip")
        .or_else(|| accepted.listed("x-gzip"))
        .or(accepted.star);
    let brotli = accepted.listed("br").or(accepted.star);
    // Unlisted, identity ranks below every coding listed with a weight.
    let identity = accepted
        .listed("identity")
        .or(accepted.star)
        .unwrap_or(LOWEST_Q);
    let candidates = [
        (Encoding::Brotli, brotli.unwrap_or(0), 2u8),
        (Encoding::Gzip, gzip.unwrap_or(0), 1),
        (Encoding::Identity, identity, 0),
    ];
    candidates
        .into_iter()
        .filter(|&(_, q, _)| q > 0)
        .max_by_key(|&(_, q, rank)| (q, rank))
        .map_or(Encoding::Identity, |(encoding, _, _)| encoding)
}

/// The lowest weight that still means "acceptable" (q=0.001), in thousandths.
const LOWEST_Q: u16 = 1;

/// The weights an `Accept-Encoding` header gives to the codings we have (and
/// `*`), in thousandths; made without allocating (it runs on every request).
#[derive(Debug, Default)]
struct Accepted {
    /// Weight of the first entry naming each of `gzip`, `x-gzip`, `br`, `identity`.
    named: [Option<u16>; 4],
    /// The weight of `*`, when present.
    star: Option<u16>,
}

/// The codings [`Accepted`] keeps, in its `named` order.
const NAMED: [&str; 4] = ["gzip", "x-gzip", "br", "identity"];

impl Accepted {
    /// Every `Accept-Encoding` field of the request; `None` when there is none.
    /// An entry whose weight is malformed counts as q=0 (never send a coding
    /// the client's weight for it cannot be read).
    fn parse(headers: &HeaderMap) -> Option<Accepted> {
        let mut fields = headers.get_all(ACCEPT_ENCODING).iter().peekable();
        fields.peek()?;
        let mut accepted = Accepted::default();
        for item in fields
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1000), |(_, value)| parse_q(value.trim()))
                .unwrap_or(0);
            if coding == "*" {
                accepted.star = accepted.star.or(Some(q));
            } else if let Some(i) = NAMED.iter().position(|n| n.eq_ignore_ascii_case(coding)) {
                accepted.named[i] = accepted.named[i].or(Some(q));
            }
        }
        Some(accepted)
    }

    /// The weight of a coding the header names (its first entry).
    fn listed(&self, coding: &str) -> Option<u16> {
        let i = NAMED.iter().position(|&n| n == coding)?;
        self.named[i]
    }
}

/// An RFC 9110 qvalue (`0`, `0.`, `0.5`, `0.125`, `1`, `1.000`; at most three
/// decimals, never above 1) in thousandths; `None` when malformed.
fn parse_q(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if fraction.len() > 3 || !digits(fraction) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether the client already has this representation: `304 Not Modified`.
pub(crate) fn not_modified(headers: &HeaderMap, artifact: &Artifact, encoding: Encoding) -> bool {
    // The usual revalidation (one field, exactly our strong ETag) is answered
    // without parsing; any other form goes through the `headers` crate.
    let mut inm_fields = headers.get_all(IF_NONE_MATCH).iter();
    if let (Some(only), None) = (inm_fields.next(), inm_fields.next())
        && only.as_bytes() == &artifact.etag(encoding)[..]
    {
        return true;
    }
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

    /// (Accept-Encoding fields, what is sent); `None` is no header at all.
    const CASES: &[(Option<&str>, Encoding)] = {
        use Encoding::{Brotli as Br, Gzip, Identity as Id};
        &[
            (None, Id),
            (Some(""), Id),
            (Some("gzip, deflate, br"), Br),
            (Some("gzip"), Gzip),
            (Some("x-gzip"), Gzip),
            (Some("deflate"), Id),
            (Some("identity"), Id),
            // Names and the q parameter are case-insensitive.
            (Some("GZIP"), Gzip),
            (Some("gzip;Q=0"), Id),
            (Some("GZIP ; Q=0, BR;Q=0.5"), Br),
            (Some("gzip; q=0"), Id),
            (Some("gzip ;q=0 , br ; q=0"), Id),
            (Some("Br;Q=0.000, GZip;q=0.001"), Gzip),
            // Weights choose; equal weights prefer br, then gzip.
            (Some("br;q=0.5, gzip;q=1"), Gzip),
            (Some("br;q=0.5, gzip;q=0.5"), Br),
            (Some("gzip;q=0.8, br;q=0.8, identity;q=0.8"), Br),
            (Some("br;q=0.5, gzip;q=0.4, identity"), Id),
            (Some("gzip;q=0.5, identity;q=0.4"), Gzip),
            (Some("gzip;q=0.001"), Gzip),
            (Some("gzip;level=9;q=0.5, br;q=0.4"), Gzip),
            // `*` matches the codings not listed, identity included.
            (Some("*"), Br),
            (Some("*;q=0.5, br;q=0"), Gzip),
            (Some("*;q=0.5, gzip;q=0.9"), Gzip),
            (Some("*;q=0.9, gzip;q=0.5"), Br),
            (Some("*;q=0"), Id),
            (Some("*;q=0, gzip"), Gzip),
            // Identity refused and nothing else acceptable: identity anyway.
            (Some("identity;q=0"), Id),
            (Some("identity;q=0, gzip;q=0"), Id),
            (Some("*;q=0, identity;q=0"), Id),
            (Some("identity;q=0, gzip;q=0.1"), Gzip),
            // Malformed weights count as 0; empty entries are skipped.
            (Some("gzip;q=2"), Id),
            (Some("gzip;q=1.5"), Id),
            (Some("gzip;q=1.001"), Id),
            (Some("gzip;q=0.0001"), Id),
            (Some("gzip;q=-1"), Id),
            (Some("gzip;q=abc"), Id),
            (Some("gzip;q="), Id),
            (Some("gzip;q=.5"), Id),
            (Some("br;q=x, gzip"), Gzip),
            (Some("gzip;q=1.000"), Gzip),
            (Some("gzip;q=0."), Id),
            (Some(",, ,gzip;q=0.5,"), Gzip),
            (Some(";q=1"), Id),
        ]
    };

    #[test]
    fn accept_encoding_table() {
        for &(value, want) in CASES {
            let mut h = HeaderMap::new();
            if let Some(v) = value {
                h.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            assert_eq!(choose_encoding(&h), want, "Accept-Encoding: {value:?}");
        }
    }

    #[test]
    fn every_accept_encoding_field_counts() {
        let mut h = HeaderMap::new();
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0.5"));
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("BR;Q=0.9"));
        assert_eq!(choose_encoding(&h), Encoding::Brotli);
        let mut h = HeaderMap::new();
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("br;Q=0"));
        assert_eq!(choose_encoding(&h), Encoding::Gzip);
    }

    #[test]
    fn qvalues_in_thousandths() {
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.0"), Some(1000));
        assert_eq!(parse_q("1.01"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("01"), None);
        assert_eq!(parse_q(""), None);
        assert_eq!(parse_q("1e0"), None);
    }
}
