//! The byte stream under one WebSocket, and the write path of its events.
//!
//! tungstenite keeps its outgoing frames in a `Vec` that never gives memory back: one large
//! frame (a `ready` with many rooms, a presence batch after a crowd arrived, a `room_joined`
//! with a big member list) and that socket holds the capacity for the rest of its life. With
//! thousands of idle sockets that is most of the server's memory. So events do not go through
//! tungstenite: the connection encodes each text frame straight into this stream's own buffer
//! ([`SocketIo::push_text`]), which coalesces a batch into one `write` and is released once
//! drained. tungstenite still reads frames and answers pings and closes; its writes land in the
//! same buffer, always whole frames (this stream accepts every write in full), so the bytes on
//! the wire never interleave mid-frame.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The upgraded connection, with a write buffer that is freed when drained.
pub struct SocketIo {
    inner: TokioIo<Upgraded>,
    out: Vec<u8>,
    /// Bytes of `out` already written to `inner`.
    sent: usize,
}

impl SocketIo {
    pub fn new(inner: TokioIo<Upgraded>) -> SocketIo {
        SocketIo {
            inner,
            out: Vec::new(),
            sent: 0,
        }
    }

    /// Appends one text frame carrying `payload`. Nothing is written until the stream is
    /// flushed.
    pub fn push_text(&mut self, payload: &[u8]) {
        encode_text(&mut self.out, payload);
    }

    /// Bytes waiting to be written.
    pub fn pending(&self) -> usize {
        self.out.len() - self.sent
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        // Freed, not kept for the next batch: most sockets are quiet most of the time, and a
        // fresh buffer for the next burst costs one allocation.
        self.sent = 0;
        self.out = Vec::new();
        Poll::Ready(Ok(()))
    }
}

/// Appends one unmasked, unfragmented text frame carrying `payload` to `out` (server frames are
/// never masked, RFC 6455 §5.1).
fn encode_text(out: &mut Vec<u8>, payload: &[u8]) {
    const FIN_TEXT: u8 = 0x81;
    out.reserve(payload.len() + 10);
    out.push(FIN_TEXT);
    match payload.len() {
        len @ 0..=125 => out.push(len as u8),
        len @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

impl AsyncRead for SocketIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SocketIo {
    /// Always takes all of `data`: tungstenite only writes control frames here (pongs, closes),
    /// and a frame must never be split by a write that takes only part of it.
    fn poll_write(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.out.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

    /// The frames `push_text` writes parse as the text frames they should be.
    #[test]
    fn text_frames_are_well_formed() {
        for len in [0usize, 1, 125, 126, 65_535, 65_536, 100_000] {
            let payload = "x".repeat(len);
            let mut out = Vec::new();
            super::encode_text(&mut out, payload.as_bytes());
            let mut cursor = std::io::Cursor::new(out.as_slice());
            let (header, length) = FrameHeader::parse(&mut cursor).unwrap().unwrap();
            assert!(header.is_final && header.mask.is_none(), "{len}");
            assert_eq!(length, len as u64);
            assert_eq!(&out[cursor.position() as usize..], payload.as_bytes(), "{len}");
        }
    }
}
