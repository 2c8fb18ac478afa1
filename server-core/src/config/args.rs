//! `confab-server`'s command line: the [`Args`] (each with its `CONFAB_*` environment
//! variable), its subcommands, and the [`Config`] they describe.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand};

// The command line names every default and type of the config it builds.
use super::*;
use crate::time::Clock;

/// `confab-server`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "confab-server",
    version,
    about = "Confab team chat server for your LAN"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address and port to listen on.
    #[arg(
        long,
        env = "CONFAB_BIND",
        value_name = "ADDR:PORT",
        conflicts_with = "lan",
        global = true
    )]
    pub bind: Option<SocketAddr>,

    /// Let colleagues on the LAN connect: shortcut for `--bind 0.0.0.0:8080`.
    #[arg(long, env = "CONFAB_LAN", global = true)]
    pub lan: bool,

    /// Folder for the database, uploaded files and logs; created if missing.
    #[arg(
        long,
        env = "CONFAB_DATA_DIR",
        value_name = "DIR",
        default_value = "confab-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Where to keep accounts, rooms and messages: sqlite://PATH (default: confab.db in the
    /// data dir) or postgres://USER:PASSWORD@HOST/DATABASE, for several servers sharing one
    /// database. Uploads and logs stay in --data-dir either way.
    #[arg(
        long,
        env = "CONFAB_DATABASE_URL",
        value_name = "URL",
        value_parser = database::DatabaseParser,
        // The URL may hold a password: --help must not print the environment's value.
        hide_env_values = true,
        global = true
    )]
    pub database: Option<Database>,

    /// Which defaults to run with.
    #[arg(long, env = "CONFAB_PROFILE", value_enum, default_value_t = Profile::Production, global = true)]
    pub profile: Profile,

    /// Largest file people may upload, in megabytes.
    #[arg(
        long,
        env = "CONFAB_MAX_UPLOAD_MB",
        value_name = "MB",
        default_value_t = DEFAULT_MAX_UPLOAD_MB,
        value_parser = clap::value_parser!(u64).range(1..=1024),
        global = true
    )]
    pub max_upload_mb: u64,

    /// Who may create an account: anyone (open), people with an invite (invite), or only
    /// administrators (closed). A first-start default: the administrators' setting wins.
    #[arg(long, env = "CONFAB_REGISTRATION", value_enum, default_value_t = RegistrationPolicy::Open, global = true)]
    pub registration: RegistrationPolicy,

    /// The server's name on the sign-in page, until an administrator changes it.
    #[arg(long, env = "CONFAB_SERVER_NAME", default_value = DEFAULT_SERVER_NAME, global = true)]
    pub server_name: String,

    /// Delete messages and their files after this many days (0 keeps everything).
    #[arg(
        long,
        env = "CONFAB_RETENTION_DAYS",
        value_name = "DAYS",
        default_value_t = DEFAULT_RETENTION_DAYS,
        global = true
    )]
    pub retention_days: u32,

    /// HTTPS: on, off (e.g. behind a reverse proxy with a real certificate), or auto (on
    /// whenever listening on an address other than loopback).
    #[arg(long, env = "CONFAB_TLS", value_enum, default_value_t = TlsMode::Auto, help_heading = "TLS and discovery", global = true)]
    pub tls: TlsMode,

    /// Your own PEM certificate chain (leaf first) instead of the generated self-signed one.
    #[arg(
        long,
        env = "CONFAB_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key",
        help_heading = "TLS and discovery",
        global = true
    )]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(
        long,
        env = "CONFAB_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert",
        help_heading = "TLS and discovery",
        global = true
    )]
    pub tls_key: Option<PathBuf>,

    /// Also listen for plain HTTP on this port, only to redirect to HTTPS.
    #[arg(
        long,
        env = "CONFAB_HTTP_REDIRECT_PORT",
        value_name = "PORT",
        help_heading = "TLS and discovery",
        global = true
    )]
    pub http_redirect_port: Option<u16>,

    /// Do not announce the server on the LAN (mDNS).
    #[arg(
        long,
        env = "CONFAB_NO_DISCOVERY",
        help_heading = "TLS and discovery",
        global = true
    )]
    pub no_discovery: bool,

    /// Announce on exactly these network interfaces (virtual ones included), instead of every
    /// physical one.
    #[arg(
        long,
        env = "CONFAB_DISCOVERY_INTERFACES",
        value_name = "NAME,…",
        value_delimiter = ',',
        help_heading = "TLS and discovery",
        global = true
    )]
    pub discovery_interfaces: Vec<String>,

    /// Most connections (HTTP and WebSocket) open at once; more are refused at once.
    #[arg(
        long,
        env = "CONFAB_MAX_CONNECTIONS",
        value_name = "N",
        default_value_t = DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..),
        global = true
    )]
    pub max_connections: usize,

    /// Most connections open at once from one client address (0: no per-address cap).
    #[arg(
        long,
        env = "CONFAB_MAX_CONNECTIONS_PER_ADDRESS",
        value_name = "N",
        default_value_t = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        global = true
    )]
    pub max_connections_per_address: usize,

    /// `off` switches off the per-user and per-address rate limits, the registration limit,
    /// the rooms-per-day cap and the upload quota, for load tests and test suites.
    #[arg(
        long,
        env = "CONFAB_RATE_LIMITS",
        value_name = "on|off",
        default_value = "on",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        help_heading = "Limits",
        global = true
    )]
    pub rate_limits: bool,

    /// Messages and uploads per user: BURST/PERIOD (REST and WebSocket together).
    #[arg(long, env = "CONFAB_MESSAGE_RATE", value_name = "N/PERIOD", default_value = "30/30s",
          value_parser = parse_rate, help_heading = "Limits", global = true)]
    pub message_rate: Rate,

    /// Edits and deletes per user: BURST/PERIOD.
    #[arg(long, env = "CONFAB_EDIT_RATE", value_name = "N/PERIOD", default_value = "30/1m",
          value_parser = parse_rate, help_heading = "Limits", global = true)]
    pub edit_rate: Rate,

    /// Reactions per user: BURST/PERIOD.
    #[arg(long, env = "CONFAB_REACTION_RATE", value_name = "N/PERIOD", default_value = "60/1m",
          value_parser = parse_rate, help_heading = "Limits", global = true)]
    pub reaction_rate: Rate,

    /// Typing notifications per user: BURST/PERIOD.
    #[arg(long, env = "CONFAB_TYPING_RATE", value_name = "N/PERIOD", default_value = "30/30s",
          value_parser = parse_rate, help_heading = "Limits", global = true)]
    pub typing_rate: Rate,

    /// Registrations per client address (IPv6: per /64): BURST/PERIOD.
    #[arg(long, env = "CONFAB_REGISTRATION_RATE", value_name = "N/PERIOD", default_value = "20/1h",
          value_parser = parse_rate, help_heading = "Limits", global = true)]
    pub registration_rate: Rate,

    /// Rooms one user may create in any 24 hours.
    #[arg(long, env = "CONFAB_ROOMS_PER_DAY", value_name = "N", default_value_t = DEFAULT_ROOMS_PER_DAY,
          help_heading = "Limits", global = true)]
    pub rooms_per_day: u32,

    /// Live sockets per user; one more closes the oldest (close code 4429).
    #[arg(long, env = "CONFAB_SOCKETS_PER_USER", value_name = "N", default_value_t = DEFAULT_SOCKETS_PER_USER,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from),
          help_heading = "Limits", global = true)]
    pub sockets_per_user: usize,

    /// Megabytes one user may upload in any 24 hours (0: no quota).
    #[arg(long, env = "CONFAB_UPLOAD_QUOTA_MB", value_name = "MB", default_value_t = DEFAULT_UPLOAD_QUOTA_MB,
          help_heading = "Limits", global = true)]
    pub upload_quota_mb: u64,

    /// Refuse uploads while the uploads folder's disk has less free space than this (0: never).
    #[arg(long, env = "CONFAB_MIN_FREE_DISK_MB", value_name = "MB", default_value_t = DEFAULT_MIN_FREE_DISK_MB,
          help_heading = "Limits", global = true)]
    pub min_free_disk_mb: u64,

    /// Milliseconds between a cluster node's heartbeats (a node silent for three is taken for
    /// dead). A tuning knob kept out of `--help`: the process-level cluster tests shorten it so
    /// a killed or frozen node's users go offline within seconds.
    #[arg(long, env = "CONFAB_CLUSTER_HEARTBEAT_MS", value_name = "MS", default_value_t = DEFAULT_HEARTBEAT_MS,
          value_parser = clap::value_parser!(u64).range(50..), hide = true, global = true)]
    pub cluster_heartbeat_ms: u64,
}

