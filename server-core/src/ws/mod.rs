//! The WebSocket endpoint: `GET /ws` upgrades the HTTP connection and hands the socket to its
//! connection task. The upgrade is done here with tokio-tungstenite rather than warp's `ws()`
//! filter so each socket gets a 1 KiB read buffer instead of tungstenite's default 128 KiB, and
//! a write path whose buffer is freed between bursts (`io.rs`): idle sockets are the bulk of a
//! chat server's memory.

pub(crate) mod asyncapi;
mod connection;
mod io;
pub mod protocol;

use std::sync::{Arc, Mutex, PoisonError};

use http::{HeaderMap, HeaderValue, StatusCode, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::context::AppContext;
use crate::error::Error;

/// Largest client frame or message: bigger ones close the socket with 1009.
pub const MAX_FRAME: usize = 64 * 1024;

/// The pending HTTP upgrade of a request, put in its extensions by the server so the `/ws`
/// route can take it (hyper's `OnUpgrade` is not `Clone`, which warp's extension filter needs).
#[derive(Clone, Default)]
pub struct UpgradeSlot(Arc<Mutex<Option<OnUpgrade>>>);

impl UpgradeSlot {
    pub fn new(on_upgrade: OnUpgrade) -> Self {
        UpgradeSlot(Arc::new(Mutex::new(Some(on_upgrade))))
    }

    fn take(&self) -> Option<OnUpgrade> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

fn socket_config() -> WebSocketConfig {
    // Events bypass tungstenite's write buffer (see `io.rs`); what it still writes (pongs,
    // closes) goes straight through to the socket's own buffer.
    // Clients send small frames (a message is at most 4000 characters): 1 KiB reads most in
    // one go, and a larger frame just takes a few reads. Measured: 9.5 KiB per idle socket
    // against 12.3 KiB with 4 KiB (`confab-bench idle`).
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME))
}

/// GET /ws — upgrade to the real-time protocol (see `docs/protocol.md`).
pub fn route(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("ws")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<UpgradeSlot>())
        .and(warp::any().map(move || ctx.clone()))
        .map(|headers: HeaderMap, slot: Option<UpgradeSlot>, ctx: AppContext| {
            match upgrade(&headers, slot, ctx) {
                Ok(response) => response,
                Err(error) => error.into_response(),
            }
        })
        .boxed()
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn upgrade(headers: &HeaderMap, slot: Option<UpgradeSlot>, ctx: AppContext) -> Result<Response, Error> {
    if !header_has_token(headers, header::CONNECTION, "upgrade")
        || !header_has_token(headers, header::UPGRADE, "websocket")
    {
        return Err(Error::bad_request(
            "websocket_required",
            "GET /ws needs a WebSocket upgrade request",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .and_then(|v| v.to_str().ok())
        != Some("13")
    {
        let mut response =
            Error::bad_request("websocket_version", "only WebSocket version 13 is supported").into_response();
        *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return Ok(response);
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| Error::bad_request("websocket_required", "missing Sec-WebSocket-Key"))?;
    if ctx.sockets.is_closed() {
        return Err(Error::ShuttingDown);
    }
    let on_upgrade = slot
        .and_then(|slot| slot.take())
        .ok_or_else(|| Error::Internal("connection cannot be upgraded".into()))?;
    let accept = derive_accept_key(key.as_bytes());
    ctx.sockets.clone().spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    io::SocketIo::new(TokioIo::new(upgraded)),
                    Role::Server,
                    Some(socket_config()),
                )
                .await;
                connection::serve(ctx, socket).await;
            }
            Err(e) => tracing::debug!(error = %e, "websocket upgrade failed"),
        }
    });
    let mut response = Response::default();
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).map_err(|e| Error::Internal(e.to_string()))?,
    );
    Ok(response)
}
