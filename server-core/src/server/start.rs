//! Start-up: [`Server::start`] binds the listeners, opens and seeds the database, builds the
//! shared [`AppContext`], spawns the background tasks and the accept loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::accept::{Acceptor, Connections, accept};
use super::database::{self, open_store};
use super::housekeeping::{checkpoints, housekeeping, purge_sessions, retention};
use super::urls::urls_for;
use super::{RunningServer, SOCKET_QUEUE, Server};
use crate::blocking::BlockingPool;
use crate::chat::avatars::Avatars;
use crate::chat::nodes::Heartbeat;
use crate::chat::presence::Watch;
use crate::chat::{MessageLog, Passwords, Presence, Typing, admin, seed};
use crate::config::Config;
use crate::connections::{self, Admission};
use crate::context::AppContext;
use crate::discovery::{Announcement, Record};
use crate::error::{Error, Result};
use crate::http;
use crate::hub::Hub;
use crate::store::{FileStore, Store};
use crate::tls::Tls;

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
        // Under the job's lock like the periodic purge: nodes starting together purge once.
        purge_sessions(&store, &clock).await;
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
        let (limits, throttle) = database::limits(&store, &config, &clock, node).await?;
        let (log, writer) = MessageLog::new(store.clone(), fanout.clone(), clock.clone());
        let stop_writer = CancellationToken::new();
        let writer_task = writer.spawn(stop_writer.clone().cancelled_owned());
        let settings = admin::settings::Settings::load(&store, &config).await?;
        let ctx = AppContext {
            settings,
            typing: Typing::new(config.timing.typing_ttl),
            limits,
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
            throttle,
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
