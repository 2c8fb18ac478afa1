//! Confab's chat server as a library: accounts, rooms, messages and real-time events over
//! HTTP and WebSocket, stored in SQLite. The `confab-server` binary and the desktop app both
//! start it through [`Server::start`].

pub mod backup;
mod blocking;
mod chat;
pub mod config;
mod connections;
mod context;
pub mod discovery;
mod error;
mod events;
mod excerpt;
mod fanout;
mod http;
mod hub;
mod logging;
pub mod model;
pub mod search;
mod server;
pub mod store;
mod time;
pub mod tls;
mod ws;

pub use chat::admin::cli::run as admin_command;
pub use chat::retention::Report as CleanupReport;
pub use config::{
    AdminAction, Args, Command, Config, ConnectionLimits, DiscoverySettings, Limits, Profile, Rate,
    RegistrationPolicy, Timing, TlsMode, TlsSettings, create_private_dir,
};
pub use connections::raise_open_file_limit;
pub use error::{Error, Result};
pub use logging::log_filter;
pub use server::{RunningServer, Server, cleanup};
pub use time::Clock;
pub use ws::asyncapi::document as asyncapi;

/// The version of this build, as reported by `GET /api/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
