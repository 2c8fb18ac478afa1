//! Accepting connections: admission within the connection caps, the TLS handshake when the
//! server speaks HTTPS, then HTTP/1.1 (with WebSocket upgrades) over warp's routes.
//!
//! The loop is written by hand rather than with a server builder because warp 0.4 has no TLS of
//! its own, and because each step must stay off the loop: a connection is admitted (or refused)
//! at once, and everything slow — the handshake, reading the request head — runs in that
//! connection's own task under its own timeout, so a client that connects and sends nothing
//! holds one slot for a few seconds and never delays anyone else.

use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::connections::{self, Admission};
use crate::http::ClientAddr;
use crate::tls::{Tls, serve};
use crate::ws::UpgradeSlot;

/// The HTTP connections being served, and the signal that asks them to finish.
#[derive(Clone)]
pub(super) struct Connections {
    pub tasks: TaskTracker,
    /// Cancelled at shutdown: each connection finishes the request it is serving, then closes.
    pub drain: CancellationToken,
}

/// What the accept loop needs besides the listener and the routes.
pub(super) struct Acceptor {
    pub admission: Admission,
    pub head_timeout: Duration,
    pub connections: Connections,
    /// Present when the server speaks HTTPS.
    pub tls: Option<Tls>,
    pub handshake_timeout: Duration,
}

/// Accepts connections until `stop`, each within the caps or refused at once.
pub(super) async fn accept(
    listener: TcpListener,
    routes: BoxedFilter<(Response,)>,
    acceptor: Acceptor,
    stop: CancellationToken,
) {
    let mut builder = http1::Builder::new();
    // Hyper starts this timer as soon as it polls a connection, and again whenever a kept-alive
    // connection goes back to waiting: a connection that sends nothing is closed after it.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(acceptor.head_timeout);
    while let Some((stream, peer)) = connections::next_admitted(&listener, &acceptor.admission, &stop).await {
        let routes = routes.clone();
        let builder = builder.clone();
        let drain = acceptor.connections.drain.clone();
        let tls = acceptor.tls.clone();
        let handshake_timeout = acceptor.handshake_timeout;
        acceptor.connections.tasks.spawn(async move {
            match tls {
                None => serve_http(&builder, stream, peer, routes, drain).await,
                Some(tls) => {
                    if let Some(stream) =
                        serve::handshake(&tls.acceptor, stream, peer, handshake_timeout, &drain).await
                    {
                        serve_http(&builder, stream, peer, routes, drain).await;
                    }
                }
            }
        });
    }
}

/// Serves HTTP/1.1 on one connection, plain or TLS, until it closes or `drain` asks it to
/// finish its request. The client's address travels with every request as [`ClientAddr`] for
/// the throttles, whatever the transport.
async fn serve_http<S>(
    builder: &http1::Builder,
    stream: S,
    peer: SocketAddr,
    routes: BoxedFilter<(Response,)>,
    drain: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ClientAddr(peer));
        if request.headers().contains_key(::http::header::UPGRADE) {
            if let Some(on_upgrade) = request.extensions_mut().remove::<OnUpgrade>() {
                request.extensions_mut().insert(UpgradeSlot::new(on_upgrade));
            }
        }
        let mut filtered = warp::service(routes.clone());
        filtered.call(request)
    });
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = drain.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
