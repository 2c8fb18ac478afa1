//! The pinned transport wired to the webview: the pin store kept in the app's store, the
//! `confab-api` URI scheme that carries the web client's HTTP requests to an `https` server
//! through [`Transport`], and WebSockets carried over a Tauri `Channel`. Nothing reaches a
//! server that is not pinned, and a pinned server that presents another certificate gets no
//! request at all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use tauri::Wry;
use tauri::ipc::Channel;
use tauri_plugin_store::Store;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::error::{Error, Result};
use crate::pins::{self, Pin, Pins, Sighting, Verdict};
use crate::transport::{self, Transport};

/// The URI scheme the web client's requests to an `https` server go through.
pub const SCHEME: &str = "confab-api";
/// Frames waiting for one socket's writer: a page that outruns the network gets an error
/// instead of an ever-growing queue.
const QUEUE: usize = 256;

/// Pins, kept connections and open sockets.
pub struct Pinning {
    pins: Mutex<Pins>,
    store: Arc<Store<Wry>>,
    pub transport: Transport,
    sockets: Mutex<HashMap<u32, mpsc::Sender<Outgoing>>>,
    next_socket: AtomicU32,
}

/// What the connect screen shows after a probe.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeAnswer {
    /// `https://host:port`, the address to save.
    pub url: String,
    pub id: String,
    pub name: String,
    pub version: String,
    pub fingerprint: String,
    /// The fingerprint in groups a person can read aloud.
    pub readable: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The pinned fingerprint, readable, when the verdict is `changed` or `impostor`.
    pub pinned_readable: Option<String>,
}

/// A pinned server as settings show it.
#[derive(Clone, Debug, Serialize)]
pub struct PinView {
    #[serde(flatten)]
    pub pin: Pin,
    pub readable: String,
}

impl From<&Pin> for PinView {
    fn from(pin: &Pin) -> Self {
        PinView {
            pin: pin.clone(),
            readable: pins::readable(&pin.fingerprint),
        }
    }
}

/// Puts the pins (from the settings store) and the LAN listener in the app's state.
pub fn manage(app: &tauri::AppHandle) -> Result<()> {
    use tauri::Manager;
    use tauri_plugin_store::StoreExt;
    let store = app
        .store(crate::settings::STORE_FILE)
        .map_err(|e| Error::Settings(e.to_string()))?;
    app.manage(Pinning::load(store));
    app.manage(crate::lan::Watch::default());
    Ok(())
}

