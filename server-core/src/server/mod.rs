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

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::blocking::BlockingPool;
use crate::chat::avatars::Avatars;
use crate::chat::nodes::{self, Heartbeat};
use crate::chat::presence::Watch;
use crate::chat::retention::{Report, Retention};
use crate::chat::{Limiter, LoginThrottle, MessageLog, Passwords, Presence, Typing, admin, seed};
use crate::cluster::NodeId;
use crate::config::Config;
use crate::connections::{self, Admission};
use crate::context::AppContext;
use crate::discovery::{Announcement, Record};
use crate::error::{Error, Result};
use crate::http;
use crate::hub::{Hub, close};
use crate::store::{FileStore, Job, Store};
use crate::time::Clock;
use crate::tls::Tls;

mod accept;
mod database;
use accept::{Acceptor, Connections, accept};
pub use database::{migrate, open_store};

/// Frames a socket may have waiting before it counts as not reading.
const SOCKET_QUEUE: usize = 1024;
/// How often expired sessions, stale login throttles and full rate-limit buckets are swept.
const HOUSEKEEPING: Duration = Duration::from_secs(300);
/// How often the write-ahead log is checkpointed into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The Confab server.
pub struct Server;

impl Server {
    /// Starts a server as `config` describes and returns once it accepts connections.
    ///
    /// # Errors
    /// [`Error::Bind`] if the address is taken or not allowed; database and I/O errors if the
    /// data directory or database cannot be opened or migrated.
    pub async fn start(config: Config) -> Result<RunningServer> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: config.bind,
                source,
            })?;
        let local_addr = listener.local_addr()?;
        config.create_data_dir()?;
        let tls = Tls::prepare(&config)?;
        let redirect_listener = match (config.tls.redirect_port, &tls) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::Config(
                    "--http-redirect-port redirects to HTTPS, but this server speaks plain HTTP (--tls off, or auto on a loopback address)".to_owned(),
                ));
            }
            (Some(port), Some(_)) => {
                let addr = SocketAddr::new(config.bind.ip(), port);
                Some(
                    TcpListener::bind(addr)
                        .await
                        .map_err(|source| Error::Bind { addr, source })?,
                )
            }
        };
        let store = open_store(&config).await?;
        let files = FileStore::open(config.uploads_dir()).await?;
        let avatars = Avatars::open(config.avatars_dir()).await?;
        let clock = config.clock.clone();
        store.purge_expired_sessions(clock.now()).await?;
        let server_id = server_id(&store).await?;
        let tls_fingerprint = tls.as_ref().map(|tls| tls.fingerprint.clone());

        let hub = Hub::new(SOCKET_QUEUE);
        hub.set_sockets_per_user(config.limits.sockets_per_user);
        if !config.limits.rate_limits {
            tracing::warn!(
                "rate limits are OFF (--rate-limits off): no per-user or per-address rate limits, registration limit, rooms-per-day cap or upload quota; use this only for load tests and test suites"
            );
        }
        let (fanout, node) = database::fanout(&config, &hub, &store).await?;
        // This server holds no socket yet, whatever its last run left (other nodes' users
        // stay as they are).
        store.node_started(node, clock.now()).await?;
        let (log, writer) = MessageLog::new(store.clone(), fanout.clone(), clock.clone());
        let stop_writer = CancellationToken::new();
        let writer_task = writer.spawn(stop_writer.clone().cancelled_owned());
        let settings = admin::settings::Settings::load(&store, &config).await?;
        let ctx = AppContext {
            settings,
            typing: Typing::new(config.timing.typing_ttl),
            limits: Limiter::new(config.limits.clone()),
            config: Arc::new(config),
            clock,
            store,
            files,
            decoders: BlockingPool::default(),
            decode_budget: Default::default(),
            avatars,
            hub,
            fanout,
            log,
            passwords: Passwords::new().await?,
            throttle: LoginThrottle::default(),
            presence: Presence::default(),
            sockets: TaskTracker::new(),
            server_id: server_id.clone(),
            tls_fingerprint: tls_fingerprint.clone(),
        };
        seed::run(&ctx, local_addr.ip()).await?;
        let setup_code = admin::setup::prepare(&ctx.store).await?;
        let setup_url = setup_code.as_ref().map(|code| {
            let base = urls_for(local_addr, tls.is_some())
                .into_iter()
                .next()
                .unwrap_or_default();
            format!("{base}#/setup/{code}")
        });
        if let Some(url) = &setup_url {
            // The log, like the console, is the operator's: the code never goes over the network.
            tracing::warn!(%url, "this server has no administrator: open this one-time link to create the first one");
        }

        let stop_background = CancellationToken::new();
        let mut background = vec![
            tokio::spawn(ctx.presence.clone().run(
                Watch {
                    store: ctx.store.clone(),
                    fanout: ctx.fanout.clone(),
                    hub: ctx.hub.clone(),
                    clock: ctx.clock.clone(),
                    node,
                    interval: ctx.config.timing.presence_interval,
                    away_after: ctx.config.timing.away_after,
                },
                stop_background.clone(),
            )),
            tokio::spawn(
                ctx.typing
                    .clone()
                    .run_expiry(ctx.fanout.clone(), stop_background.clone()),
            ),
            tokio::spawn(housekeeping(ctx.clone(), stop_background.clone())),
            tokio::spawn(checkpoints(ctx.store.clone(), stop_background.clone())),
            tokio::spawn(admin::watch::run(ctx.clone(), stop_background.clone())),
            tokio::spawn(retention(&ctx).schedule(stop_background.clone())),
        ];
        let heartbeat_paused = Arc::new(AtomicBool::new(false));
        if ctx.store.is_shared() {
            let heartbeat = Heartbeat::of(&ctx, node, heartbeat_paused.clone());
            background.push(tokio::spawn(heartbeat.run(stop_background.clone())));
        }
        let limits = connections::effective_limits(&ctx.config.connections, connections::open_file_limit());
        if limits.max_total < ctx.config.connections.max_total {
            tracing::warn!(
                max_connections = limits.max_total,
                max_connections_per_address = limits.max_per_address,
                "the open-file limit leaves room for fewer connections than configured; \
                 raise it (e.g. LimitNOFILE= in the systemd unit) to serve more"
            );
        }
        let admission = Admission::new(limits);
        let connections = Connections {
            tasks: TaskTracker::new(),
            drain: CancellationToken::new(),
        };
        let stop_accepting = CancellationToken::new();
        let accept_task = tokio::spawn(accept(
            listener,
            http::routes(ctx.clone()),
            Acceptor {
                admission: admission.clone(),
                head_timeout: ctx.config.timing.head_timeout,
                connections: connections.clone(),
                tls,
                handshake_timeout: ctx.config.timing.tls_handshake_timeout,
            },
            stop_accepting.clone(),
        ));
        let mut redirect_addr = None;
        let redirect_task = match redirect_listener {
            Some(listener) => {
                redirect_addr = Some(listener.local_addr()?);
                Some(tokio::spawn(crate::tls::serve::redirect(
                    listener,
                    crate::tls::serve::Redirect {
                        https_port: local_addr.port(),
                        admission: admission.clone(),
                        head_timeout: ctx.config.timing.head_timeout,
                        tasks: connections.tasks.clone(),
                        drain: connections.drain.clone(),
                    },
                    stop_accepting.clone(),
                )))
            }
            None => None,
        };
        let announcement = Announcement::start(
            &ctx.config.discovery,
            local_addr,
            &Record {
                id: server_id.clone(),
                name: ctx.settings.get().server_name,
                port: local_addr.port(),
                fingerprint: tls_fingerprint.clone(),
            },
        );
        tracing::info!(%local_addr, tls_fingerprint = tls_fingerprint.as_deref().unwrap_or("none (plain HTTP)"), "confab server started");
        Ok(RunningServer {
            local_addr,
            ctx,
            admission,
            connections,
            stop_accepting,
            accept_task: Some(accept_task),
            redirect_task,
            redirect_addr,
            announcement,
            server_id,
            tls_fingerprint,
            stop_background,
            background,
            node,
            heartbeat_paused,
            stop_writer,
            writer_task: Some(writer_task),
            setup_url,
        })
    }
}

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

    /// Stops gracefully: no new connections; every socket closed with 1001; in-flight requests
    /// finish (up to the configured grace period); every accepted message is stored; the
    /// database is checkpointed and closed.
    pub async fn shutdown(mut self) -> Result<()> {
        let grace = self.ctx.config.timing.shutdown_grace;
        // Goodbye first, so colleagues' apps stop offering a server that is going away.
        if let Some(announcement) = self.announcement.take() {
            announcement.stop().await;
        }
        self.stop_accepting.cancel();
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.redirect_task.take() {
            let _ = task.await;
        }
        self.ctx.sockets.close();
        self.ctx.hub.close_all(close::GOING_AWAY, "server shutting down");
        self.connections.drain.cancel();
        self.connections.tasks.close();
        if tokio::time::timeout(grace, self.connections.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some HTTP requests were still running after {grace:?}");
        }
        if tokio::time::timeout(grace, self.ctx.sockets.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets were still open after {grace:?}");
        }
        self.stop_writer.cancel();
        if let Some(writer) = self.writer_task.take() {
            writer
                .await
                .map_err(|e| Error::Internal(format!("message writer: {e}")))?;
        }
        self.stop_background.cancel();
        for task in self.background.drain(..) {
            let _ = task.await;
        }
        nodes::leave(&self.ctx, self.node).await?;
        self.ctx.store.close().await;
        tracing::info!("confab server stopped");
        Ok(())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_accepting.cancel();
        self.stop_background.cancel();
        self.stop_writer.cancel();
    }
}

