//! The desktop's own way to a Confab server over HTTPS: HTTP/1.1 and WebSockets on rustls with a
//! verifier that accepts exactly the certificate pinned for that server. The system webviews
//! cannot pin a certificate (they only offer "ignore this error"), so inside the app every request
//! to an `https` server goes through here; the first contact is a probe that sends no
//! credentials and only reads `/api/info` and the certificate's fingerprint. A server whose
//! certificate chains to a root the platform trusts is accepted as browsers would ([`verify`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::client::danger::ServerCertVerified;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::{Deserialize, Serialize};
use server_core::tls::identity;
use server_core::tls::pin::{self, CertificateCheck};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;

use crate::error::{Error, Result};
use crate::pins::Sighting;
use crate::verify::{self, Roots};

/// How long connecting and the TLS handshake may take together.
pub(crate) const CONNECT: Duration = Duration::from_secs(6);
/// How long a request may wait for its answer's head (bodies stream on).
pub(crate) const ANSWER: Duration = Duration::from_secs(60);
/// Idle connections kept per server: the web client rarely has more requests in flight.
const IDLE: usize = 6;

/// A TLS connection to a Confab server.
pub type Stream = TlsStream<TcpStream>;
/// A WebSocket over a pinned connection.
pub type Socket = WebSocketStream<Stream>;

/// What the probe learned: what the server says about itself, and the fingerprint of the
/// certificate it actually presented (the one that counts).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Probe {
    /// `host:port`.
    pub address: String,
    pub id: String,
    pub name: String,
    pub version: String,
    pub fingerprint: String,
    /// Whether the certificate chains to a root the platform trusts and names the host: then
    /// nobody needs to compare fingerprints.
    pub by_roots: bool,
}

impl Probe {
    pub fn sighting(&self) -> Sighting {
        Sighting {
            id: self.id.clone(),
            name: self.name.clone(),
            fingerprint: self.fingerprint.clone(),
            address: self.address.clone(),
        }
    }
}

#[derive(Deserialize)]
struct Info {
    id: String,
    #[serde(default)]
    server_name: String,
    #[serde(default)]
    version: String,
}

/// `host:port` of an `https://` URL (port 443 when none is given); anything else is refused.
pub fn address_of(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url)
        .map_err(|_| Error::invalid("invalid_url", format!("{url} is not an address")))?;
    let host = parsed
        .host_str()
        .filter(|_| parsed.scheme() == "https")
        .ok_or_else(|| Error::invalid("invalid_url", format!("{url} is not an https:// address")))?;
    let port = parsed.port().unwrap_or(443);
    Ok(format!("{host}:{port}"))
}

/// First contact: connects to `address` accepting whatever certificate is presented, reads
/// `GET /api/info` (no credentials, no cookies) and returns it with the fingerprint seen in
/// the handshake.
pub async fn probe(address: &str) -> Result<Probe> {
    probe_with(address, None).await
}

/// As [`probe`], also saying whether `roots` vouch for the certificate.
pub async fn probe_with(address: &str, roots: Option<Roots>) -> Result<Probe> {
    let recorder = Arc::new(Recording {
        roots,
        ..Recording::default()
    });
    let stream = connect(address, Arc::new(pin::client_config(recorder.clone()))).await?;
    let fingerprint = recorder
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| unreachable(address, "no certificate"))?;
    let mut sender = handshake(address, stream).await?;
    let request = http::Request::get("/api/info")
        .header(http::header::HOST, address)
        .header(http::header::ACCEPT, "application/json")
        .body(Full::new(Bytes::new()))
        .map_err(|e| unreachable(address, &e.to_string()))?;
    let response = send(address, &mut sender, request).await?;
    let not_confab = || Error::NotConfab {
        url: format!("https://{address}"),
    };
    if !response.status().is_success() {
        return Err(not_confab());
    }
    let info: Info = serde_json::from_slice(response.body()).map_err(|_| not_confab())?;
    let by_roots = *recorder.by_roots.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(Probe {
        by_roots,
        address: address.to_owned(),
        id: info.id,
        name: info.server_name,
        version: info.version,
        fingerprint,
    })
}

/// An HTTP/1.1 connection ready for the next request.
type Sender = SendRequest<Full<Bytes>>;

/// Pinned connections, kept alive for reuse, per server address and fingerprint.
#[derive(Default)]
pub struct Transport {
    /// Certificates these vouch for are accepted without their pin.
    roots: Option<Roots>,
    idle: Mutex<HashMap<(String, String), Vec<Sender>>>,
    /// Saved address → the last known address the same server (same certificate) answered at
    /// when it stopped answering at the saved one.
    moved: Mutex<HashMap<String, String>>,
}

