//! The benchmark's one error type. A benchmark that cannot set up (no server binary, a refused
//! registration, a socket that never gets `ready`) stops with one of these; problems *during*
//! a measured run are counted in the report instead, because they are results.

use std::io;

/// Everything that can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("SQLite: {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("Confab server: {0}")]
    Server(#[from] server_core::Error),
    /// The server under test answered something the protocol does not allow here.
    #[error("{0}")]
    Protocol(String),
    /// Starting, finding or stopping a server failed.
    #[error("{0}")]
    Setup(String),
    /// Something took longer than the benchmark is prepared to wait.
    #[error("timed out: {0}")]
    Timeout(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::Protocol(message.into())
    }

    pub fn setup(message: impl Into<String>) -> Error {
        Error::Setup(message.into())
    }
}
