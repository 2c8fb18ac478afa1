//! `confab-server`: the standalone Confab server for an office LAN. Parses the command line,
//! starts the library's server, prints where to reach it, and shuts down cleanly on
//! Ctrl-C / SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use server_core::{Args, Server};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = args.config();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(config.profile.default_log_filter()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let server = match Server::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("confab-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Confab {} is running. Open it at:", server_core::VERSION);
    for url in server.urls() {
        println!("  {url}");
    }
    println!("Press Ctrl-C to stop.");

    wait_for_signal().await;
    eprintln!("confab-server: shutting down…");
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-server: shutdown failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
