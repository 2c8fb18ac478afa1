//! Finding servers on the LAN without typing addresses: the server announces itself over
//! mDNS/DNS-SD as `_confab._tcp.local.` ([`Announcement`]), and clients list what they hear
//! ([`browse`]). Pure Rust (`mdns-sd`): no Avahi or Bonjour on either side. Where multicast
//! does not get through, [`scan`] asks every address of the local /24s instead.

pub mod scan;

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mdns_sd::{IfKind, IfPredicate, ServiceDaemon, ServiceEvent, ServiceInfo};

use crate::config::DiscoverySettings;

/// The DNS-SD service type Confab servers announce.
pub const SERVICE_TYPE: &str = "_confab._tcp.local.";

/// Interface name prefixes of virtual networks, never the office LAN: containers and VMs
/// (docker, veth, br-, virbr, vmnet, vEthernet) and VPN tunnels (tun, wg). Announcing there
/// would hand colleagues addresses they cannot reach.
const VIRTUAL_PREFIXES: &[&str] = &[
    "docker",
    "veth",
    "virbr",
    "vmnet",
    "vEthernet",
    "tun",
    "wg",
    "br-",
];

/// How long shutdown waits for the goodbye to be sent.
const GOODBYE_WAIT: Duration = Duration::from_secs(2);

/// What a server says about itself in its TXT record.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub id: String,
    pub name: String,
    pub port: u16,
    /// The certificate's fingerprint, when the server speaks HTTPS.
    pub fingerprint: Option<String>,
}

/// Whether the server announces itself on address `ip` of interface `name`. Loopback and
/// link-local addresses never; `chosen` interfaces (by name) if any are chosen; otherwise every
/// interface that is not a virtual one.
pub(crate) fn announced_on(name: &str, ip: IpAddr, chosen: &[String]) -> bool {
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
    };
    if ip.is_loopback() || link_local || ip.is_unspecified() {
        return false;
    }
    if !chosen.is_empty() {
        return chosen.iter().any(|c| c == name);
    }
    !VIRTUAL_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// A running announcement; [`Announcement::stop`] says goodbye.
pub(crate) struct Announcement {
    daemon: ServiceDaemon,
    fullname: String,
}

impl Announcement {
    /// Starts announcing `record` for a server listening on `bind`, when `settings` allow and
    /// the server is reachable from the LAN at all. Failures are logged, never fatal: a server
    /// nobody can discover is still a working server.
    pub fn start(settings: &DiscoverySettings, bind: SocketAddr, record: &Record) -> Option<Announcement> {
        if !settings.enabled || bind.ip().is_loopback() {
            return None;
        }
        match Announcement::try_start(settings, bind, record) {
            Ok(announcement) => Some(announcement),
            Err(e) => {
                tracing::warn!(error = %e, "could not announce the server on the LAN; colleagues must type its address");
                None
            }
        }
    }

    fn try_start(
        settings: &DiscoverySettings,
        bind: SocketAddr,
        record: &Record,
    ) -> mdns_sd::Result<Announcement> {
        let chosen = settings.interfaces.clone();
        let only = (!bind.ip().is_unspecified()).then_some(bind.ip());
        let wanted = move |name: &str, ip: IpAddr| {
            announced_on(name, ip, &chosen)
                && only.is_none_or(|only| only == ip)
                && (bind.is_ipv6() || ip.is_ipv4())
        };
        let addresses: Vec<IpAddr> = if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .filter(|interface| wanted(&interface.name, interface.ip()))
            .map(|interface| interface.ip())
            .collect();
        for skipped in if_addrs::get_if_addrs().unwrap_or_default() {
            if !wanted(&skipped.name, skipped.ip()) && !skipped.ip().is_loopback() {
                tracing::debug!(interface = %skipped.name, ip = %skipped.ip(), "not announcing on this interface");
            }
        }
        let daemon = ServiceDaemon::new()?;
        // Each interface gets its own socket inside the daemon, and one that fails is logged
        // and left out while the others keep working.
        let skip = wanted.clone();
        daemon.disable_interface(IfKind::Predicate(IfPredicate::new(move |intf| {
            !skip(&intf.name, intf.ip())
        })))?;
        let short_id: String = record.id.chars().take(8).collect();
        let instance = format!("{} ({short_id})", truncate(&record.name, 40));
        let properties = txt(record);
        let mut info = ServiceInfo::new(
            SERVICE_TYPE,
            &instance,
            &format!("confab-{short_id}.local."),
            &addresses[..],
            record.port,
            &properties[..],
        )?
        .enable_addr_auto();
        info.set_interfaces(vec![IfKind::Predicate(IfPredicate::new(move |intf| {
            wanted(&intf.name, intf.ip())
        }))]);
        let fullname = info.get_fullname().to_owned();
        daemon.register(info)?;
        tracing::info!(instance = %instance, addresses = ?addresses, "announcing the server on the LAN");
        Ok(Announcement { daemon, fullname })
    }

