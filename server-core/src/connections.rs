//! Which TCP connections the server takes: the caps on connections at once (in all and per
//! client address), the slot each admitted connection holds until its last byte, the quick
//! refusal of the rest, and the open-file limit those connections live within.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::config::ConnectionLimits;

/// Descriptors kept back from connections for the server's own files: the database and its
/// WAL for each pooled connection, log files, uploads being written, the runtime's own.
pub const RESERVED_FILES: usize = 128;
/// A refusal is logged at most this often per client address.
const LOG_EVERY: Duration = Duration::from_secs(60);
/// Addresses remembered for [`LOG_EVERY`]; past this, refusals go unlogged until older entries
/// expire, so a flood of addresses cannot grow the map (or the log) without bound.
const LOGGED_ADDRESSES: usize = 4096;

/// The answer a refused connection gets when it can still read it: written with one
/// non-blocking call, so refusing costs the server no waiting.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 10\r\n\
connection: close\r\n\
content-length: 91\r\n\
\r\n\
{\"error\":{\"code\":\"too_many_connections\",\"message\":\"Too many connections; try again soon.\"}}";

/// Raises this process's soft open-file limit to its hard limit and returns the limit now in
/// force (`None` where there is no such limit). Every socket is a file descriptor, and the usual
/// soft limit (1024, or 256 on macOS) is far below what an office's worth of connections
/// needs; the hard limit is what the administrator allows, so the server takes all of it (as
/// Go programs and nginx's `worker_rlimit_nofile` do). `confab-server` and the desktop app's
/// host mode both call this before starting a server.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
        unsafe {
            let mut limit: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let wanted = limit.rlim_max;
                limit.rlim_cur = wanted;
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    // macOS reports an unlimited hard limit but refuses more than OPEN_MAX.
                    limit.rlim_cur = wanted.min(10_240);
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                }
            }
        }
    }
    open_file_limit()
}

/// The soft open-file limit in force, if the platform has one.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    // SAFETY: getrlimit only writes the struct passed to it.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur != libc::RLIM_INFINITY {
            // rlim_t is u64 on Linux and macOS, but not on every Unix.
            #[allow(clippy::unnecessary_cast)]
            return Some(limit.rlim_cur as u64);
        }
    }
    None
}

/// The caps a server actually enforces: `limits` lowered so that connections cannot use up the
/// descriptors the server needs for itself (`open_files`, the process's limit), and so that no
/// single address can hold more than a quarter of all slots.
pub fn effective_limits(limits: &ConnectionLimits, open_files: Option<u64>) -> ConnectionLimits {
    let room = open_files.map_or(usize::MAX, |n| {
        usize::try_from(n)
            .unwrap_or(usize::MAX)
            .saturating_sub(RESERVED_FILES)
    });
    let max_total = limits.max_total.min(room).max(1);
    let max_per_address = match limits.max_per_address {
        0 => 0,
        n => n.min((max_total / 4).max(1)),
    };
    ConnectionLimits {
        max_total,
        max_per_address,
        uncapped_addresses: limits.uncapped_addresses.clone(),
    }
}

/// Counts the connections open now and decides whether a new one may join them.
#[derive(Clone)]
pub struct Admission {
    inner: Arc<Inner>,
}

struct Inner {
    limits: ConnectionLimits,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
    /// When a refusal for each address was last logged, and how many went unlogged since.
    logged: HashMap<IpAddr, (Instant, u64)>,
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds `max_total` connections.
    Total,
    /// This address holds `max_per_address` connections.
    Address,
}

