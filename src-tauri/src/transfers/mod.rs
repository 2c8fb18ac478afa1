//! Large files to and from a Confab server, streamed in Rust so that no whole file ever sits
//! in memory or crosses to the webview: a download goes chunk by chunk into a hidden partial
//! file beside its destination in the Downloads folder, is renamed when complete and marked
//! with its origin, and is removed on any failure or cancel; an upload streams a file from
//! disk as the multipart body of the request. Both run over the pinned transport (or plain
//! HTTP to an `http://` server) and report progress to a callback.

mod body;
mod running;

pub use body::multipart_frame;
pub use running::Transfers;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use self::body::{Empty, FormBody};

use crate::error::{Error, Result};
use crate::transport;
use crate::verify::Roots;

/// The most of an error answer read: servers answer errors with a small JSON object.
const ERROR_BODY: usize = 64 * 1024;
/// How long an upload waits for the server's `100 Continue` before sending the file anyway.
const CONTINUE: Duration = Duration::from_secs(2);
/// Progress reports per transfer at most: one per this many bytes (and the last one).
const REPORT_EVERY: u64 = 512 * 1024;

/// How to reach a server for a transfer.
#[derive(Clone, Debug)]
pub enum Link {
    /// `https`: only with the certificate pinned for the server (or one `roots` vouch for).
    Pinned {
        address: String,
        fingerprint: String,
        roots: Option<Roots>,
    },
    /// `http`: the built-in server on loopback, or a server behind the person's own choice.
    Plain { address: String },
}

impl Link {
    fn address(&self) -> &str {
        match self {
            Link::Pinned { address, .. } | Link::Plain { address } => address,
        }
    }

    /// The server's address as a URL, for messages.
    fn url(&self) -> String {
        match self {
            Link::Pinned { address, .. } => format!("https://{address}"),
            Link::Plain { address } => format!("http://{address}"),
        }
    }
}

/// How far a transfer is: bytes so far, and of how many when the size is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
}

/// A file on this computer to upload (chosen with the native dialog; never named by the page).
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub path: PathBuf,
    pub name: String,
    pub content_type: String,
}

/// The server's answer to an upload that it accepted.
#[derive(Clone, Debug, Serialize)]
pub struct Uploaded {
    pub status: u16,
    pub body: serde_json::Value,
}

/// Downloads `path` (e.g. `/api/files/…`) from the server behind `link` into `dir`, under the
/// name `suggested` (see [`crate::downloads::destination`]), calling `progress` as bytes
/// arrive. The file is written as a hidden partial file first and only renamed to its real name
/// when every byte the server announced has arrived; it then carries the mark naming `origin`.
/// Nothing is created before the server answers 2xx (a wrong certificate fails in the
/// handshake), and the partial file is removed on any error — or when the future is dropped,
/// which is how a transfer is cancelled. Returns where the file went.
pub async fn download(
    link: &Link,
    token: Option<&str>,
    path: &str,
    dir: &Path,
    suggested: Option<&str>,
    origin: &str,
    mut progress: impl FnMut(Progress),
) -> Result<PathBuf> {
    let request = request(link, token, http::Method::GET, path)?
        .body(Empty)
        .map_err(|e| Error::invalid("invalid_request", e.to_string()))?;
    let response = exchange(link, request, tokio::time::sleep(transport::ANSWER)).await?;
    let response = check(link, response).await?;
    let total = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    tokio::fs::create_dir_all(dir).await?;
    let chosen = crate::downloads::destination(dir, suggested);
    let mut partial = Partial::create(dir, &chosen).await?;
    let mut body = response.into_body();
    let mut done = 0u64;
    let mut reported = 0u64;
    progress(Progress { done, total });
    // A server that stops sending mid-way is given up on, as one that never answers.
    while let Some(frame) = tokio::time::timeout(transport::ANSWER, body.frame())
        .await
        .map_err(|_| cut_short(link, &"nothing arrived for a minute"))?
    {
        let frame = frame.map_err(|e| cut_short(link, &e))?;
        if let Ok(data) = frame.into_data() {
            partial.file.write_all(&data).await?;
            done += data.len() as u64;
            if done - reported >= REPORT_EVERY {
                reported = done;
                progress(Progress { done, total });
            }
        }
    }
    if total.is_some_and(|total| total != done) {
        return Err(cut_short(link, &"the answer ended early"));
    }
    partial.file.flush().await?;
    partial.file.sync_all().await?;
    // Chosen again: a file of that name may have appeared meanwhile, and is never overwritten.
    let destination = crate::downloads::destination(dir, suggested);
    let saved = partial.finish(&destination).await?;
    if let Err(e) = crate::origin::mark(&saved, origin) {
        tracing::warn!(error = %e, path = %saved.display(), "could not mark the download's origin");
    }
    progress(Progress {
        done,
        total: Some(done),
    });
    Ok(saved)
}