/// The first of `addresses` where a server with the certificate `fingerprint` completes a
/// handshake, trying them all at once (a dead address costs a connect timeout, not one each).
pub async fn reach_any(addresses: &[String], fingerprint: &str) -> Option<String> {
    let attempts = addresses.iter().map(|address| {
        Box::pin(async move {
            connect_pinned(address, fingerprint).await?;
            Ok::<_, Error>(address.clone())
        })
    });
    if addresses.is_empty() {
        return None;
    }
    futures_util::future::select_ok(attempts)
        .await
        .ok()
        .map(|(address, _)| address)
}

impl Transport {
    /// Sends `request` (its URI is the path and query) to `address`, over a connection whose
    /// certificate has `fingerprint`, and returns the whole answer. A connection to anything
    /// else fails in the handshake, before the request (and its credentials) leaves.
    pub async fn request(
        &self,
        address: &str,
        fingerprint: &str,
        mut request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>> {
        request.headers_mut().insert(
            http::header::HOST,
            http::HeaderValue::from_str(address).map_err(|_| Error::invalid("invalid_url", "bad address"))?,
        );
        let request = request.map(Full::new);
        let key = (address.to_owned(), fingerprint.to_owned());
        let mut sender = match self.take_idle(&key) {
            Some(sender) => sender,
            None => {
                let config = verify::client_config(fingerprint, self.roots.clone());
                handshake(address, connect(address, Arc::new(config)).await?).await?
            }
        };
        let response = send(address, &mut sender, request).await?;
        if !sender.is_closed() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            let list = idle.entry(key).or_default();
            if list.len() < IDLE {
                list.push(sender);
            }
        }
        Ok(response)
    }

    /// A transport that also accepts certificates `roots` vouch for (the platform's).
    pub fn with_roots(roots: Option<Roots>) -> Transport {
        Transport {
            roots,
            ..Transport::default()
        }
    }

    pub fn roots(&self) -> Option<Roots> {
        self.roots.clone()
    }

    /// Where requests meant for `address` go now: itself, or where its server was followed to.
    pub fn route(&self, address: &str) -> String {
        self.moved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(address)
            .cloned()
            .unwrap_or_else(|| address.to_owned())
    }

    /// As [`Transport::request`], but when the server does not answer at `address` its other
    /// last known addresses (`elsewhere`) are tried, and the first where the same certificate
    /// answers is used from then on, silently. Returns the answer and, when the server was
    /// followed, where to. A request that may have changed something (not GET or HEAD) is not
    /// sent twice: it fails, and the next one goes to the new address.
    pub async fn request_following(
        &self,
        address: &str,
        elsewhere: &[String],
        fingerprint: &str,
        request: http::Request<Bytes>,
    ) -> Result<(http::Response<Bytes>, Option<String>)> {
        let target = self.route(address);
        let retry = matches!(*request.method(), http::Method::GET | http::Method::HEAD)
            .then(|| clone_request(&request));
        let failure = match self.request(&target, fingerprint, request).await {
            Ok(answer) => return Ok((answer, None)),
            Err(e @ Error::Unreachable { .. }) => e,
            Err(e) => return Err(e),
        };
        let others: Vec<String> = std::iter::once(address.to_owned())
            .chain(elsewhere.iter().cloned())
            .filter(|other| *other != target)
            .collect();
        let Some(found) = reach_any(&others, fingerprint).await else {
            return Err(failure);
        };
        self.moved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(address.to_owned(), found.clone());
        match retry {
            Some(request) => Ok((self.request(&found, fingerprint, request).await?, Some(found))),
            None => Err(failure),
        }
    }

    fn take_idle(&self, key: &(String, String)) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(key)?;
        while let Some(sender) = list.pop() {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    /// Forgets kept connections to `address` (after re-pairing, or when a server goes away).
    pub fn drop_connections(&self, address: &str) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(a, _), _| a != address);
    }
}

fn clone_request(request: &http::Request<Bytes>) -> http::Request<Bytes> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Opens a WebSocket to `path` (e.g. `/ws`) at `address` over a connection pinned to
/// `fingerprint`.
pub async fn websocket(address: &str, fingerprint: &str, path: &str) -> Result<Socket> {
    websocket_with(address, fingerprint, path, None).await
}