impl Admission {
    pub fn new(limits: ConnectionLimits) -> Admission {
        Admission {
            inner: Arc::new(Inner {
                limits,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Takes a slot for a connection from `peer`, or says why there is none (logging the
    /// refusal at most once a minute per address).
    pub fn admit(&self, peer: IpAddr, now: Instant) -> Result<Slot, Refusal> {
        let limits = &self.inner.limits;
        let peer = canonical(peer);
        let mut state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        let capped = limits.max_per_address > 0 && !limits.uncapped_addresses.contains(&peer);
        let held = state.by_address.get(&peer).copied().unwrap_or(0);
        let refusal = if state.total >= limits.max_total {
            Some(Refusal::Total)
        } else if capped && held >= limits.max_per_address {
            Some(Refusal::Address)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            state.log_refusal(peer, refusal, limits, now);
            return Err(refusal);
        }
        state.total += 1;
        *state.by_address.entry(peer).or_insert(0) += 1;
        Ok(Slot {
            admission: Arc::clone(&self.inner),
            peer,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

impl State {
    fn log_refusal(&mut self, peer: IpAddr, refusal: Refusal, limits: &ConnectionLimits, now: Instant) {
        if self.logged.len() >= LOGGED_ADDRESSES {
            self.logged
                .retain(|_, (at, _)| now.duration_since(*at) < LOG_EVERY);
        }
        let room = self.logged.len() < LOGGED_ADDRESSES;
        match self.logged.get_mut(&peer) {
            Some((at, unlogged)) if now.duration_since(*at) < LOG_EVERY => *unlogged += 1,
            Some((at, unlogged)) => {
                let since = std::mem::take(unlogged);
                *at = now;
                warn_refused(peer, refusal, limits, since);
            }
            None if room => {
                self.logged.insert(peer, (now, 0));
                warn_refused(peer, refusal, limits, 0);
            }
            None => {}
        }
    }
}

fn warn_refused(peer: IpAddr, refusal: Refusal, limits: &ConnectionLimits, unlogged: u64) {
    match refusal {
        Refusal::Total => tracing::warn!(
            %peer,
            max = limits.max_total,
            refused_unlogged = unlogged,
            "refusing connections: the server holds as many as it may (--max-connections); \
             this is logged once a minute per address"
        ),
        Refusal::Address => tracing::warn!(
            %peer,
            max = limits.max_per_address,
            refused_unlogged = unlogged,
            "refusing connections from an address that holds as many as one may \
             (--max-connections-per-address); this is logged once a minute per address"
        ),
    }
}

/// An IPv4 client reaching an IPv6 listener is still that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// One admitted connection's place in the count, given back when dropped.
pub struct Slot {
    admission: Arc<Inner>,
    peer: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self
            .admission
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.total = state.total.saturating_sub(1);
        if let Some(held) = state.by_address.get_mut(&self.peer) {
            *held -= 1;
            if *held == 0 {
                state.by_address.remove(&self.peer);
            }
        }
    }
}

/// A connection's stream with its slot: the slot is given back when the stream is closed,
/// which for a WebSocket is long after the HTTP exchange that upgraded it.
pub struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl Counted {
    pub fn new(stream: TcpStream, slot: Slot) -> Counted {
        Counted { stream, _slot: slot }
    }

    /// The address the connection arrived on (which of the server's addresses it dialled).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl AsyncRead for Counted {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The next connection on `listener` that fits within the caps, holding its slot, with
/// Nagle's delay off (chat frames are small and wanted at once); connections over the caps are
/// refused at once and the wait goes on. `None` once `stop` is cancelled.
pub async fn next_admitted(
    listener: &TcpListener,
    admission: &Admission,
    stop: &CancellationToken,
) -> Option<(Counted, SocketAddr)> {
    loop {
        let (stream, peer) = tokio::select! {
            () = stop.cancelled() => return None,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        match admission.admit(peer.ip(), Instant::now()) {
            Ok(slot) => {
                let _ = stream.set_nodelay(true);
                return Some((Counted::new(stream, slot), peer));
            }
            Err(_) => refuse(stream),
        }
    }
}

/// Turns a connection away without waiting for it: whatever request already arrived is read
/// (so closing sends a clean FIN rather than a reset that could discard the answer), a `503`
/// is written if the socket takes it at once, and the socket is closed.
pub fn refuse(stream: TcpStream) {
    let mut scratch = [0u8; 4096];
    let _ = stream.try_read(&mut scratch);
    let _ = stream.try_write(REFUSAL);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_total: usize, max_per_address: usize) -> ConnectionLimits {
        ConnectionLimits {
            max_total,
            max_per_address,
            ..ConnectionLimits::default()
        }
    }

    #[test]
    fn refusal_body_length_is_right() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(text.contains(&format!("content-length: {}\r\n", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "too_many_connections");
    }

    #[test]
    fn caps_per_address_and_in_all_and_slots_come_back() {
        let admission = Admission::new(limits(5, 2));
        let now = Instant::now();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = admission.admit(a, now).unwrap();
        let _a2 = admission.admit(a, now).unwrap();
        assert_eq!(admission.admit(a, now).err(), Some(Refusal::Address));
        // The same client over an IPv6 listener is the same address.
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(admission.admit(mapped, now).err(), Some(Refusal::Address));
        let _b1 = admission.admit(b, now).unwrap();
        drop(a1);
        let _a3 = admission.admit(a, now).unwrap();
        // Loopback is not capped per address, but counts in all.
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let _l1 = admission.admit(local, now).unwrap();
        let _l2 = admission.admit(local, now).unwrap();
        assert_eq!(admission.open(), 5);
        assert_eq!(admission.admit(local, now).err(), Some(Refusal::Total));
        assert_eq!(admission.admit(b, now).err(), Some(Refusal::Total));
    }

    #[test]
    fn per_address_cap_zero_is_off() {
        let admission = Admission::new(limits(10, 0));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let slots: Vec<_> = (0..10)
            .map(|_| admission.admit(a, Instant::now()).unwrap())
            .collect();
        assert_eq!(admission.admit(a, Instant::now()).err(), Some(Refusal::Total));
        drop(slots);
        assert_eq!(admission.open(), 0);
    }

    #[test]
    fn refusals_are_logged_once_a_minute_per_address() {
        let admission = Admission::new(limits(1, 1));
        let start = Instant::now();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let _slot = admission.admit(a, start).unwrap();
        for i in 0..100 {
            let _ = admission.admit(a, start + Duration::from_millis(i));
        }
        let logged = |admission: &Admission| {
            admission
                .inner
                .state
                .lock()
                .unwrap()
                .logged
                .get(&a)
                .copied()
                .unwrap()
        };
        assert_eq!(logged(&admission), (start, 99));
        let later = start + LOG_EVERY + Duration::from_secs(1);
        let _ = admission.admit(a, later);
        assert_eq!(logged(&admission), (later, 0));
    }

    #[test]
    fn the_log_memory_is_bounded() {
        let admission = Admission::new(limits(1, 1));
        let now = Instant::now();
        let _slot = admission.admit("10.0.0.1".parse().unwrap(), now).unwrap();
        for i in 0..(LOGGED_ADDRESSES as u32 * 2) {
            let _ = admission.admit(IpAddr::V4(i.into()), now);
        }
        assert!(admission.inner.state.lock().unwrap().logged.len() <= LOGGED_ADDRESSES);
    }

    #[test]
    fn caps_leave_room_for_the_servers_own_files() {
        let configured = ConnectionLimits::default();
        let roomy = effective_limits(&configured, Some(1_048_576));
        assert_eq!(roomy, configured);
        let tight = effective_limits(&configured, Some(256));
        assert_eq!(tight.max_total, 256 - RESERVED_FILES);
        assert_eq!(tight.max_per_address, (256 - RESERVED_FILES) / 4);
        assert_eq!(effective_limits(&limits(100, 0), Some(256)).max_per_address, 0);
        assert_eq!(effective_limits(&limits(100, 10), Some(10)).max_total, 1);
    }
}
