//! A connection that sends big bodies with `sendfile(2)`.
//!
//! hyper writes a response as a list of chunks (its head, then the body's
//! bytes) through the connection. [`Conn`] copies them to the socket as any
//! connection does, except a chunk that lies within a body kept in a memory
//! file ([`crate::publish::sendable`]): that one is sent from the file, at the
//! same offset, without the kernel copying it into the socket's buffers.
//! Whatever is not in a file (heads, small bodies, 304s, HEAD answers, the
//! API's JSON) is written as before, except that what precedes a body sent
//! from a file (its head) goes with `MSG_MORE`, so head and body leave in the
//! same segments (as nginx's `tcp_nopush`), not a small packet then the rest.
//! A partial send is reported as such and hyper sends the rest; a full socket
//! makes the write wait for writability. If the kernel refuses `sendfile` for
//! lack of support (not for a closed connection), the chunk is copied and
//! bodies are copied from then on.
//! Must not: choose or change what is sent; only how the bytes reach the socket.

use crate::publish::sendable;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::rt::TokioIo;
use std::io::{self, IoSlice};
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Chunks shorter than this are copied without looking them up (heads, the
/// last bytes of a partly sent body).
const LOOK_UP_FROM: usize = 4096;

/// A client connection for hyper.
pub(crate) struct Conn {
    io: TokioIo<TcpStream>,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream) -> Conn {
        Conn {
            io: TokioIo::new(stream),
        }
    }

    /// Runs `io` on the socket once it is writable: how many bytes went.
    fn poll_socket(
        &self,
        cx: &mut Context<'_>,
        mut io: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let stream = self.io.inner();
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match stream.try_io(Interest::WRITABLE, || io(stream)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                done => return Poll::Ready(done),
            }
        }
    }

    /// Sends `len` bytes of `file` from `offset`: how many went.
    fn poll_sendfile(
        &self,
        cx: &mut Context<'_>,
        file: &OwnedFd,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        self.poll_socket(cx, |stream| {
            let mut at = offset;
            rustix::fs::sendfile(stream, file, Some(&mut at), len).map_err(io::Error::from)
        })
    }

    /// Writes `bufs` saying more follows at once (`MSG_MORE`): the kernel holds
    /// a partial segment for the body sent next instead of pushing it alone.
    fn poll_send_more(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_socket(cx, |stream| {
            let mut control = rustix::net::SendAncillaryBuffer::default();
            rustix::net::sendmsg(stream, bufs, &mut control, rustix::net::SendFlags::MORE)
                .map_err(io::Error::from)
        })
    }
}

/// Whether `sendfile` failed for lack of support rather than for the connection.
fn unsupported(e: &io::Error) -> bool {
    let errno = e.raw_os_error();
    [
        rustix::io::Errno::INVAL,
        rustix::io::Errno::NOSYS,
        rustix::io::Errno::OPNOTSUPP,
    ]
    .iter()
    .any(|n| errno == Some(n.raw_os_error()))
}

/// The file and offset of a chunk kept in a memory file.
fn in_file(chunk: &[u8]) -> Option<(std::sync::Arc<OwnedFd>, u64)> {
    if chunk.len() < LOOK_UP_FROM {
        return None;
    }
    sendable::file_for(chunk)
}

impl Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some(first) = bufs.iter().position(|b| !b.is_empty()) else {
            return Poll::Ready(Ok(0));
        };
        if let Some((file, offset)) = in_file(&bufs[first]) {
            match ready!(self.poll_sendfile(cx, &file, offset, bufs[first].len())) {
                Ok(sent) if sent > 0 => return Poll::Ready(Ok(sent)),
                // The file ended early (it cannot: it is sealed): copy instead.
                Ok(_) => {}
                Err(e) if unsupported(&e) => sendable::refuse(&e),
                Err(e) => return Poll::Ready(Err(e)),
            }
            return Pin::new(&mut self.io).poll_write(cx, &bufs[first]);
        }
        // What comes before the first chunk in a file, in one write.
        match bufs[first..].iter().position(|b| in_file(b).is_some()) {
            Some(n) => self.poll_send_more(cx, &bufs[first..first + n]),
            None => Pin::new(&mut self.io).poll_write_vectored(cx, &bufs[first..]),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
