//! Splicing items into feeds, for every format: a leaf the formats use.
//!
//! A feed is its header with the items spliced in before its closing tags.
//! Splicing never looks inside the bytes: a fragment is the one-item document
//! minus the empty document's head and tail, checked to be so.
//! Must not: know any format (the formats pass their frames and tails in).

use super::RenderError;

/// The part of `full` between the head and the tail of `empty`, where `empty`
/// is the same frame without the item and ends with `tail`. `None` when `full`
/// is not that frame with one thing inserted before `tail`.
fn between<'a>(empty: &[u8], full: &'a [u8], tail: &[u8]) -> Option<&'a [u8]> {
    let head = empty.strip_suffix(tail)?;
    full.strip_prefix(head)?.strip_suffix(tail)
}

/// One item's bytes as a feed crate writes them inside a feed: `render` writes
/// the feed frame with no item and with `item`, and the difference is cut out.
pub(super) fn fragment<T>(
    id: &str,
    tail: &[u8],
    render: impl Fn(Vec<T>) -> Result<Vec<u8>, RenderError>,
    item: T,
) -> Result<Vec<u8>, RenderError> {
    let empty = render(Vec::new())?;
    let full = render(vec![item])?;
    between(&empty, &full, tail)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| frame_error(id))
}

/// `frame` (ending with `tail`) with `parts` inserted before `tail`.
pub(super) fn splice<'a>(
    mut frame: Vec<u8>,
    tail: &[u8],
    parts: impl Iterator<Item = &'a [u8]> + Clone,
) -> Option<Vec<u8>> {
    if !frame.ends_with(tail) {
        return None;
    }
    frame.truncate(frame.len() - tail.len());
    frame.reserve(parts.clone().map(<[u8]>::len).sum::<usize>() + tail.len() + 1);
    parts.for_each(|p| frame.extend_from_slice(p));
    frame.extend_from_slice(tail);
    Some(frame)
}

/// The error for a frame that did not have the shape splicing relies on (a
/// change in a feed crate's output; caught by every golden test).
pub(super) fn frame_error(path: &str) -> RenderError {
    RenderError::Xml {
        path: path.to_owned(),
        message: "the feed crate's frame did not end as expected; cannot splice items".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_takes_exactly_the_inserted_part() {
        let empty = b"<a><b/></a>";
        let full = b"<a><b/><i>x</i></a>";
        assert_eq!(between(empty, full, b"</a>"), Some(&b"<i>x</i>"[..]));
        assert_eq!(between(empty, b"<a><c/><i/></a>", b"</a>"), None);
        assert_eq!(between(empty, full, b"</z>"), None);
    }

    #[test]
    fn splice_inserts_before_the_tail() {
        let parts = [&b"<i>1</i>"[..], &b"<i>2</i>"[..]];
        let out = splice(b"<a><b/></a>".to_vec(), b"</a>", parts.iter().copied());
        assert_eq!(out.as_deref(), Some(&b"<a><b/><i>1</i><i>2</i></a>"[..]));
        assert_eq!(
            splice(b"<a>".to_vec(), b"</a>", parts.iter().copied()),
            None
        );
    }
}
