//! Starting and stopping a server: [`Server::start`] opens the database, seeds it, binds the
//! listener and serves HTTP and WebSocket until [`RunningServer::shutdown`], which stops
//! accepting, closes every socket with 1001, lets in-flight requests finish, stores every
//! accepted message and checkpoints the database.
//!
//! Connections speak HTTP/1.1 only (WebSocket upgrades from it), over TLS when the config asks
//! for it (see [`accept`] and `tls`). Cleartext HTTP/2 ("h2c") is
//! not offered: no browser or webview uses it (they speak HTTP/2 only over TLS), and serving it
//! would add a second protocol whose idle connections answer keep-alive pings forever, plus
//! its own floods (rapid reset, CONTINUATION, SETTINGS) to defend, for no client of ours. It
//! also spared the protocol sniffing that waited, with no timeout, for a silent connection's
//! first bytes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::chat::retention::Report;
use crate::cluster::NodeId;
use crate::connections::Admission;
use crate::context::AppContext;
use crate::discovery::Announcement;
use crate::error::Result;
use crate::http;

mod accept;
mod database;
mod housekeeping;
mod shutdown;
mod start;
mod urls;
use accept::Connections;
pub use database::{migrate, open_store};
pub use housekeeping::cleanup;
use housekeeping::retention;
pub use urls::urls_for;

/// Frames a socket may have waiting before it counts as not reading.
const SOCKET_QUEUE: usize = 1024;

/// The Confab server.
pub struct Server;

/// A started server. Stop it with [`RunningServer::shutdown`]; dropping it stops accepting and
/// cancels its tasks without waiting for them.
pub struct RunningServer {
    local_addr: SocketAddr,
    ctx: AppContext,
    admission: Admission,
    connections: Connections,
    stop_accepting: CancellationToken,
    accept_task: Option<JoinHandle<()>>,
    redirect_task: Option<JoinHandle<()>>,
    redirect_addr: Option<SocketAddr>,
    announcement: Option<Announcement>,
    server_id: String,
    tls_fingerprint: Option<String>,
    stop_background: CancellationToken,
    background: Vec<JoinHandle<()>>,
    /// This server in the cluster sharing its database (see `chat::nodes`).
    node: NodeId,
    heartbeat_paused: Arc<AtomicBool>,
    stop_writer: CancellationToken,
    writer_task: Option<JoinHandle<()>>,
    setup_url: Option<String>,
}

impl RunningServer {
    /// The address the server listens on (with the real port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Addresses people can open in a browser: this machine's, and when listening on every
    /// interface, each LAN address too.
    pub fn urls(&self) -> Vec<String> {
        urls_for(self.local_addr, self.tls_fingerprint.is_some())
    }

    /// The SHA-256 fingerprint of the certificate the server presents (colon-separated
    /// upper-case hex, as browsers show it), or `None` when it speaks plain HTTP.
    pub fn tls_fingerprint(&self) -> Option<&str> {
        self.tls_fingerprint.as_deref()
    }

    /// The server's stable id (generated once, kept in its database): what clients pin its
    /// certificate to and discovery de-duplicates by.
    pub fn server_id(&self) -> &str {
        &self.server_id
    }

    /// Where the plain-HTTP redirect listens, when `--http-redirect-port` asked for one.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect_addr
    }

    /// Whether the server is announcing itself on the LAN.
    pub fn is_announced(&self) -> bool {
        self.announcement.is_some()
    }

    /// The one-time link that makes the first administrator, while the server has none (as it
    /// was when the server started).
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }

    /// The code in [`Self::setup_url`].
    pub fn setup_code(&self) -> Option<&str> {
        self.setup_url.as_deref().and_then(|url| url.rsplit('/').next())
    }

    /// Runs the retention job now (as the daily schedule would); with `dry_run`, only reports
    /// what it would remove.
    pub async fn cleanup(&self, dry_run: bool) -> Result<Report> {
        retention(&self.ctx).run(dry_run).await
    }

    /// The OpenAPI document of this server's REST API, as `/api/openapi.json` serves it.
    pub fn openapi(&self) -> String {
        http::openapi(self.ctx.clone())
    }

    /// Number of authenticated WebSocket connections right now.
    pub fn connection_count(&self) -> usize {
        self.ctx.hub.connection_count()
    }

    /// The people (user ids) with at least one live connection right now, for a host that
    /// wants to say who would be cut off.
    pub fn connected_people(&self) -> Vec<crate::model::UserId> {
        self.ctx.hub.online_user_ids()
    }

    /// Stops (`true`) or resumes this server's cluster heartbeat while its sockets stay open:
    /// to the other nodes it looks frozen, and after the timeout its users stop counting.
    /// For tests of the cluster's presence; a no-op on SQLite.
    pub fn pause_heartbeat(&self, paused: bool) {
        self.heartbeat_paused
            .store(paused, std::sync::atomic::Ordering::Relaxed);
    }

    /// Number of TCP connections held right now (HTTP and WebSocket, authenticated or not).
    pub fn open_connections(&self) -> usize {
        self.admission.open()
    }
}
