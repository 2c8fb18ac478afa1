//! The subnet scan: the fallback for LANs where multicast does not get through (mDNS filtered
//! by a switch or an access point). Every address of the /24 of each physical IPv4 interface is
//! asked `GET /api/info`, over HTTPS and then plain HTTP, with no credentials; answers that are
//! Confab servers come back one per server id. Bounded in concurrency and in time.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rustls::client::danger::ServerCertVerified;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{DiscoveredServer, announced_on};
use crate::tls::identity::fingerprint;
use crate::tls::pin::{self, CertificateCheck};

/// The port a Confab server listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8080;
/// The most an answer to `/api/info` may weigh: it is a few hundred bytes.
const MAX_ANSWER: u64 = 64 * 1024;

/// How a scan runs.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Ports to probe on every address (the default port and those of pinned servers).
    pub ports: Vec<u16>,
    /// Interfaces to scan, by name; empty: every physical interface.
    pub interfaces: Vec<String>,
    /// Probes in flight at once.
    pub concurrency: usize,
    /// How long a TCP connect may take: on a LAN an answer comes in milliseconds, and an
    /// address nobody holds never answers at all.
    pub connect_timeout: Duration,
    /// How long the TLS handshake and the answer may take once connected.
    pub answer_timeout: Duration,
    /// The whole scan stops after this long, with what it has.
    pub deadline: Duration,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            ports: vec![DEFAULT_PORT],
            interfaces: Vec::new(),
            concurrency: 64,
            connect_timeout: Duration::from_millis(700),
            answer_timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(20),
        }
    }
}

/// What a scan found, and what that says about the network.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScanReport {
    pub servers: Vec<DiscoveredServer>,
    /// The networks scanned, as `10.0.0.0/24 (eth0)`.
    pub networks: Vec<String>,
    /// Addresses × ports probed before the end (all of them unless `timed_out`).
    pub probed: usize,
    /// Other hosts that answered at all (a connection accepted or refused).
    pub neighbours: usize,
    pub outcome: ScanOutcome,
    pub timed_out: bool,
    pub elapsed_ms: u64,
}

/// The gist of a scan, for what the connect screen says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanOutcome {
    /// At least one Confab server answered.
    Found,
    /// Other hosts answered, none of them a Confab server.
    NoServer,
    /// Not one other host answered, not even to refuse: the signature of a guest Wi-Fi or a
    /// switch with client (port) isolation, where hosts cannot see each other.
    Isolated,
    /// No physical IPv4 interface to scan.
    NoNetwork,
}

/// The networks a scan covers: the /24 (or the smaller subnet) around each address of a
/// physical interface, with the interface's name and this host's own address in it.
pub fn networks(interfaces: &[String]) -> Vec<(Ipv4Addr, u8, String, Ipv4Addr)> {
    let mut out: Vec<(Ipv4Addr, u8, String, Ipv4Addr)> = Vec::new();
    for interface in if_addrs::get_if_addrs().unwrap_or_default() {
        let if_addrs::IfAddr::V4(v4) = &interface.addr else {
            continue;
        };
        if !announced_on(&interface.name, IpAddr::V4(v4.ip), interfaces) {
            continue;
        }
        let prefix = u8::try_from(u32::from(v4.netmask).leading_ones())
            .unwrap_or(32)
            .max(24);
        let base = Ipv4Addr::from(u32::from(v4.ip) & (u32::MAX << (32 - u32::from(prefix))));
        if !out.iter().any(|(b, p, ..)| *b == base && *p == prefix) {
            out.push((base, prefix, interface.name.clone(), v4.ip));
        }
    }
    out
}

/// The addresses of `base/prefix` a scan probes: all but the network and broadcast addresses
/// and `own`.
fn hosts(base: Ipv4Addr, prefix: u8, own: Ipv4Addr) -> impl Iterator<Item = Ipv4Addr> {
    let size = 1u32 << (32 - u32::from(prefix));
    let start = u32::from(base);
    (1..size.saturating_sub(1))
        .map(move |offset| Ipv4Addr::from(start + offset))
        .filter(move |ip| *ip != own)
}

