//! Servers heard on the LAN, for the connect screen: `server_core::discovery::browse` (mDNS,
//! one report per server `id`) turned into what a person picks from — name, the address to
//! connect to, and whether this app trusts that server already. What a server announces is a
//! claim only: picking one still goes through the probe and the fingerprint check. Where
//! multicast does not get through, [`scan`] asks the local /24s instead (`discovery::scan`).

use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use server_core::discovery::scan::{self as subnet, ScanOptions, ScanOutcome};
use server_core::discovery::{self, DiscoveredServer, Discovery};

/// A change in what is heard, as the web client gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LanEvent {
    Found(LanServer),
    Gone {
        id: String,
    },
    /// Listening could not start (no usable network interface or socket).
    Unavailable {
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LanServer {
    pub id: String,
    pub name: String,
    /// Where to connect: `https://…` (or `http://` for a server without TLS).
    pub url: String,
    pub version: String,
    /// Whether this app already trusts a certificate for this server's id.
    pub known: bool,
    /// How it was found: `mdns` (it announced itself) or `scan` (it answered the subnet scan).
    pub found_by: FoundBy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    Mdns,
    Scan,
}

/// What a subnet scan found, for the connect screen.
#[derive(Clone, Debug, Serialize)]
pub struct LanScan {
    pub servers: Vec<LanServer>,
    /// `found`, `no_server`, `isolated` (nobody answered at all: client isolation) or
    /// `no_network`: what the screen explains when the list stays empty.
    pub outcome: ScanOutcome,
    pub networks: Vec<String>,
    pub elapsed_ms: u64,
}

/// Scans the local /24s on the default port and on `extra_ports` (those of pinned servers);
/// `known` says whether an id is pinned. `CONFAB_NO_LAN_SCAN` set turns the scan into a no-op
/// (`no_network`): automated tests of the app must not knock on the doors of a real network.
pub async fn scan(extra_ports: impl IntoIterator<Item = u16>, known: impl Fn(&str) -> bool) -> LanScan {
    if std::env::var_os("CONFAB_NO_LAN_SCAN").is_some() {
        return LanScan {
            servers: Vec::new(),
            outcome: ScanOutcome::NoNetwork,
            networks: Vec::new(),
            elapsed_ms: 0,
        };
    }
    let mut options = ScanOptions::default();
    options.ports.extend(extra_ports);
    let report = subnet::scan(&options).await;
    LanScan {
        servers: report
            .servers
            .iter()
            .filter_map(|server| describe(server, known(&server.id), FoundBy::Scan))
            .collect(),
        outcome: report.outcome,
        networks: report.networks,
        elapsed_ms: report.elapsed_ms,
    }
}

/// The address a colleague's app should use: IPv4 first (what people read and type), a
/// link-local IPv6 address last (it needs a zone the URL cannot carry). None without any.
pub fn preferred_address(addresses: impl IntoIterator<Item = IpAddr>) -> Option<IpAddr> {
    let rank = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) if v4.is_link_local() => 2,
        IpAddr::V4(_) => 0,
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => 3,
        IpAddr::V6(_) => 1,
    };
    addresses
        .into_iter()
        .filter(|ip| !ip.is_loopback())
        .min_by_key(|ip| (rank(ip), *ip))
}

/// What the connect screen shows for `server`; `known` says whether its id is pinned.
pub fn describe(server: &DiscoveredServer, known: bool, found_by: FoundBy) -> Option<LanServer> {
    let ip = preferred_address(server.addresses.iter().copied())?;
    let host = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let scheme = if server.tls { "https" } else { "http" };
    Some(LanServer {
        id: server.id.clone(),
        name: server.name.clone(),
        url: format!("{scheme}://{host}:{}", server.port),
        version: server.version.clone(),
        known,
        found_by,
    })
}

/// The one listener the connect screen runs at a time.
#[derive(Default)]
pub struct Watch {
    task: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

impl Watch {
    /// Starts listening (stopping any earlier listener) and hands each change to `send`, which
    /// answers false once nobody listens any more. `known` says whether an id is pinned.
    pub fn start(
        &self,
        send: impl Fn(LanEvent) -> bool + Send + 'static,
        known: impl Fn(&str) -> bool + Send + 'static,
    ) {
        let task = tauri::async_runtime::spawn(async move {
            let mut browser = match discovery::browse() {
                Ok(browser) => browser,
                Err(e) => {
                    send(LanEvent::Unavailable {
                        message: e.to_string(),
                    });
                    return;
                }
            };
            while let Some(change) = browser.next().await {
                let event = match change {
                    Discovery::Found(server) => {
                        let Some(found) = describe(&server, known(&server.id), FoundBy::Mdns) else {
                            continue;
                        };
                        LanEvent::Found(found)
                    }
                    Discovery::Gone { id } => LanEvent::Gone { id },
                };
                if !send(event) {
                    break;
                }
            }
        });
        if let Some(earlier) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(task)
        {
            earlier.abort();
        }
    }

    pub fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(PoisonError::into_inner).take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn server(addresses: &[&str], tls: bool) -> DiscoveredServer {
        DiscoveredServer {
            id: "abc".into(),
            name: "Office".into(),
            addresses: addresses
                .iter()
                .map(|a| a.parse().unwrap())
                .collect::<BTreeSet<_>>(),
            port: 8080,
            fingerprint: Some("AA".into()),
            tls,
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn the_address_people_can_use_is_offered_ipv4_first() {
        let found = describe(
            &server(&["fe80::1", "2001:db8::5", "192.168.1.20", "169.254.3.3"], true),
            false,
            FoundBy::Mdns,
        )
        .unwrap();
        assert_eq!(found.url, "https://192.168.1.20:8080");
        assert!(!found.known);
        let v6 = describe(&server(&["fe80::1", "2001:db8::5"], true), true, FoundBy::Mdns).unwrap();
        assert_eq!(v6.url, "https://[2001:db8::5]:8080");
        assert!(v6.known);
        let plain = describe(&server(&["10.0.0.7"], false), false, FoundBy::Mdns).unwrap();
        assert_eq!(plain.url, "http://10.0.0.7:8080");
        assert_eq!(
            describe(&server(&["127.0.0.1"], true), false, FoundBy::Mdns),
            None
        );
        assert_eq!(describe(&server(&[], true), false, FoundBy::Mdns), None);
    }

    #[test]
    fn events_serialize_for_the_web_client() {
        let json = serde_json::to_value(LanEvent::Gone { id: "abc".into() }).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "gone", "id": "abc"}));
        let found = describe(&server(&["10.0.0.7"], true), true, FoundBy::Mdns).unwrap();
        let json = serde_json::to_value(LanEvent::Found(found)).unwrap();
        assert_eq!(json["kind"], "found");
        assert_eq!(json["url"], "https://10.0.0.7:8080");
        assert_eq!(json["known"], true);
        assert_eq!(json["found_by"], "mdns");
        let scanned = describe(&server(&["10.0.0.7"], true), false, FoundBy::Scan).unwrap();
        assert_eq!(serde_json::to_value(scanned).unwrap()["found_by"], "scan");
    }
}
