//! `confab-server`: the standalone Confab server for an office LAN. Parses the command line,
//! sets up logging (terminal and daily files under `<data-dir>/logs/`), then either serves —
//! printing where to reach it and shutting down cleanly on Ctrl-C / SIGTERM — or runs a
//! one-off command such as `cleanup`.

use std::process::ExitCode;

use clap::Parser;
use server_core::{Args, Command, Config, Server};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = args.config();
    let _log_guard = init_logging(&config);
    let result = match args.command {
        Some(Command::Cleanup { dry_run }) => cleanup(&config, dry_run).await,
        None => serve(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr and to a daily file in the data dir (kept 30 days by the retention job).
/// Without a writable data dir, logs go to stderr only.
fn init_logging(config: &Config) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(config.profile.default_log_filter()))
    };
    let terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = std::fs::create_dir_all(config.logs_dir()).ok().and_then(|()| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("confab-server")
            .filename_suffix("log")
            .build(config.logs_dir())
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            tracing_subscriber::registry().with(terminal).with(file).init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry().with(terminal).init();
            None
        }
    }
}

async fn serve(config: Config) -> server_core::Result<()> {
    let server = Server::start(config).await?;
    println!("Confab {} is running. Open it at:", server_core::VERSION);
    for url in server.urls() {
        println!("  {url}");
    }
    println!("Press Ctrl-C to stop.");
    wait_for_signal().await;
    eprintln!("confab-server: shutting down…");
    server.shutdown().await
}

async fn cleanup(config: &Config, dry_run: bool) -> server_core::Result<()> {
    let report = server_core::cleanup(config, dry_run).await?;
    if dry_run {
        println!("A cleanup now would remove {report}.");
    } else {
        println!("Removed {report}.");
    }
    if config.retention_days == 0 {
        println!("Messages are kept forever (--retention-days 0).");
    }
    Ok(())
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
