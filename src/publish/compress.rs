//! The compressed variants of a document: gzip and brotli, at settings chosen
//! for documents that change many times a minute under load (README, "memory
//! under load": sizes and times on a 207 KB feed and a 1 MB sitemap).
//!
//! Owns: the codecs' settings. Must not: keep bytes (artifacts do).

use bytes::Bytes;
use std::io::Write;

/// gzip level 6 (zlib's default) by zlib-rs: the bytes miniz_oxide made at 6
/// (within 1 %), in a quarter of its time.
const GZIP_LEVEL: u32 = 6;

/// brotli quality 4: a third of quality 6's time for 9–11 % more bytes, still
/// a tenth to a fifth smaller than gzip 6.
const BROTLI_QUALITY: i32 = 4;

/// The window is the smallest that holds the whole document (2^lgwin − 16
/// bytes), between brotli's bounds: the same bytes as a 4 MB window, with the
/// ring buffer and its memory sized by the document.
const BROTLI_WINDOW_BITS: std::ops::RangeInclusive<i32> = 16..=24;

/// The gzip variant of `body`.
pub(super) fn gzip(body: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(GZIP_LEVEL),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    Bytes::from(enc.finish().unwrap_or_default())
}

/// The brotli variant of `body`.
pub(super) fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 5);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: window_bits(body.len()),
        size_hint: body.len(),
        ..Default::default()
    };
    // Reading from a slice and writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    Bytes::from(out)
}

/// The window bits of a document of `len` bytes (see [`BROTLI_WINDOW_BITS`]).
fn window_bits(len: usize) -> i32 {
    let (min, max) = (*BROTLI_WINDOW_BITS.start(), *BROTLI_WINDOW_BITS.end());
    (min..max)
        .find(|&bits| (1usize << bits) - 16 >= len)
        .unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn both_variants_unpack_to_the_body() {
        let body: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("<item>{}</item>", i % 977).into_bytes())
            .collect();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&body)[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
        let mut back = Vec::new();
        brotli::Decompressor::new(&brotli(&body)[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
    }

    #[test]
    fn the_window_holds_the_document_within_brotlis_bounds() {
        assert_eq!(window_bits(0), 16);
        assert_eq!(window_bits(65_520), 16);
        assert_eq!(window_bits(65_521), 17);
        assert_eq!(window_bits(206_958), 18);
        assert_eq!(window_bits(1_028_476), 20);
        assert_eq!(window_bits(100 << 20), 24);
    }
}
