//! HTTPS for the server's listener: which identity it presents ([`identity`]), the TLS side of
//! accepting a connection and the plain-HTTP redirect ([`serve`]), and client configs pinned to a
//! fingerprint ([`pin`]).

pub mod identity;
pub mod pin;
pub(crate) mod serve;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;

use crate::config::Config;
use crate::error::{Error, Result};
use identity::Identity;

/// What an HTTPS listener needs: the acceptor and the fingerprint people compare.
#[derive(Clone)]
pub(crate) struct Tls {
    pub acceptor: TlsAcceptor,
    pub fingerprint: String,
}

impl Tls {
    /// The TLS setup for a server configured by `config`, or `None` when it speaks plain HTTP.
    ///
    /// # Errors
    /// [`Error::Identity`] when the configured or stored identity cannot be used.
    pub fn prepare(config: &Config) -> Result<Option<Tls>> {
        if !config.tls.enabled_for(config.bind) {
            return Ok(None);
        }
        let identity = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Identity::from_files(cert, key)?,
            _ => Identity::load_or_generate(&config.data_dir, &host_names(), &addresses_for(config.bind))?,
        };
        let fingerprint = identity.fingerprint();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Internal(format!("TLS setup: {e}")))?
            .with_no_client_auth()
            .with_single_cert(identity.chain, identity.key)
            .map_err(|e| Error::Internal(format!("TLS setup: {e}")))?;
        // HTTP/1.1 only, as on plain HTTP: WebSockets upgrade from it (see `server`).
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(Tls {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            fingerprint,
        }))
    }
}

/// Names a generated certificate carries: this machine's host name (and its `.local` mDNS
/// name) and `localhost`.
fn host_names() -> Vec<String> {
    let mut names = Vec::new();
    if let Some(host) = host_name() {
        names.push(format!("{host}.local"));
        names.insert(0, host);
    }
    names.push("localhost".to_owned());
    names
}

/// This machine's host name, when it is one a certificate can carry (ASCII letters, digits,
/// hyphens and dots).
pub(crate) fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    #[cfg(unix)]
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    #[cfg(not(unix))]
    let ok = false;
    if !ok {
        return std::env::var("COMPUTERNAME").ok();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = std::str::from_utf8(&buf[..end]).ok()?.trim_end_matches('.');
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then(|| name.to_owned())
}

/// Addresses a generated certificate carries: loopback, and the listening address or, when
/// listening on every interface, each interface's.
fn addresses_for(bind: SocketAddr) -> Vec<IpAddr> {
    let mut addresses = vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)];
    if bind.ip().is_unspecified() {
        for interface in if_addrs::get_if_addrs().unwrap_or_default() {
            addresses.push(interface.ip());
        }
    } else {
        addresses.push(bind.ip());
    }
    let mut seen = std::collections::HashSet::new();
    addresses.retain(|ip| seen.insert(*ip));
    addresses
}