/// As [`websocket`], also accepting a certificate `roots` vouch for (as REST calls do).
pub async fn websocket_with(
    address: &str,
    fingerprint: &str,
    path: &str,
    roots: Option<Roots>,
) -> Result<Socket> {
    let stream = connect(address, Arc::new(verify::client_config(fingerprint, roots))).await?;
    let url = format!("wss://{address}{path}");
    let (socket, _) = tokio::time::timeout(CONNECT, tokio_tungstenite::client_async(url, stream))
        .await
        .map_err(|_| unreachable(address, "the WebSocket upgrade timed out"))?
        .map_err(|e| unreachable(address, &e.to_string()))?;
    Ok(socket)
}

/// A TLS connection to `address` that succeeds only with the certificate `fingerprint` names or,
/// with `roots`, one they vouch for: what REST calls use, for a connection of its own.
pub async fn connect_verified(address: &str, fingerprint: &str, roots: Option<Roots>) -> Result<Stream> {
    connect(address, Arc::new(verify::client_config(fingerprint, roots))).await
}

/// A TLS connection to `address` that succeeds only with the certificate `fingerprint` names.
pub async fn connect_pinned(address: &str, fingerprint: &str) -> Result<Stream> {
    connect(address, Arc::new(pin::pinned_client_config(fingerprint))).await
}

async fn connect(address: &str, config: Arc<rustls::ClientConfig>) -> Result<Stream> {
    let host = address
        .rsplit_once(':')
        .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or(address);
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| Error::invalid("invalid_url", format!("{address} is not a host name")))?;
    let attempt = async {
        let tcp = TcpStream::connect(address).await?;
        let _ = tcp.set_nodelay(true);
        TlsConnector::from(config).connect(name, tcp).await
    };
    match tokio::time::timeout(CONNECT, attempt).await {
        Err(_) => Err(unreachable(address, "timed out")),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => {
            let certificate = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
            Err(if certificate {
                Error::CertificateMismatch {
                    address: address.to_owned(),
                }
            } else {
                unreachable(address, &e.to_string())
            })
        }
    }
}

async fn handshake(address: &str, stream: Stream) -> Result<Sender> {
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unreachable(address, &e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a pinned connection ended");
        }
    });
    Ok(sender)
}

async fn send(
    address: &str,
    sender: &mut Sender,
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<Bytes>> {
    let failed = |e: &dyn std::fmt::Display| unreachable(address, &e.to_string());
    sender.ready().await.map_err(|e| failed(&e))?;
    let response = tokio::time::timeout(ANSWER, sender.send_request(request))
        .await
        .map_err(|_| failed(&"no answer in time"))?
        .map_err(|e| failed(&e))?;
    let (head, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| failed(&e))?.to_bytes();
    Ok(http::Response::from_parts(head, body))
}

fn unreachable(address: &str, reason: &str) -> Error {
    Error::Unreachable {
        url: format!("https://{address}"),
        reason: reason.to_owned(),
    }
}

/// The probe's verifier: accepts any certificate (nothing secret is sent on this connection)
/// but remembers its fingerprint, and still checks the handshake's signatures so the server
/// really holds the certificate's key.
#[derive(Debug)]
struct Recording {
    seen: Mutex<Option<String>>,
    /// Whether `roots` vouched for the certificate.
    by_roots: Mutex<bool>,
    roots: Option<Roots>,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            seen: Mutex::new(None),
            by_roots: Mutex::new(false),
            roots: None,
        }
    }
}

impl CertificateCheck for Recording {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(identity::fingerprint(end_entity));
        let vouched = self.roots.as_ref().is_some_and(|roots| {
            roots
                .accept(end_entity, intermediates, server_name, ocsp_response, now)
                .is_ok()
        });
        *self.by_roots.lock().unwrap_or_else(PoisonError::into_inner) = vouched;
        Ok(ServerCertVerified::assertion())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_addresses_are_taken_with_443_by_default() {
        assert_eq!(address_of("https://10.0.0.5:8443").unwrap(), "10.0.0.5:8443");
        assert_eq!(
            address_of("https://chat.example.com/").unwrap(),
            "chat.example.com:443"
        );
        assert_eq!(address_of("https://[fe80::1]:9000").unwrap(), "[fe80::1]:9000");
        for bad in ["http://10.0.0.5:8080", "10.0.0.5", "", "confab://join"] {
            assert_eq!(address_of(bad).unwrap_err().code(), "invalid_url", "{bad}");
        }
    }
}
