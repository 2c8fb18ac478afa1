//! The application context every handler receives: configuration, storage, the hub and the
//! services around them. Passed explicitly (warp's `with_ctx` filter, the socket task); there
//! are no globals.

use std::sync::Arc;

use tokio_util::task::TaskTracker;

use crate::blocking::BlockingPool;
use crate::chat::admin::settings::Settings;
use crate::chat::avatars::Avatars;
use crate::chat::decode_budget::DecodeBudget;
use crate::chat::{Limiter, LoginThrottle, MessageLog, Passwords, Presence, Typing};
use crate::config::Config;
use crate::fanout::Fanout;
use crate::hub::Hub;
use crate::store::{FileStore, Store};
use crate::time::Clock;

#[derive(Clone)]
pub struct AppContext {
    pub config: Arc<Config>,
    /// What administrators chose at run time (name, registration, retention, upload size).
    pub settings: Settings,
    pub clock: Clock,
    pub store: Store,
    pub files: FileStore,
    /// Decodes uploaded images, a few at a time.
    pub decoders: BlockingPool,
    /// Memory the image decodes in flight may hold together.
    pub decode_budget: DecodeBudget,
    pub avatars: Avatars,
    /// The live connections on this server: registration, presence and session control.
    pub hub: Hub,
    /// Where `chat/` publishes events (the hub today; see [`Fanout`]).
    pub fanout: Arc<dyn Fanout>,
    pub log: MessageLog,
    pub passwords: Passwords,
    pub throttle: LoginThrottle,
    /// Rate limits and quotas of users and client addresses.
    pub limits: Limiter,
    pub presence: Presence,
    pub typing: Typing,
    /// Live WebSocket connections, so shutdown can wait for them to close.
    pub sockets: TaskTracker,
    /// The server's stable id (`GET /api/info`, discovery).
    pub server_id: String,
    /// The certificate's fingerprint when serving HTTPS (`GET /api/info`).
    pub tls_fingerprint: Option<String>,
}