fn retention(ctx: &AppContext) -> Retention {
    Retention {
        store: ctx.store.clone(),
        files: ctx.files.clone(),
        logs_dir: ctx.config.logs_dir(),
        retention_days: ctx.config.retention_days,
        settings: Some(ctx.settings.clone()),
        clock: ctx.clock.clone(),
        fanout: Some(ctx.fanout.clone()),
    }
}

/// Runs the retention job once against the data in `config`'s data dir, whether or not a
/// server is running on it (SQLite lets both share the database). `confab-server cleanup`.
pub async fn cleanup(config: &Config, dry_run: bool) -> Result<Report> {
    let store = open_store(config).await?;
    let retention = Retention {
        files: FileStore::open(config.uploads_dir()).await?,
        store: store.clone(),
        logs_dir: config.logs_dir(),
        retention_days: admin::settings::stored_retention_days(&store)
            .await?
            .unwrap_or(config.retention_days),
        settings: None,
        clock: config.clock.clone(),
        // Another process: a running server's clients learn of it when they next connect.
        fanout: None,
    };
    let report = retention.run(dry_run).await;
    store.close().await;
    report
}

async fn housekeeping(ctx: AppContext, stop: CancellationToken) {
    let mut interval = tokio::time::interval(HOUSEKEEPING);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        ctx.throttle.prune_all(Instant::now());
        ctx.limits.prune(Instant::now());
        purge_sessions(&ctx.store, &ctx.clock).await;
    }
}

/// Removes expired sessions, on one node at a time: the others skip this round (the sessions
/// are shared, so one pass is all of them).
async fn purge_sessions(store: &Store, clock: &Clock) {
    let _guard = match store.try_run_exclusive(Job::SessionPurge).await {
        Ok(Some(guard)) => guard,
        Ok(None) => {
            tracing::debug!("another node is removing expired sessions; this one skips it");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "taking the session purge's lock failed");
            return;
        }
    };
    match store.purge_expired_sessions(clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "removed expired sessions"),
        Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
    }
}

/// Checkpoints the database every [`CHECKPOINT_EVERY`], off the message writer's path.
async fn checkpoints(store: Store, stop: CancellationToken) {
    let mut interval = tokio::time::interval(CHECKPOINT_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        if let Err(e) = store.checkpoint().await {
            tracing::warn!(error = %e, "checkpointing the database failed");
        }
    }
}

/// The server's stable id, made on first start: 16 random bytes in hex.
async fn server_id(store: &Store) -> Result<String> {
    const KEY: &str = "server.id";
    if let Some(id) = store.meta(KEY).await? {
        return Ok(id);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(format!("no randomness for the server id: {e}")))?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    store.set_meta(KEY, &id).await?;
    Ok(id)
}

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