/// The `confab-api` scheme's handler: answered off the webview's thread.
pub fn protocol(
    ctx: tauri::UriSchemeContext<'_, Wry>,
    request: http::Request<Vec<u8>>,
    responder: tauri::UriSchemeResponder,
) {
    use tauri::Manager;
    let app = ctx.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        let response = app.state::<Pinning>().handle(request).await;
        responder.respond(response);
    });
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Pinning {
    pub fn load(store: Arc<Store<Wry>>) -> Pinning {
        let pins = Pins::from_stored(store.get(pins::STORE_KEY).as_ref());
        Pinning {
            pins: Mutex::new(pins),
            store,
            transport: Transport::with_roots(crate::verify::Roots::platform()),
            sockets: Mutex::new(HashMap::new()),
            next_socket: AtomicU32::new(1),
        }
    }

    fn change<T>(&self, change: impl FnOnce(&mut Pins) -> T) -> Result<T> {
        let mut pins = self.pins.lock().unwrap_or_else(PoisonError::into_inner);
        let before = pins.clone();
        let out = change(&mut pins);
        if *pins != before {
            self.store.set(pins::STORE_KEY, pins.to_stored());
            self.store.save().map_err(|e| Error::Settings(e.to_string()))?;
        }
        Ok(out)
    }

    /// The fingerprint pinned for the server last seen at `address`.
    pub fn fingerprint_at(&self, address: &str) -> Option<String> {
        let pins = self.pins.lock().unwrap_or_else(PoisonError::into_inner);
        pins.at(address).map(|pin| pin.fingerprint.clone())
    }

    /// How a transfer reaches `server` (`https://…` or `http://…`): an https server only with
    /// its pinned certificate, where REST calls last found it.
    pub fn link_for(&self, server: &str) -> Result<crate::transfers::Link> {
        if server.starts_with("http://") {
            let parsed =
                url::Url::parse(server).map_err(|_| Error::invalid("invalid_url", "not an address"))?;
            // IPv6 hosts come bracketed, as an address needs them.
            let host = parsed
                .host_str()
                .ok_or_else(|| Error::invalid("invalid_url", "not an address"))?;
            let port = parsed.port_or_known_default().unwrap_or(80);
            return Ok(crate::transfers::Link::Plain {
                address: format!("{host}:{port}"),
            });
        }
        let address = transport::address_of(server)?;
        let fingerprint = self.fingerprint_at(&address).ok_or_else(|| Error::NotPinned {
            address: address.clone(),
        })?;
        Ok(crate::transfers::Link::Pinned {
            address: self.transport.route(&address),
            fingerprint,
            roots: self.transport.roots(),
        })
    }

    /// The server pinned at `from` answered, with its pinned certificate, at `to`: that address
    /// goes first in its list.
    fn note_moved(&self, from: &str, to: &str) -> Result<()> {
        let Some(pin) = self
            .pins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .at(from)
            .cloned()
        else {
            return Ok(());
        };
        tracing::info!(server = %pin.id, %from, %to, "followed a pinned server to another of its addresses");
        let seen = Sighting {
            id: pin.id,
            name: String::new(),
            fingerprint: pin.fingerprint,
            address: to.to_owned(),
        };
        self.change(|pins| pins.observe(&seen, now())).map(|_| ())
    }

    /// Probes `url` and says what it means; a pinned server seen at a new address is followed.
    pub async fn probe(&self, url: &str) -> Result<ProbeAnswer> {
        let address = transport::address_of(url)?;
        let probe = transport::probe_with(&address, self.transport.roots()).await?;
        let verdict = self.change(|pins| {
            let verdict = pins.observe(&probe.sighting(), now());
            // A certificate the platform vouches for needs nobody's comparison, and a renewed
            // one is no cause for alarm: pinned as it is.
            if probe.by_roots && !verdict.trusted() {
                pins.pin(&probe.sighting(), now());
                return Verdict::Pinned;
            }
            verdict
        })?;
        let pinned_readable = match &verdict {
            Verdict::Changed { pinned, .. } | Verdict::Impostor { pinned, .. } => {
                Some(pins::readable(pinned))
            }
            _ => None,
        };
        Ok(ProbeAnswer {
            url: format!("https://{address}"),
            readable: pins::readable(&probe.fingerprint),
            id: probe.id,
            name: probe.name,
            version: probe.version,
            fingerprint: probe.fingerprint,
            verdict,
            pinned_readable,
        })
    }

    /// Pins what the person compared with the host's screen (or what an invite link named).
    pub fn trust(&self, url: &str, id: &str, name: &str, fingerprint: &str) -> Result<PinView> {
        let address = transport::address_of(url)?;
        if id.is_empty() || server_core::tls::pin::normalize(fingerprint).len() != 64 {
            return Err(Error::invalid(
                "invalid_fingerprint",
                "that is not a server fingerprint",
            ));
        }
        let seen = Sighting {
            id: id.to_owned(),
            name: name.to_owned(),
            fingerprint: fingerprint.to_owned(),
            address: address.clone(),
        };
        let view = self.change(|pins| PinView::from(pins.pin(&seen, now())))?;
        self.transport.drop_connections(&address);
        Ok(view)
    }

    /// Pins the built-in server's own identity for this app's window: the certificate is known
    /// first-hand, so nobody is asked.
    pub fn trust_own(&self, status: &crate::host::HostStatus) {
        let (Some(url), Some(id), Some(fingerprint)) =
            (&status.local_url, &status.server_id, &status.fingerprint)
        else {
            return;
        };
        if let Err(e) = self.trust(url, id, "", fingerprint) {
            tracing::warn!(error = %e, "pinning the built-in server's certificate failed");
        }
    }

    pub fn forget(&self, id: &str) -> Result<()> {
        self.change(|pins| pins.forget(id)).map(|_| ())
    }

    pub fn is_pinned(&self, id: &str) -> bool {
        self.pins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .is_some()
    }

    /// The ports pinned servers were last seen on: a subnet scan probes them beside the default.
    pub fn ports(&self) -> Vec<u16> {
        self.pins.lock().unwrap_or_else(PoisonError::into_inner).ports()
    }

    pub fn list(&self) -> Vec<PinView> {
        let pins = self.pins.lock().unwrap_or_else(PoisonError::into_inner);
        pins.all().map(PinView::from).collect()
    }

    /// Answers one request of the `confab-api` scheme: `<scheme>/<host:port>/api/…`.
    pub async fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let origin = request
            .headers()
            .get(http::header::ORIGIN)
            .cloned()
            .unwrap_or(http::HeaderValue::from_static("*"));
        let mut response = match self.forward(request).await {
            Ok(response) => response,
            Err(e) => error_response(&e),
        };
        let headers = response.headers_mut();
        headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            http::header::ACCESS_CONTROL_ALLOW_HEADERS,
            http::HeaderValue::from_static("authorization, content-type, accept, range, x-file-name"),
        );
        headers.insert(
            http::header::ACCESS_CONTROL_ALLOW_METHODS,
            http::HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE"),
        );
        headers.insert(
            http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
            http::HeaderValue::from_static("retry-after, content-disposition, content-length"),
        );
        response
    }

    async fn forward(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>> {
        if request.method() == http::Method::OPTIONS {
            return Ok(empty(http::StatusCode::NO_CONTENT));
        }
        let (address, path) = split_target(request.uri())?;
        let fingerprint = self.fingerprint_at(&address).ok_or_else(|| Error::NotPinned {
            address: address.clone(),
        })?;
        let (head, body) = request.into_parts();
        let mut outgoing = http::Request::builder().method(head.method).uri(path);
        for (name, value) in &head.headers {
            if !matches!(
                name.as_str(),
                "host" | "origin" | "referer" | "cookie" | "connection" | "user-agent"
            ) {
                outgoing = outgoing.header(name, value);
            }
        }
        let outgoing = outgoing
            .body(Bytes::from(body))
            .map_err(|e| Error::invalid("invalid_request", e.to_string()))?;
        let elsewhere = self
            .pins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elsewhere(&address);
        let (answer, followed) = self
            .transport
            .request_following(&address, &elsewhere, &fingerprint, outgoing)
            .await?;
        if let Some(now_at) = followed {
            self.note_moved(&address, &now_at)?;
        }
        let (head, body) = answer.into_parts();
        let mut response = http::Response::builder().status(head.status);
        for (name, value) in &head.headers {
            if !matches!(name.as_str(), "transfer-encoding" | "connection" | "keep-alive") {
                response = response.header(name, value);
            }
        }
        Ok(response
            .body(body.to_vec())
            .unwrap_or_else(|_| empty(http::StatusCode::BAD_GATEWAY)))
    }

    /// Opens a WebSocket to `url` (`wss://host:port/ws`) for the page; its frames, its opening
    /// and its end arrive on `events`. Returns the id the page sends and closes with.
    pub fn open_socket(&self, url: &str, events: Channel<SocketEvent>) -> Result<u32> {
        let parsed =
            url::Url::parse(url).map_err(|_| Error::invalid("invalid_url", "not a WebSocket address"))?;
        if parsed.scheme() != "wss" {
            return Err(Error::invalid("invalid_url", "only wss:// goes through the app"));
        }
        let address = transport::address_of(&url.replacen("wss://", "https://", 1))?;
        let fingerprint = self.fingerprint_at(&address).ok_or_else(|| Error::NotPinned {
            address: address.clone(),
        })?;
        // Where a REST call found the server after it moved.
        let address = self.transport.route(&address);
        let path = match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_owned(),
        };
        let id = self.next_socket.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        self.sockets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tx);
        let roots = self.transport.roots();
        tauri::async_runtime::spawn(run_socket(address, fingerprint, path, roots, rx, events));
        Ok(id)
    }

    pub fn socket_send(&self, id: u32, frame: Outgoing) -> Result<()> {
        let sender = self
            .sockets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::invalid("socket_closed", "that connection is closed"))?;
        let closing = matches!(frame, Outgoing::Close { .. });
        let sent = sender.try_send(frame);
        if closing || sent.is_err() {
            self.sockets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
        sent.map_err(|_| Error::invalid("socket_closed", "that connection is closed or not keeping up"))
    }
}

