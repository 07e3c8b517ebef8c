//! A thin layer over quick-xml's writer for the documents no feed crate writes
//! (sitemaps, OPML, the HTML directory). quick-xml escapes text and attributes.

use super::RenderError;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io;

/// The writer every such document uses: two-space indentation, into memory.
pub(crate) type XmlWriter = Writer<Vec<u8>>;

/// A new indented writer.
pub(crate) fn writer(capacity: usize) -> XmlWriter {
    Writer::new_with_indent(Vec::with_capacity(capacity), b' ', 2)
}

/// Writes `<?xml version="1.0" encoding="UTF-8"?>` and then the body.
pub(crate) fn document(
    path: &str,
    body: impl FnOnce(&mut XmlWriter) -> io::Result<()>,
) -> Result<Vec<u8>, RenderError> {
    let mut w = writer(4096);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|_| body(&mut w))
        .map_err(|e| RenderError::Xml {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

/// `<name>text</name>`, text escaped.
pub(crate) fn text_element(w: &mut XmlWriter, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}