/// What `confab-server` does besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Remove, now, the messages, files and logs the retention rules say are expired.
    Cleanup {
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Exit 0 if the server configured by these flags answers its health check (for container
    /// and service-manager health checks).
    Health,
    /// Write one archive of the whole server (database snapshot, uploads, avatars) to FILE,
    /// whether the server is running or not.
    Backup {
        /// Where to write the archive (a .tar file).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore an archive made by `backup` into --data-dir, which must be empty or missing.
    Restore {
        /// The archive.
        file: PathBuf,
    },
    /// Print the OpenAPI document of the REST API (what `/api/openapi.json` serves), from a
    /// throwaway server in a temporary data dir; `docs/openapi.json` is this output.
    Openapi,
    /// Print the AsyncAPI document of the WebSocket protocol (what `/api/asyncapi.json`
    /// serves); `docs/asyncapi.json` is this output.
    Asyncapi,
    /// Copy an office's data from its SQLite database into an empty PostgreSQL database, every
    /// table in one transaction, then compare each table's row count. Stop the server first.
    Migrate {
        /// The SQLite database to read: sqlite://PATH (e.g. sqlite:///srv/confab/confab.db).
        #[arg(long, value_name = "URL", value_parser = database::DatabaseParser)]
        from: Database,
        /// The PostgreSQL database to fill: postgres://USER:PASSWORD@HOST/DATABASE. It must
        /// hold no data yet; its migrations are applied first.
        #[arg(long, value_name = "URL", value_parser = database::DatabaseParser)]
        to: Database,
    },
    /// Manage accounts on this data dir, whether the server is running or not.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

/// `confab-server admin …`: changes take effect at once on a running server.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// List every account with its role and status.
    List,
    /// Create an account and print its one-time password (it must be changed at first sign-in).
    CreateUser {
        name: String,
        /// Make it a server administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Sign an account out everywhere and print a one-time password that must be changed at
    /// the next sign-in.
    ResetPassword { name: String },
    /// Make an account a server administrator.
    Promote { name: String },
    /// Take the administrator role from an account (never from the last one).
    Demote { name: String },
}

impl Args {
    /// The server config these arguments describe.
    pub fn config(&self) -> Config {
        let bind = match (self.bind, self.lan) {
            (Some(addr), _) => addr,
            (None, true) => LAN_BIND,
            (None, false) => DEFAULT_BIND,
        };
        Config {
            bind,
            data_dir: self.data_dir.clone(),
            database: self.database.clone(),
            profile: self.profile,
            timing: Timing {
                heartbeat: Duration::from_millis(self.cluster_heartbeat_ms),
                ..Timing::default()
            },
            connections: ConnectionLimits {
                max_total: self.max_connections,
                max_per_address: self.max_connections_per_address,
                ..ConnectionLimits::default()
            },
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            retention_days: self.retention_days,
            registration: self.registration,
            server_name: self.server_name.clone(),
            limits: Limits {
                rate_limits: self.rate_limits,
                messages: self.message_rate,
                edits: self.edit_rate,
                reactions: self.reaction_rate,
                typing: self.typing_rate,
                registrations: self.registration_rate,
                rooms_per_day: self.rooms_per_day,
                sockets_per_user: self.sockets_per_user,
                upload_bytes_per_day: self.upload_quota_mb * MB,
                min_free_disk_bytes: self.min_free_disk_mb * MB,
            },
            tls: TlsSettings {
                mode: self.tls,
                cert: self.tls_cert.clone(),
                key: self.tls_key.clone(),
                redirect_port: self.http_redirect_port,
            },
            discovery: DiscoverySettings {
                enabled: !self.no_discovery,
                interfaces: self.discovery_interfaces.clone(),
            },
            clock: Clock::system(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("confab-server").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_to_loopback_production() {
        let config = parse(&[]).unwrap().config();
        assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.profile, Profile::Production);
    }

    #[test]
    fn lan_binds_all_interfaces() {
        let config = parse(&["--lan"]).unwrap().config();
        assert_eq!(config.bind, "0.0.0.0:8080".parse().unwrap());
    }

    #[test]
    fn lan_and_bind_conflict() {
        assert!(parse(&["--lan", "--bind", "127.0.0.1:9000"]).is_err());
    }

    #[test]
    fn upload_limit_and_retention() {
        let config = parse(&["--max-upload-mb", "25", "--retention-days", "0"])
            .unwrap()
            .config();
        assert_eq!(config.max_upload_bytes, 25 * 1024 * 1024);
        assert_eq!(config.retention_days, 0);
        assert_eq!(parse(&[]).unwrap().config().max_upload_bytes, 10 * 1024 * 1024);
        assert!(parse(&["--max-upload-mb", "0"]).is_err());
    }

    #[test]
    fn connection_caps() {
        let config = parse(&[]).unwrap().config();
        assert_eq!(config.connections, ConnectionLimits::default());
        let config = parse(&["--max-connections", "500", "--max-connections-per-address", "0"])
            .unwrap()
            .config();
        assert_eq!(config.connections.max_total, 500);
        assert_eq!(config.connections.max_per_address, 0);
        assert!(parse(&["--max-connections", "0"]).is_err());
    }

    #[test]
    fn cleanup_subcommand_takes_global_flags() {
        let args = parse(&["cleanup", "--dry-run", "--data-dir", "/srv/confab"]).unwrap();
        assert!(matches!(args.command, Some(Command::Cleanup { dry_run: true })));
        assert_eq!(args.data_dir, PathBuf::from("/srv/confab"));
    }

    #[test]
    fn limits_default_on_and_parse() {
        let limits = parse(&[]).unwrap().config().limits;
        assert!(limits.rate_limits);
        assert_eq!(limits.messages, DEFAULT_MESSAGE_RATE);
        assert_eq!(limits.registrations, DEFAULT_REGISTRATION_RATE);
        assert_eq!(limits.edits, DEFAULT_EDIT_RATE);
        assert_eq!(limits.reactions, DEFAULT_REACTION_RATE);
        assert_eq!(limits.typing, DEFAULT_TYPING_RATE);
        assert_eq!(limits.sockets_per_user, 10);
        assert_eq!(limits.upload_bytes_per_day, 500 * MB);
        assert_eq!(limits.min_free_disk_bytes, 512 * MB);
        // The flags' defaults are the embedder's defaults.
        let embedded = Limits::default();
        assert_eq!(
            (
                embedded.messages,
                embedded.rooms_per_day,
                embedded.sockets_per_user
            ),
            (limits.messages, limits.rooms_per_day, limits.sockets_per_user)
        );

        let limits = parse(&[
            "--rate-limits",
            "off",
            "--message-rate",
            "5/10s",
            "--registration-rate",
            "3/h",
            "--sockets-per-user",
            "2",
            "--upload-quota-mb",
            "0",
        ])
        .unwrap()
        .config()
        .limits;
        assert!(!limits.rate_limits);
        assert_eq!(limits.messages, Rate::new(5, Duration::from_secs(10)));
        assert_eq!(limits.registrations, Rate::new(3, Duration::from_secs(3600)));
        assert_eq!(limits.sockets_per_user, 2);
        assert_eq!(limits.upload_bytes_per_day, 0);
        assert!(parse(&["--sockets-per-user", "0"]).is_err());
        assert!(parse(&["--rate-limits", "maybe"]).is_err());
    }

    #[test]
    fn rates_parse_with_units() {
        assert_eq!(parse_rate("30/30s"), Ok(Rate::new(30, Duration::from_secs(30))));
        assert_eq!(parse_rate("30/1m"), Ok(Rate::new(30, Duration::from_secs(60))));
        assert_eq!(parse_rate("60/min"), Ok(Rate::new(60, Duration::from_secs(60))));
        assert_eq!(
            parse_rate(" 20/2h "),
            Ok(Rate::new(20, Duration::from_secs(7200)))
        );
        for bad in ["30", "0/1m", "5/0s", "5/1d", "x/1m", "5/m1", ""] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_rate(&DEFAULT_MESSAGE_RATE.to_string()),
            Ok(DEFAULT_MESSAGE_RATE)
        );
    }

    #[test]
    fn tls_and_discovery_flags() {
        let config = parse(&[]).unwrap().config();
        assert_eq!(config.tls, TlsSettings::default());
        assert_eq!(config.discovery, DiscoverySettings::default());
        let config = parse(&[
            "--tls",
            "on",
            "--tls-cert",
            "/etc/c.pem",
            "--tls-key",
            "/etc/k.pem",
            "--http-redirect-port",
            "8081",
            "--no-discovery",
            "--discovery-interfaces",
            "eth0,wg0",
        ])
        .unwrap()
        .config();
        assert_eq!(config.tls.mode, TlsMode::On);
        assert_eq!(config.tls.cert, Some(PathBuf::from("/etc/c.pem")));
        assert_eq!(config.tls.redirect_port, Some(8081));
        assert!(!config.discovery.enabled);
        assert_eq!(config.discovery.interfaces, ["eth0", "wg0"]);
        // A certificate without its key (or the reverse) is a mistake, not a default.
        assert!(parse(&["--tls-cert", "/etc/c.pem"]).is_err());
        assert!(parse(&["--tls", "maybe"]).is_err());
    }

    #[test]
    fn database_defaults_to_the_data_dirs_file() {
        let config = parse(&["--data-dir", "/srv/confab"]).unwrap().config();
        assert_eq!(
            config.database(),
            Database::Sqlite(PathBuf::from("/srv/confab/confab.db"))
        );
        let config = parse(&["--database", "sqlite:///var/db/office.db"])
            .unwrap()
            .config();
        assert_eq!(
            config.database(),
            Database::Sqlite(PathBuf::from("/var/db/office.db"))
        );
        let url = "postgres://confab:s3cret@db.internal/confab";
        let config = parse(&["--database", url]).unwrap().config();
        assert_eq!(config.database(), Database::Postgres(url.to_owned()));
        assert!(
            !format!("{config:?}").contains("s3cret"),
            "Debug hides the password"
        );
    }

    #[test]
    fn a_bad_database_url_is_refused_without_its_password() {
        let error = parse(&["--database", "mysql://root:s3cret@db/confab"]).unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("--database"), "{shown}");
        assert!(shown.contains("mysql://root:***@db/confab"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(parse(&["--database", "confab.db"]).is_err());
    }

    #[test]
    fn migrate_takes_both_databases() {
        let args = parse(&[
            "migrate",
            "--from",
            "sqlite:///srv/confab/confab.db",
            "--to",
            "postgresql://confab@db/confab",
        ])
        .unwrap();
        let Some(Command::Migrate { from, to }) = args.command else {
            panic!("not a migrate command: {:?}", args.command);
        };
        assert_eq!(from, Database::Sqlite("/srv/confab/confab.db".into()));
        assert_eq!(to, Database::Postgres("postgresql://confab@db/confab".into()));
        assert!(
            parse(&["migrate", "--from", "sqlite://a.db"]).is_err(),
            "--to is needed"
        );
        let error = parse(&["migrate", "--from", "sqlite://a.db", "--to", "pg://u:s3cret@h/d"])
            .unwrap_err()
            .to_string();
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn profile_and_data_dir_parse() {
        let args = parse(&["--profile", "development", "--data-dir", "/tmp/x"]).unwrap();
        assert_eq!(args.profile, Profile::Development);
        assert_eq!(args.config().database_path(), PathBuf::from("/tmp/x/confab.db"));
    }

    #[test]
    fn the_cluster_heartbeat_is_five_seconds_unless_tuned() {
        let beat = |args: &[&str]| parse(args).unwrap().config().timing.heartbeat;
        assert_eq!(beat(&[]), Duration::from_secs(5));
        assert_eq!(
            beat(&["--cluster-heartbeat-ms", "300"]),
            Duration::from_millis(300)
        );
        assert!(parse(&["--cluster-heartbeat-ms", "0"]).is_err());
    }
}