    /// Says goodbye (so browsers drop the server at once rather than when the record expires)
    /// and stops the daemon. Waits at most a couple of seconds.
    pub async fn stop(self) {
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = tokio::time::timeout(GOODBYE_WAIT, done.recv_async()).await;
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = tokio::time::timeout(GOODBYE_WAIT, done.recv_async()).await;
        }
    }
}

impl Drop for Announcement {
    /// A server dropped without a graceful shutdown stops announcing (without a goodbye; its
    /// record expires in browsers' caches). After [`Announcement::stop`] this is a no-op.
    fn drop(&mut self) {
        let _ = self.daemon.shutdown();
    }
}

fn txt(record: &Record) -> Vec<(&'static str, String)> {
    vec![
        ("id", record.id.clone()),
        ("name", truncate(&record.name, 200).to_owned()),
        ("version", crate::VERSION.to_owned()),
        (
            "tls",
            if record.fingerprint.is_some() { "1" } else { "0" }.to_owned(),
        ),
        ("fp", record.fingerprint.clone().unwrap_or_default()),
    ]
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A server heard on the LAN.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiscoveredServer {
    /// The server's stable id: the key to de-duplicate and pin by.
    pub id: String,
    pub name: String,
    pub addresses: BTreeSet<IpAddr>,
    pub port: u16,
    /// The fingerprint it claims (still to be checked in the handshake).
    pub fingerprint: Option<String>,
    pub tls: bool,
    pub version: String,
}

/// A change in what is heard on the LAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// A server appeared, or changed what it says (addresses, name, fingerprint).
    Found(DiscoveredServer),
    /// The server with this id said goodbye (or its record expired).
    Gone { id: String },
}

/// Listens for Confab servers until dropped or [`Browser::stop`]ped.
pub struct Browser {
    daemon: ServiceDaemon,
    events: mdns_sd::Receiver<ServiceEvent>,
    /// DNS-SD instance name → server id.
    ids: HashMap<String, String>,
    /// Server id → what was last reported.
    known: HashMap<String, DiscoveredServer>,
}

/// Starts listening for Confab servers on every interface.
///
/// # Errors
/// When the mDNS daemon cannot start (no usable network interface or socket).
pub fn browse() -> Result<Browser, mdns_sd::Error> {
    let daemon = ServiceDaemon::new()?;
    let events = daemon.browse(SERVICE_TYPE)?;
    Ok(Browser {
        daemon,
        events,
        ids: HashMap::new(),
        known: HashMap::new(),
    })
}

impl Browser {
    /// The next change, one per server id: a server heard on several interfaces or announcing
    /// again unchanged is reported once. `None` once the browser has stopped.
    pub async fn next(&mut self) -> Option<Discovery> {
        loop {
            let event = self.events.recv_async().await.ok()?;
            if let Some(change) = self.apply(event) {
                return Some(change);
            }
        }
    }

    fn apply(&mut self, event: ServiceEvent) -> Option<Discovery> {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                let property = |key: &str| service.get_property_val_str(key).map(str::to_owned);
                let id = property("id").filter(|id| !id.is_empty())?;
                let found = DiscoveredServer {
                    name: property("name").unwrap_or_default(),
                    addresses: service.get_addresses().iter().map(|ip| ip.to_ip_addr()).collect(),
                    port: service.get_port(),
                    fingerprint: property("fp").filter(|fp| !fp.is_empty()),
                    tls: property("tls").as_deref() == Some("1"),
                    version: property("version").unwrap_or_default(),
                    id: id.clone(),
                };
                self.ids.insert(service.get_fullname().to_owned(), id.clone());
                if self.known.get(&id) == Some(&found) {
                    return None;
                }
                self.known.insert(id, found.clone());
                Some(Discovery::Found(found))
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                let id = self.ids.remove(&fullname)?;
                // Another instance name may still announce the same id.
                if self.ids.values().any(|other| *other == id) {
                    return None;
                }
                self.known.remove(&id);
                Some(Discovery::Gone { id })
            }
            _ => None,
        }
    }

    /// Stops listening (as dropping it does).
    pub fn stop(self) {}
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The daemon is a thread of its own: without this it would outlive its handle.
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_loopback_and_link_local_are_skipped() {
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        assert!(announced_on("eth0", lan, &[]));
        assert!(announced_on("wlp2s0", lan, &[]));
        for name in [
            "docker0",
            "veth12ab",
            "virbr0",
            "vmnet8",
            "vEthernet (WSL)",
            "tun0",
            "wg0",
            "br-1a2b",
        ] {
            assert!(!announced_on(name, lan, &[]), "{name}");
        }
        assert!(!announced_on("lo", "127.0.0.1".parse().unwrap(), &[]));
        assert!(!announced_on("eth0", "169.254.3.4".parse().unwrap(), &[]));
        assert!(!announced_on("eth0", "fe80::1".parse().unwrap(), &[]));
        // Chosen by name: exactly those, virtual or not.
        let chosen = vec!["wg0".to_owned()];
        assert!(announced_on("wg0", lan, &chosen));
        assert!(!announced_on("eth0", lan, &chosen));
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