/// What the page sends on a socket.
#[derive(Debug)]
pub enum Outgoing {
    Text(String),
    Close { code: u16, reason: String },
}

/// What the page hears from a socket.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SocketEvent {
    Open,
    Message {
        data: String,
    },
    /// The connection could not be made; `code` as the app's errors (`certificate_mismatch`, …).
    Error {
        code: String,
        message: String,
    },
    Close {
        code: u16,
        reason: String,
    },
}

async fn run_socket(
    address: String,
    fingerprint: String,
    path: String,
    roots: Option<crate::verify::Roots>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    events: Channel<SocketEvent>,
) {
    let socket = match transport::websocket_with(&address, &fingerprint, &path, roots).await {
        Ok(socket) => socket,
        Err(e) => {
            let _ = events.send(SocketEvent::Error {
                code: e.code().to_owned(),
                message: e.to_string(),
            });
            let _ = events.send(SocketEvent::Close {
                code: 1006,
                reason: String::new(),
            });
            return;
        }
    };
    if events.send(SocketEvent::Open).is_err() {
        return;
    }
    let (mut sink, mut stream) = socket.split();
    let (code, reason) = loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if events.send(SocketEvent::Message { data: text.to_string() }).is_err() {
                        let _ = sink.close().await;
                        return;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    break frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string()));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break (1006, String::new()),
            },
            wanted = outgoing.recv() => match wanted {
                Some(Outgoing::Text(text)) => {
                    if sink.send(Message::text(text)).await.is_err() {
                        break (1006, String::new());
                    }
                }
                Some(Outgoing::Close { code, reason }) => {
                    // Only the codes a page may send (as the browser's WebSocket allows).
                    let code = if code == 1000 || (3000..5000).contains(&code) { code } else { 1000 };
                    let frame = CloseFrame { code: code.into(), reason: reason.clone().into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break (code, reason);
                }
                None => {
                    let _ = sink.close().await;
                    break (1000, String::new());
                }
            },
        }
    };
    let _ = events.send(SocketEvent::Close { code, reason });
}

