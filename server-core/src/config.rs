//! Server configuration: the [`Config`] an embedder passes to `Server::start` and its parts'
//! defaults. The command line that builds one is `args.rs`; the database, LAN and limits
//! settings have a module each.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ValueEnum;

use crate::time::Clock;

mod args;
mod database;
mod lan;
mod limits;
pub use args::*;
pub use database::{Database, InvalidDatabase, redact};
pub use lan::*;
pub use limits::*;

/// Which defaults a server runs with, as in the old Flask app's `FLASK_ENV`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Demo accounts (`admin`/`admin123`, `testuser`/`test123`) on loopback, verbose logs.
    Development,
    /// No account with a known password is ever created.
    #[default]
    Production,
    /// Like development, with quieter logs; used by the test suites.
    Testing,
}

impl Profile {
    /// Whether this profile wants the demo accounts (still only on loopback addresses).
    pub fn wants_demo_accounts(self) -> bool {
        matches!(self, Profile::Development | Profile::Testing)
    }

    /// The default `tracing` filter for this profile.
    pub fn default_log_filter(self) -> &'static str {
        match self {
            Profile::Development => "info,server_core=debug",
            Profile::Production => "info",
            Profile::Testing => "warn",
        }
    }
}

/// Timers of the real-time layer. The defaults are the protocol's; tests shorten them.
#[derive(Clone, Debug)]
pub struct Timing {
    /// How long a new WebSocket may take to send its `auth` frame.
    pub auth_timeout: Duration,
    /// A socket that sends no frame for this long is closed.
    pub idle_timeout: Duration,
    /// A `typing_start` lasts this long unless renewed.
    pub typing_ttl: Duration,
    /// Presence changes are announced at most this often (the first one at once).
    pub presence_interval: Duration,
    /// A connected person whose sockets send nothing but pings for this long shows as away
    /// (unless they chose a status other than online); zero: never.
    pub away_after: Duration,
    /// How long shutdown waits for in-flight requests and sockets before dropping them.
    pub shutdown_grace: Duration,
    /// How often a node of a cluster (servers sharing a PostgreSQL database) tells the others
    /// it is alive; one silent for three of these is taken for dead and its users' sockets
    /// stop counting. Unused on SQLite.
    pub heartbeat: Duration,
    /// How often a node of a cluster compares the rooms its sockets are in with the database,
    /// to deliver messages whose hints never came. Unused on SQLite.
    pub cluster_check: Duration,
    /// A connection must send a complete request head this soon after it is accepted, and
    /// again this soon after each answer on a kept-alive connection; otherwise it is closed.
    pub head_timeout: Duration,
    /// A TLS connection must finish its handshake this soon after it is accepted.
    pub tls_handshake_timeout: Duration,
}

/// Default `Timing::heartbeat` (and hidden `--cluster-heartbeat-ms`), in milliseconds.
pub const DEFAULT_HEARTBEAT_MS: u64 = 5_000;

impl Default for Timing {
    fn default() -> Self {
        Timing {
            auth_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            typing_ttl: Duration::from_secs(6),
            presence_interval: Duration::from_secs(1),
            away_after: Duration::from_secs(10 * 60),
            shutdown_grace: Duration::from_secs(10),
            // A dead node's users show offline within 15 s; a beat is one short statement.
            heartbeat: Duration::from_millis(DEFAULT_HEARTBEAT_MS),
            // A safety net: lost hints that are noticed are repaired at once.
            cluster_check: Duration::from_secs(30),
            // A browser sends a request head in one packet, well under a second after
            // connecting even on poor Wi-Fi; Apache closes idle kept-alive connections after 5 s
            // too. Longer only lets silent connections hold file descriptors.
            head_timeout: Duration::from_secs(5),
            // A handshake is two round trips and a signature: even a phone on poor Wi-Fi takes
            // well under a second. Longer only lets silent connections hold file descriptors.
            tls_handshake_timeout: Duration::from_secs(5),
        }
    }
}

/// Caps on the TCP connections the server holds at once: plain HTTP (kept alive between
/// requests) and WebSocket alike, since each holds a file descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections at once from everyone. At start it is lowered to what the process's
    /// open-file limit leaves room for.
    pub max_total: usize,
    /// Connections at once from one client address; 0 means no per-address cap (e.g. behind a
    /// reverse proxy on another machine, where every client has the proxy's address). At start
    /// it is lowered to a quarter of `max_total`, so no one address can take every slot.
    pub max_per_address: usize,
    /// Addresses the per-address cap does not apply to: this machine's own, where a reverse
    /// proxy or the desktop app's own window connect from. They still count towards
    /// `max_total`.
    pub uncapped_addresses: Vec<IpAddr>,
}

