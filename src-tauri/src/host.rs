//! Host mode: the Confab server running inside the app, through `server_core::Server::start`,
//! with its data in the app's data folder. Starting and stopping are async and never block the
//! window; a taken port is a clear error, not a crash.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use server_core::{Config, Profile, RunningServer, Server};
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::remote::{self, Claim};

/// The built-in server, if running.
#[derive(Default)]
pub struct Host {
    state: Mutex<Option<Running>>,
    /// Mirrors `state.is_some()` for callers that cannot wait, such as a window's close
    /// button handled on the window's thread.
    running: AtomicBool,
    /// Never announce on the LAN, even with LAN access (the server's `--no-discovery`).
    unannounced: bool,
}

struct Running {
    server: RunningServer,
    lan: bool,
    /// The setup code of a server without an administrator, until the app's own account
    /// claimed it (`make_admin`).
    setup_code: Option<String>,
}

/// What the settings page shows about host mode.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct HostStatus {
    pub running: bool,
    pub port: Option<u16>,
    pub lan: bool,
    /// This computer's address for the app itself.
    pub local_url: Option<String>,
    /// Addresses colleagues can open (LAN exposure only).
    pub lan_urls: Vec<String>,
    /// With LAN access the server speaks HTTPS: its certificate's fingerprint (colon-separated
    /// hex) and the same in groups a person can read aloud to a colleague comparing it.
    pub fingerprint: Option<String>,
    pub fingerprint_readable: Option<String>,
    /// The server's stable id, which its certificate is pinned to.
    pub server_id: Option<String>,
}

impl Host {
    /// A host that never announces itself over mDNS, even with LAN access: for a test on a
    /// machine whose network is not the test's to talk to.
    pub fn unannounced() -> Host {
        Host {
            unannounced: true,
            ..Host::default()
        }
    }

    /// Starts the server on `port` (all interfaces when `lan`), or returns the status if it
    /// already runs that way; a server running another way is stopped first.
    pub async fn start(&self, data_dir: PathBuf, port: u16, lan: bool) -> Result<HostStatus> {
        let mut state = self.state.lock().await;
        if let Some(running) = state.as_ref()
            && (port == 0 || running.server.local_addr().port() == port)
            && running.lan == lan
        {
            return Ok(status_of(running));
        }
        if let Some(running) = state.take() {
            self.running.store(false, Ordering::SeqCst);
            shut_down(running).await;
        }
        let ip = if lan {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        // Each colleague's browser and app hold several connections, and the usual soft limit
        // (256 on macOS, 1024 on Linux) would run out long before the server's own caps.
        let open_files = server_core::raise_open_file_limit();
        tracing::debug!(?open_files, "open-file limit for the built-in server");
        let mut config = Config::new(data_dir);
        config.bind = SocketAddr::new(ip, port);
        // Never demo accounts with known passwords on someone's laptop.
        config.profile = Profile::Production;
        // Colleagues on the LAN get HTTPS with the server's own identity and find it by mDNS;
        // the app's window reaches it through the pinned transport, pinned to that identity.
        // Only this computer: plain HTTP on loopback, announced nowhere.
        config.tls.mode = if lan {
            server_core::TlsMode::On
        } else {
            server_core::TlsMode::Off
        };
        config.discovery.enabled = lan && !self.unannounced;
        let server = Server::start(config).await.map_err(|e| match e {
            server_core::Error::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
                Error::PortInUse { port }
            }
            other => Error::HostStart(other.to_string()),
        })?;
        let setup_code = server.setup_code().map(str::to_owned);
        let running = Running {
            server,
            lan,
            setup_code,
        };
        let status = status_of(&running);
        tracing::info!(port = status.port, lan, "built-in server started");
        *state = Some(running);
        self.running.store(true, Ordering::SeqCst);
        Ok(status)
    }

    /// Stops the server gracefully (every acknowledged message is on disk when this returns).
    pub async fn stop(&self) {
        let mut state = self.state.lock().await;
        if let Some(running) = state.take() {
            self.running.store(false, Ordering::SeqCst);
            shut_down(running).await;
        }
    }

    /// Whether the built-in server runs, without waiting for a start or stop in progress.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// The people (user ids) connected to the built-in server right now; none when it is not
    /// running.
    pub async fn connected_people(&self) -> Vec<i64> {
        self.state
            .lock()
            .await
            .as_ref()
            .map(|running| running.server.connected_people())
            .unwrap_or_default()
    }

    /// Makes the account `token` signs in to the built-in server's first administrator, if
    /// the server has none: whoever hosts the chat administers it. One claim per start; a
    /// server with an administrator already refuses it, and nothing changes.
    pub async fn make_admin(&self, token: &str) -> Result<Option<Claim>> {
        let (url, fingerprint, code) = {
            let mut state = self.state.lock().await;
            let Some(running) = state.as_mut() else {
                return Ok(None);
            };
            let Some(code) = running.setup_code.take() else {
                return Ok(None);
            };
            let status = status_of(running);
            (status.local_url.unwrap_or_default(), status.fingerprint, code)
        };
        let claim = remote::claim_admin(&url, fingerprint.as_deref(), token, &code).await;
        if claim.is_err() {
            // Not answered (the server stopping?): the next sign-in tries again.
            if let Some(running) = self.state.lock().await.as_mut() {
                running.setup_code.get_or_insert(code);
            }
        }
        claim.map(Some)
    }

    pub async fn status(&self) -> HostStatus {
        self.state
            .lock()
            .await
            .as_ref()
            .map(status_of)
            .unwrap_or_default()
    }
}

async fn shut_down(running: Running) {
    if let Err(e) = running.server.shutdown().await {
        tracing::error!(error = %e, "the built-in server did not stop cleanly");
    }
}

fn status_of(running: &Running) -> HostStatus {
    let port = running.server.local_addr().port();
    let lan_urls = if running.lan {
        running.server.urls().into_iter().skip(1).collect()
    } else {
        Vec::new()
    };
    let fingerprint = running.server.tls_fingerprint().map(str::to_owned);
    let scheme = if fingerprint.is_some() { "https" } else { "http" };
    HostStatus {
        running: true,
        port: Some(port),
        lan: running.lan,
        local_url: Some(format!("{scheme}://127.0.0.1:{port}")),
        lan_urls,
        fingerprint_readable: fingerprint.as_deref().map(crate::pins::readable),
        fingerprint,
        server_id: Some(running.server.server_id().to_owned()),
    }
}