/// Uploads `file` to `path` (e.g. `/api/rooms/7/uploads`) as the `file` part of a
/// multipart/form-data body after the text `fields`, read from disk as the request is sent
/// (its length known beforehand, so the server can refuse an oversized file before a byte of
/// it is read). `progress` follows the bytes handed to the connection. A file that changes size
/// meanwhile fails the upload. The server's error (e.g. `payload_too_large`) comes back as
/// [`Error::Server`].
pub async fn upload(
    link: &Link,
    token: Option<&str>,
    path: &str,
    fields: &[(&str, &str)],
    file: &Outgoing,
    progress: impl FnMut(Progress) + Send + 'static,
) -> Result<Uploaded> {
    let opened = tokio::fs::File::open(&file.path).await?;
    let size = opened.metadata().await?.len();
    let boundary = body::boundary();
    let (head, tail) = multipart_frame(&boundary, fields, file);
    let length = head.len() as u64 + size + tail.len() as u64;
    let sent = Arc::new(tokio::sync::Notify::new());
    // `Expect: 100-continue`: the server looks at the head (the length, the session, the room)
    // before a byte of the file is sent. A refusal then arrives as an answer, never as a write
    // cut short by a server that stopped reading; a server that says nothing gets the file
    // after a moment anyway.
    let go_on = Arc::new(tokio::sync::Notify::new());
    let waiting = go_on.clone();
    let body = FormBody {
        go_on: Some(Box::pin(async move {
            let _ = tokio::time::timeout(CONTINUE, waiting.notified()).await;
        })),
        finished: sent.clone(),
        head: Some(Bytes::from(head)),
        file: opened,
        left: size,
        tail: Some(Bytes::from(tail)),
        sent: 0,
        reported: 0,
        length,
        progress: Box::new(progress),
    };
    let mut request = request(link, token, http::Method::POST, path)?
        .header(
            http::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(http::header::CONTENT_LENGTH, length)
        .header(http::header::EXPECT, "100-continue")
        .body(body)
        .map_err(|e| Error::invalid("invalid_request", e.to_string()))?;
    hyper::ext::on_informational(&mut request, move |answer| {
        if answer.status() == http::StatusCode::CONTINUE {
            go_on.notify_one();
        }
    });
    // A large file takes as long as it takes to send; the answer is waited for from then on.
    let answered_in_time = async move {
        sent.notified().await;
        tokio::time::sleep(transport::ANSWER).await;
    };
    let response = exchange(link, request, answered_in_time).await?;
    let response = check(link, response).await?;
    let status = response.status().as_u16();
    let bytes = read_limited(link, response.into_body(), 16 * 1024 * 1024).await?;
    Ok(Uploaded {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    })
}

fn request(
    link: &Link,
    token: Option<&str>,
    method: http::Method,
    path: &str,
) -> Result<http::request::Builder> {
    if !path.starts_with("/api/") {
        return Err(Error::invalid(
            "invalid_url",
            "only the server's API is reachable",
        ));
    }
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, link.address())
        .header(http::header::ACCEPT, "application/json, */*");
    if let Some(token) = token {
        builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    Ok(builder)
}

/// Connects (pinned for `https`), sends `request` on a connection of its own and returns the
/// answer's head with its body still streaming, unless `give_up` ends first.
async fn exchange<B>(
    link: &Link,
    request: http::Request<B>,
    give_up: impl Future<Output = ()>,
) -> Result<http::Response<Incoming>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match link {
        Link::Pinned {
            address,
            fingerprint,
            roots,
        } => {
            let stream = transport::connect_verified(address, fingerprint, roots.clone()).await?;
            send_on(link, stream, request, give_up).await
        }
        Link::Plain { address } => {
            let attempt = tokio::net::TcpStream::connect(address.as_str());
            let stream = tokio::time::timeout(transport::CONNECT, attempt)
                .await
                .map_err(|_| unreachable(link, "timed out"))?
                .map_err(|e| unreachable(link, &e.to_string()))?;
            let _ = stream.set_nodelay(true);
            send_on(link, stream, request, give_up).await
        }
    }
}

async fn send_on<I, B>(
    link: &Link,
    io: I,
    request: http::Request<B>,
    give_up: impl Future<Output = ()>,
) -> Result<http::Response<Incoming>>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| unreachable(link, &e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a transfer's connection ended");
        }
    });
    tokio::select! {
        answer = sender.send_request(request) => answer.map_err(|e| unreachable(link, &e.to_string())),
        () = give_up => Err(unreachable(link, "no answer in time")),
    }
}

/// The answer if it is a success; otherwise the server's own error (`{"error": {code,
/// message}}`), with its status.
async fn check(link: &Link, response: http::Response<Incoming>) -> Result<http::Response<Incoming>> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let bytes = read_limited(link, response.into_body(), ERROR_BODY)
        .await
        .unwrap_or_default();
    let error = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|json| json.get("error").cloned());
    let text = |key: &str| error.as_ref().and_then(|e| e[key].as_str()).map(str::to_owned);
    Err(Error::Server {
        status,
        code: text("code").unwrap_or_else(|| match status {
            401 => "unauthorized".to_owned(),
            413 => "payload_too_large".to_owned(),
            _ => format!("http_{status}"),
        }),
        message: text("message").unwrap_or_else(|| format!("the server answered {status}")),
    })
}

async fn read_limited(link: &Link, mut body: Incoming, limit: usize) -> Result<Bytes> {
    let mut bytes = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| cut_short(link, &e))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(cut_short(link, &"the answer is too long"));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

fn unreachable(link: &Link, reason: &str) -> Error {
    Error::Unreachable {
        url: link.url(),
        reason: reason.to_owned(),
    }
}

fn cut_short(link: &Link, reason: &dyn std::fmt::Display) -> Error {
    Error::Interrupted {
        address: link.address().to_owned(),
        reason: reason.to_string(),
    }
}

/// A download being written: a hidden file beside where it will go, removed when dropped
/// unless it was finished (renamed).
struct Partial {
    path: PathBuf,
    file: tokio::fs::File,
    done: bool,
}

impl Partial {
    async fn create(dir: &Path, chosen: &Path) -> Result<Partial> {
        let name = chosen
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut raw = [0u8; 4];
        let _ = getrandom::fill(&mut raw);
        let tag: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!(".{name}.{tag}.part"));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Partial {
            path,
            file,
            done: false,
        })
    }

    async fn finish(mut self, to: &Path) -> Result<PathBuf> {
        tokio::fs::rename(&self.path, to).await?;
        self.done = true;
        Ok(to.to_owned())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            // Synchronous on purpose: a cancelled transfer is dropped, with no later await.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