/// Default `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16_384;
/// Default `--max-connections-per-address`.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 256;

impl Default for ConnectionLimits {
    /// An office of a few hundred people, each with a browser (up to 6 HTTP connections plus a
    /// WebSocket per tab) and the desktop app, is 2,000–6,000 connections; `confab-bench idle`
    /// holds 10,000. One address may be a NAT for a meeting room or a guest Wi-Fi: 256 is
    /// about ten people with all their tabs and devices.
    fn default() -> Self {
        ConnectionLimits {
            max_total: DEFAULT_MAX_CONNECTIONS,
            max_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            uncapped_addresses: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

/// Everything a server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (see `RunningServer::local_addr`).
    pub bind: SocketAddr,
    /// Holds the SQLite database, uploaded files and logs; created if missing.
    pub data_dir: PathBuf,
    /// Where the data lives when not in the data dir's SQLite file (see [`Config::database`]).
    pub database: Option<Database>,
    pub profile: Profile,
    pub timing: Timing,
    pub connections: ConnectionLimits,
    /// Largest uploaded file, in bytes.
    pub max_upload_bytes: u64,
    /// Messages (and their files) older than this many days are deleted; 0 keeps everything.
    pub retention_days: u32,
    /// Rate limits and quotas.
    pub limits: Limits,
    /// Who may create an account, until an administrator chooses (then the database's
    /// setting wins, as for the server name, retention and upload size).
    pub registration: RegistrationPolicy,
    /// Shown on the sign-in page and in discovery, until an administrator names the server.
    pub server_name: String,
    /// HTTPS or plain HTTP, and with which certificate.
    pub tls: TlsSettings,
    /// Announcing the server on the LAN.
    pub discovery: DiscoverySettings,
    /// The server's clock; tests shift it.
    pub clock: Clock,
}

/// Who may create an account.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    ValueEnum,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPolicy {
    /// Anyone who can reach the server.
    #[default]
    Open,
    /// Only with an invite an administrator made.
    Invite,
    /// Only administrators create accounts.
    Closed,
}

impl RegistrationPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationPolicy::Open => "open",
            RegistrationPolicy::Invite => "invite",
            RegistrationPolicy::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Option<RegistrationPolicy> {
        match value {
            "open" => Some(RegistrationPolicy::Open),
            "invite" => Some(RegistrationPolicy::Invite),
            "closed" => Some(RegistrationPolicy::Closed),
            _ => None,
        }
    }
}

/// Default `--server-name`.
pub const DEFAULT_SERVER_NAME: &str = "Confab";

/// Default `--max-upload-mb`.
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 10;
/// Default `--retention-days`, as in the old app: a week.
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
/// Log files older than this are deleted by the retention job.
pub const LOG_RETENTION_DAYS: u32 = 30;

impl Config {
    /// A production config listening on `127.0.0.1:8080` with data in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            bind: DEFAULT_BIND,
            data_dir: data_dir.into(),
            database: None,
            profile: Profile::default(),
            timing: Timing::default(),
            connections: ConnectionLimits::default(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
            retention_days: DEFAULT_RETENTION_DAYS,
            limits: Limits::default(),
            registration: RegistrationPolicy::default(),
            server_name: DEFAULT_SERVER_NAME.to_owned(),
            tls: TlsSettings::default(),
            discovery: DiscoverySettings::default(),
            clock: Clock::system(),
        }
    }

    /// Path of the SQLite database inside the data dir.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("confab.db")
    }

    /// The database the server opens: `--database`, or else the data dir's SQLite file.
    pub fn database(&self) -> Database {
        self.database
            .clone()
            .unwrap_or_else(|| Database::Sqlite(self.database_path()))
    }

    /// Folder of uploaded files inside the data dir.
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// Folder of avatar pictures inside the data dir (apart from uploads: retention never
    /// sweeps them).
    pub fn avatars_dir(&self) -> PathBuf {
        self.data_dir.join("avatars")
    }

    /// Folder of the server's log files inside the data dir.
    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Creates the data dir if it is missing, open to this user only: it holds the database
    /// (password hashes, sessions, every message), everyone's uploads and the logs. A folder that
    /// already exists keeps the permissions its owner gave it.
    ///
    /// # Errors
    /// When the folder cannot be created.
    pub fn create_data_dir(&self) -> std::io::Result<()> {
        create_private_dir(&self.data_dir)
    }
}

/// Creates `path` (and missing parents) readable and writable by this user only, on Unix; a
/// folder that already exists is left as it is.
///
/// # Errors
/// When a folder cannot be created.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Where a server listens unless told otherwise: this machine only.
const DEFAULT_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
/// Where `--lan` listens: every interface.
const LAN_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8080);