/// Scans the local networks for Confab servers.
pub async fn scan(options: &ScanOptions) -> ScanReport {
    let started = Instant::now();
    let nets = networks(&options.interfaces);
    let mut ports = options.ports.clone();
    ports.sort_unstable();
    ports.dedup();
    let targets: Vec<SocketAddr> = nets
        .iter()
        .flat_map(|(base, prefix, _, own)| hosts(*base, *prefix, *own))
        .flat_map(|ip| {
            ports
                .iter()
                .map(move |port| SocketAddr::new(IpAddr::V4(ip), *port))
        })
        .collect();
    let total = targets.len();
    let mut probes = futures_util::stream::iter(targets)
        .map(|target| async move { (target, probe(target, options).await) })
        .buffer_unordered(options.concurrency.max(1));
    let deadline = tokio::time::Instant::from_std(started + options.deadline);
    let mut servers: HashMap<String, DiscoveredServer> = HashMap::new();
    let mut answering: BTreeSet<IpAddr> = BTreeSet::new();
    let mut probed = 0;
    let mut timed_out = false;
    loop {
        match tokio::time::timeout_at(deadline, probes.next()).await {
            Err(_) => {
                timed_out = true;
                break;
            }
            Ok(None) => break,
            Ok(Some((target, answer))) => {
                probed += 1;
                match answer {
                    Answer::Silent => {}
                    Answer::Host => {
                        answering.insert(target.ip());
                    }
                    Answer::Confab(found) => {
                        answering.insert(target.ip());
                        servers
                            .entry(found.id.clone())
                            .and_modify(|known| known.addresses.extend(found.addresses.iter().copied()))
                            .or_insert(found);
                    }
                }
            }
        }
    }
    let outcome = if !servers.is_empty() {
        ScanOutcome::Found
    } else if nets.is_empty() {
        ScanOutcome::NoNetwork
    } else if answering.is_empty() {
        ScanOutcome::Isolated
    } else {
        ScanOutcome::NoServer
    };
    let mut servers: Vec<DiscoveredServer> = servers.into_values().collect();
    servers.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    tracing::debug!(probed, total, ?outcome, "subnet scan done");
    ScanReport {
        servers,
        networks: nets
            .iter()
            .map(|(base, prefix, name, _)| format!("{base}/{prefix} ({name})"))
            .collect(),
        probed,
        neighbours: answering.len(),
        outcome,
        timed_out,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// What one address and port said.
enum Answer {
    /// Nothing: nobody holds the address, or a firewall drops the probe.
    Silent,
    /// A host is there (it accepted or refused the connection) but it is no Confab server.
    Host,
    Confab(DiscoveredServer),
}

#[derive(Deserialize)]
struct Info {
    id: String,
    #[serde(default)]
    server_name: String,
    #[serde(default)]
    version: String,
}

async fn probe(target: SocketAddr, options: &ScanOptions) -> Answer {
    let connect = || tokio::time::timeout(options.connect_timeout, TcpStream::connect(target));
    let tcp = match connect().await {
        Err(_) => return Answer::Silent,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Answer::Host,
        Ok(Err(_)) => return Answer::Silent,
        Ok(Ok(tcp)) => tcp,
    };
    let seen = Arc::new(Recording::default());
    let tls = async {
        let config = Arc::new(pin::client_config(seen.clone()));
        let name = ServerName::IpAddress(target.ip().into());
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .ok()?;
        get_info(stream, target).await
    };
    if let Ok(Some(info)) = tokio::time::timeout(options.answer_timeout, tls).await {
        let fp = seen.seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        return Answer::Confab(found(info, target, fp));
    }
    // Not HTTPS (or not Confab over it): a server run with `--tls off` speaks plain HTTP.
    let plain = async {
        let tcp = connect().await.ok()?.ok()?;
        get_info(tcp, target).await
    };
    match tokio::time::timeout(options.answer_timeout, plain).await {
        Ok(Some(info)) => Answer::Confab(found(info, target, None)),
        _ => Answer::Host,
    }
}

fn found(info: Info, target: SocketAddr, fingerprint: Option<String>) -> DiscoveredServer {
    DiscoveredServer {
        id: info.id,
        name: info.server_name,
        addresses: BTreeSet::from([target.ip()]),
        port: target.port(),
        tls: fingerprint.is_some(),
        fingerprint,
        version: info.version,
    }
}

/// `GET /api/info` on `stream`, without cookies or credentials; the server's answer when it is
/// a Confab server's.
async fn get_info(mut stream: impl AsyncRead + AsyncWrite + Unpin, target: SocketAddr) -> Option<Info> {
    let request = format!(
        "GET /api/info HTTP/1.1\r\nHost: {target}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    // A server that closes without close_notify still gave its whole answer.
    let _ = (&mut stream).take(MAX_ANSWER).read_to_end(&mut raw).await;
    parse_info(&raw)
}

fn parse_info(raw: &[u8]) -> Option<Info> {
    let text = std::str::from_utf8(raw).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?;
    if status != "200" {
        return None;
    }
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    let info: Info = serde_json::from_str(&body).ok()?;
    (!info.id.is_empty()).then_some(info)
}

fn dechunk(mut body: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        body = rest.get(size..)?.strip_prefix("\r\n")?;
    }
}

/// The probe's certificate check: accepts any certificate (nothing secret is sent) and
/// remembers its fingerprint; the handshake's signatures are still checked, so the server
/// holds the key.
#[derive(Debug, Default)]
struct Recording {
    seen: Mutex<Option<String>>,
}

impl CertificateCheck for Recording {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(fingerprint(end_entity));
        Ok(ServerCertVerified::assertion())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slash_24_is_every_address_but_the_network_the_broadcast_and_our_own() {
        let own: Ipv4Addr = "192.168.1.20".parse().unwrap();
        let all: Vec<Ipv4Addr> = hosts("192.168.1.0".parse().unwrap(), 24, own).collect();
        assert_eq!(all.len(), 253);
        assert_eq!(all[0], Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(*all.last().unwrap(), Ipv4Addr::new(192, 168, 1, 254));
        assert!(!all.contains(&own));
        assert_eq!(hosts("10.0.0.0".parse().unwrap(), 30, own).count(), 2);
    }

    #[test]
    fn only_a_confab_answer_counts() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"id\":\"abc\",\"server_name\":\"Desk\",\"version\":\"1\"}";
        let info = parse_info(ok).unwrap();
        assert_eq!((info.id.as_str(), info.server_name.as_str()), ("abc", "Desk"));
        let chunked =
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n9\r\n{\"id\":\"x\"\r\n1\r\n}\r\n0\r\n\r\n";
        assert_eq!(parse_info(chunked).unwrap().id, "x");
        for other in [
            &b"HTTP/1.1 301 Moved\r\nlocation: https://x/\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\n\r\n<html>a printer</html>",
            b"HTTP/1.1 200 OK\r\n\r\n{\"id\":\"\"}",
            b"SSH-2.0-OpenSSH_9.6\r\n",
        ] {
            assert!(parse_info(other).is_none());
        }
    }
}
