//! `confab-bench`: parses the command line, pins itself to its core before any runtime thread
//! exists, raises its open-file limit, runs the scenario and prints the reports (tables, or
//! JSON with `--json`). `confab-bench ceiling-server` runs the ceiling server instead.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use confab_bench::cli::{Cli, Command};
use confab_bench::scenario::Env;
use confab_bench::{ceiling, system};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::CeilingServer(args) = &cli.command {
        return ceiling_server(args.bind);
    }
    if !cli.common.in_process {
        if let Some(core) = cli.common.client_core.0 {
            if let Err(e) = system::pin_current_thread(core) {
                eprintln!("confab-bench: cannot pin to core {core}: {e}");
            }
        }
    }
    let _ = system::raise_open_file_limit();
    // One thread: the simulated clients share the tool's one core, and a single-threaded
    // runtime wastes none of it on synchronisation between workers.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("confab-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let command_line = std::env::args().collect::<Vec<_>>().join(" ");
    let result = runtime.block_on(async {
        let env = Env::new(cli.common.clone(), command_line)?;
        confab_bench::run(&cli.command, &env).await
    });
    let reports = match result {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("confab-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = serde_json::to_string_pretty(&reports).unwrap_or_default();
    if let Some(path) = &cli.common.json_out {
        if let Err(e) = std::fs::write(path, &json) {
            eprintln!("confab-bench: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let mut stdout = std::io::stdout().lock();
    if cli.common.json {
        let _ = writeln!(stdout, "{json}");
    } else {
        for report in &reports {
            let _ = writeln!(stdout, "{}", report.table());
        }
    }
    ExitCode::SUCCESS
}

/// Serves the ceiling server until SIGTERM or Ctrl-C, printing its URL first (the tool reads it).
fn ceiling_server(bind: std::net::SocketAddr) -> ExitCode {
    // Like `#[tokio::main]` in confab-server: a multi-threaded runtime with a worker per core it
    // may use (one, when pinned).
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ceiling-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = system::raise_open_file_limit();
    runtime.block_on(async {
        let server = match ceiling::RunningCeiling::start(bind).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("ceiling-server: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("ceiling server listening on http://{}/", server.addr);
        let _ = std::io::stdout().flush();
        wait_for_signal().await;
        server.stop().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
