//! Settings for serving a LAN: whether connections are encrypted ([`TlsSettings`]) and whether
//! the server announces itself to colleagues' apps ([`DiscoverySettings`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::ValueEnum;

/// `--tls`: whether the server speaks HTTPS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum TlsMode {
    /// Always HTTPS.
    On,
    /// Plain HTTP, e.g. behind a reverse proxy that terminates TLS with a real certificate.
    Off,
    /// HTTPS whenever the server listens on an address other than loopback: anything that
    /// crosses a network is encrypted, while a server only this machine can reach stays plain.
    #[default]
    Auto,
}

/// How the server's connections are encrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: TlsMode,
    /// An administrator's own PEM certificate chain (leaf first), with [`Self::key`]. Without
    /// them the server uses the identity it generated in its data dir.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// A plain-HTTP port, on the same address, that only redirects to HTTPS.
    pub redirect_port: Option<u16>,
}

impl TlsSettings {
    /// Whether a server listening on `bind` speaks HTTPS.
    pub fn enabled_for(&self, bind: SocketAddr) -> bool {
        match self.mode {
            TlsMode::On => true,
            TlsMode::Off => false,
            TlsMode::Auto => !bind.ip().is_loopback(),
        }
    }
}

/// How the server announces itself on the LAN (mDNS/DNS-SD, `_confab._tcp.local.`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoverySettings {
    /// Off: colleagues type the address or use an invite link.
    pub enabled: bool,
    /// Announce on exactly these interfaces (by name), virtual ones included. Empty: every
    /// physical interface, skipping loopback, link-local and virtual ones (docker, veth, VPNs…).
    pub interfaces: Vec<String>,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        DiscoverySettings {
            enabled: true,
            interfaces: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_encrypts_everything_but_loopback() {
        let auto = TlsSettings::default();
        assert!(!auto.enabled_for("127.0.0.1:80".parse().unwrap()));
        assert!(!auto.enabled_for("[::1]:80".parse().unwrap()));
        assert!(auto.enabled_for("0.0.0.0:80".parse().unwrap()));
        assert!(auto.enabled_for("192.0.2.4:80".parse().unwrap()));
        let off = TlsSettings {
            mode: TlsMode::Off,
            ..TlsSettings::default()
        };
        assert!(!off.enabled_for("0.0.0.0:80".parse().unwrap()));
        let on = TlsSettings {
            mode: TlsMode::On,
            ..TlsSettings::default()
        };
        assert!(on.enabled_for("127.0.0.1:80".parse().unwrap()));
    }
}