/// `<host:port>` and the path (with query) of a `confab-api` request, whatever form the
/// platform gives it (`confab-api://localhost/…` or `http://confab-api.localhost/…`). Only the
/// API is reachable this way.
fn split_target(uri: &http::Uri) -> Result<(String, String)> {
    let bad = || Error::invalid("invalid_url", "not a Confab API address");
    let rest = uri.path().strip_prefix('/').ok_or_else(bad)?;
    let (server, path) = rest.split_once('/').ok_or_else(bad)?;
    let server = percent_decode_str(server).decode_utf8().map_err(|_| bad())?;
    let address = transport::address_of(&format!("https://{server}"))?;
    let path = format!("/{path}");
    if !path.starts_with("/api/") {
        return Err(bad());
    }
    Ok(match uri.query() {
        Some(query) => (address, format!("{path}?{query}")),
        None => (address, path),
    })
}

fn empty(status: http::StatusCode) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = status;
    response
}

/// The app's error as the server would write it, so the web client reads it like any other.
fn error_response(error: &Error) -> http::Response<Vec<u8>> {
    let status = match error {
        // 495: nginx's "SSL certificate error", for the one case the page must tell apart.
        Error::CertificateMismatch { .. } => 495,
        Error::NotPinned { .. } => 403,
        Error::Invalid { .. } => 400,
        _ => 502,
    };
    let body = serde_json::json!({"error": {"code": error.code(), "message": error.to_string()}});
    let mut response = http::Response::new(body.to_string().into_bytes());
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_requests_name_their_server_in_the_first_segment_on_every_platform() {
        for uri in [
            "confab-api://localhost/10.0.0.5%3A8443/api/rooms?limit=5",
            "http://confab-api.localhost/10.0.0.5%3A8443/api/rooms?limit=5",
        ] {
            let (address, path) = split_target(&uri.parse().unwrap()).unwrap();
            assert_eq!(address, "10.0.0.5:8443", "{uri}");
            assert_eq!(path, "/api/rooms?limit=5", "{uri}");
        }
        let (address, _) = split_target(
            &"confab-api://localhost/chat.example.com/api/info"
                .parse()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(address, "chat.example.com:443");
        for uri in [
            "confab-api://localhost/10.0.0.5%3A8443/ws",
            "confab-api://localhost/10.0.0.5%3A8443/",
            "confab-api://localhost/",
        ] {
            assert!(split_target(&uri.parse().unwrap()).is_err(), "{uri}");
        }
    }

    #[test]
    fn errors_reach_the_page_in_the_servers_shape() {
        let response = error_response(&Error::CertificateMismatch {
            address: "h:1".into(),
        });
        assert_eq!(response.status().as_u16(), 495);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"]["code"], "certificate_mismatch");
        assert_eq!(
            error_response(&Error::NotPinned {
                address: "h:1".into()
            })
            .status(),
            403
        );
    }
}
