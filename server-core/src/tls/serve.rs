//! The TLS side of accepting a connection (a handshake bounded in time, run in the
//! connection's own task) and the plain-HTTP listener that only redirects to HTTPS.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connections::{self, Admission};

/// Completes the server side of a TLS handshake on `stream`, or gives up after `timeout` or
/// when `drain` is cancelled. A failure is only logged (at debug: a browser that has not yet
/// accepted the certificate fails every handshake, and a client pinned to another certificate
/// gives up in it): no HTTP request was read, so there is nothing else to answer.
pub(crate) async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    peer: SocketAddr,
    timeout: Duration,
    drain: &CancellationToken,
) -> Option<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tokio::select! {
        result = tokio::time::timeout(timeout, acceptor.accept(stream)) => match result {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                None
            }
        },
        () = drain.cancelled() => None,
    }
}

/// What the redirect listener shares with the main one: the connection caps, the task set
/// shutdown waits for, and the signal that asks connections to finish.
pub(crate) struct Redirect {
    pub https_port: u16,
    pub admission: Admission,
    pub head_timeout: Duration,
    pub tasks: TaskTracker,
    pub drain: CancellationToken,
}

/// Answers every request on `listener` with `308 Permanent Redirect` to the same host and path
/// on the HTTPS port, until `stop`. No HSTS header: a browser must stay free to reach a later
/// plain-HTTP setup (behind a reverse proxy, say) without being locked out.
pub(crate) async fn redirect(listener: TcpListener, redirect: Redirect, stop: CancellationToken) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(redirect.head_timeout);
    while let Some((stream, _)) = connections::next_admitted(&listener, &redirect.admission, &stop).await {
        let local = stream.local_addr().ok();
        let https_port = redirect.https_port;
        let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let location = location(&request, local, https_port);
            async move { Ok::<_, Infallible>(moved_to(&location)) }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let drain = redirect.drain.clone();
        redirect.tasks.spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = drain.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "redirect connection ended with an error");
            }
        });
    }
}

fn moved_to(location: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(format!(
        "This Confab server is at {location}\n"
    ))));
    *response.status_mut() = http::StatusCode::PERMANENT_REDIRECT;
    let headers = response.headers_mut();
    if let Ok(value) = http::HeaderValue::from_str(location) {
        headers.insert(http::header::LOCATION, value);
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `https://HOST:PORT/path?query` for a request that asked for `http://HOST[:other]/path?query`.
/// The host comes from the `Host` header, or the address the request arrived on when that is
/// missing or malformed.
fn location<B>(request: &hyper::Request<B>, local: Option<SocketAddr>, https_port: u16) -> String {
    let from_header = request
        .headers()
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<http::uri::Authority>().ok())
        .map(|authority| authority.host().to_owned())
        .filter(|host| !host.is_empty());
    let host = from_header.unwrap_or_else(|| match local {
        Some(SocketAddr::V6(v6)) => format!("[{}]", v6.ip()),
        Some(SocketAddr::V4(v4)) => v4.ip().to_string(),
        None => "localhost".to_owned(),
    });
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    if https_port == 443 {
        format!("https://{host}{path}")
    } else {
        format!("https://{host}:{https_port}{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: Option<&str>, uri: &str) -> hyper::Request<()> {
        let mut builder = hyper::Request::builder().uri(uri);
        if let Some(host) = host {
            builder = builder.header("host", host);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn location_keeps_host_path_and_query() {
        let local = Some("192.0.2.5:8081".parse().unwrap());
        assert_eq!(
            location(&request(Some("chat.office:8081"), "/a/b?c=d"), local, 8443),
            "https://chat.office:8443/a/b?c=d"
        );
        assert_eq!(
            location(&request(Some("[fe80::1]:8081"), "/"), local, 8443),
            "https://[fe80::1]:8443/"
        );
        assert_eq!(location(&request(None, "/x"), local, 443), "https://192.0.2.5/x");
        assert_eq!(
            location(&request(Some("bad host"), "/"), local, 8443),
            "https://192.0.2.5:8443/"
        );
    }
}
