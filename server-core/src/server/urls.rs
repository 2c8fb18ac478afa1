//! The addresses people can open for a server: its own, or every LAN address when it listens
//! on all interfaces.

use std::net::{IpAddr, SocketAddr};

/// The URLs to open for a server listening on `addr` (`https` when `tls`).
pub fn urls_for(addr: SocketAddr, tls: bool) -> Vec<String> {
    let port = addr.port();
    let scheme = if tls { "https" } else { "http" };
    let url = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => format!("{scheme}://{v4}:{port}/"),
        IpAddr::V6(v6) => format!("{scheme}://[{v6}]:{port}/"),
    };
    if !addr.ip().is_unspecified() {
        return vec![url(addr.ip())];
    }
    let mut urls = vec![url(if addr.is_ipv4() {
        IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    } else {
        IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
    })];
    let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
    for interface in interfaces {
        let ip = interface.ip();
        let usable = !ip.is_loopback()
            && (addr.is_ipv6() || ip.is_ipv4())
            && !matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local());
        if usable {
            urls.push(url(ip));
        }
    }
    urls
}
