//! The bodies of transfer requests: the multipart form of an upload, read from disk as the
//! connection takes it (after the server's `100 Continue`), and the empty body of a download.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::AsyncRead;

use super::{Outgoing, Progress, REPORT_EVERY};

/// How much of a file is read at a time.
const CHUNK: usize = 256 * 1024;

/// The text before and after the file's bytes in a multipart/form-data body, written as
/// browsers write it (names with `"` and line breaks percent-escaped).
pub fn multipart_frame(boundary: &str, fields: &[(&str, &str)], file: &Outgoing) -> (Vec<u8>, Vec<u8>) {
    let escape = |value: &str| {
        value
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let mut head = String::new();
    for (name, value) in fields {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
            escape(name)
        ));
    }
    let content_type: String = file
        .content_type
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect();
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
        escape(&file.name),
        if content_type.is_empty() { "application/octet-stream" } else { &content_type },
    ));
    let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
    (head.into_bytes(), tail)
}

pub(super) fn boundary() -> String {
    let mut raw = [0u8; 16];
    let _ = getrandom::fill(&mut raw);
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    format!("----ConfabBoundary{hex}")
}

/// A multipart body read from disk as the connection takes it.
pub(super) struct FormBody {
    /// Until this ends, nothing is sent (the server's `100 Continue`, or enough waiting).
    pub(super) go_on: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Told when the last byte was handed over.
    pub(super) finished: Arc<tokio::sync::Notify>,
    pub(super) head: Option<Bytes>,
    pub(super) file: tokio::fs::File,
    /// File bytes still to send.
    pub(super) left: u64,
    pub(super) tail: Option<Bytes>,
    pub(super) sent: u64,
    pub(super) reported: u64,
    pub(super) length: u64,
    pub(super) progress: Box<dyn FnMut(Progress) + Send>,
}

impl FormBody {
    fn count(&mut self, n: usize) {
        self.sent += n as u64;
        if self.sent - self.reported >= REPORT_EVERY || self.sent == self.length {
            self.reported = self.sent;
            (self.progress)(Progress {
                done: self.sent,
                total: Some(self.length),
            });
        }
    }
}

impl Body for FormBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if let Some(gate) = this.go_on.as_mut() {
            if gate.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.go_on = None;
        }
        if let Some(head) = this.head.take() {
            this.count(head.len());
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        if this.left > 0 {
            let want = usize::try_from(this.left).unwrap_or(CHUNK).min(CHUNK);
            let mut buffer = BytesMut::zeroed(want);
            let mut read = tokio::io::ReadBuf::new(&mut buffer);
            return match Pin::new(&mut this.file).poll_read(cx, &mut read) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    if n == 0 {
                        return Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file got shorter while it was being sent",
                        ))));
                    }
                    buffer.truncate(n);
                    this.left -= n as u64;
                    this.count(n);
                    Poll::Ready(Some(Ok(Frame::data(buffer.freeze()))))
                }
            };
        }
        match this.tail.take() {
            Some(tail) => {
                this.count(tail.len());
                this.finished.notify_one();
                Poll::Ready(Some(Ok(Frame::data(tail))))
            }
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none() && self.left == 0 && self.tail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.length - self.sent)
    }
}

/// A request without a body.
pub(super) struct Empty;

impl Body for Empty {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        true
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(0)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn outgoing(name: &str) -> Outgoing {
        Outgoing {
            path: PathBuf::from("/nowhere"),
            name: name.to_owned(),
            content_type: "text/plain".to_owned(),
        }
    }

    #[test]
    fn the_form_is_framed_as_browsers_frame_it() {
        let (head, tail) = multipart_frame(
            "B",
            &[("caption", "hi"), ("client_msg_id", "c1")],
            &outgoing("a\"b\n.txt"),
        );
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "--B\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nhi\r\n\
             --B\r\nContent-Disposition: form-data; name=\"client_msg_id\"\r\n\r\nc1\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a%22b%0A.txt\"\r\n\
             Content-Type: text/plain\r\n\r\n"
        );
        assert_eq!(tail, b"\r\n--B--\r\n");
    }
}
