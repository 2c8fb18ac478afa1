//! `confab-server`: the standalone Confab server for an office LAN. Parses the command line,
//! sets up logging (terminal and daily files under `<data-dir>/logs/`), then either serves —
//! printing where to reach it and shutting down cleanly on Ctrl-C / SIGTERM — or runs a
//! one-off command such as `cleanup` or `admin`.

use std::process::ExitCode;

use clap::Parser;
use server_core::{Args, Command, Config, Database, Server};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> ExitCode {
    keep_large_allocations_separate();
    server_core::raise_open_file_limit();
    let args = Args::parse();
    let config = args.config();
    // A health check only reads an answer: it must not create the data dir or its log files
    // (it often runs as another user, or in a read-only container).
    // Nor may a restore, whose data dir must still be empty when it starts.
    let _log_guard = match args.command {
        // A migration reads one database and writes another: it makes no data dir either.
        Some(
            Command::Health
            | Command::Restore { .. }
            | Command::Openapi
            | Command::Asyncapi
            | Command::Migrate { .. },
        ) => None,
        _ => init_logging(&config),
    };
    let result = match args.command {
        Some(Command::Cleanup { dry_run }) => cleanup(&config, dry_run).await,
        Some(Command::Health) => health(&config),
        Some(Command::Admin { ref action }) => admin(&config, action).await,
        Some(Command::Backup { ref out }) => backup(&config, out).await,
        Some(Command::Restore { ref file }) => restore(&config, file).await,
        Some(Command::Openapi) => openapi(config).await,
        Some(Command::Migrate { ref from, ref to }) => migrate(from, to).await,
        Some(Command::Asyncapi) => {
            print!("{}", server_core::asyncapi());
            Ok(())
        }
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

/// Large allocations (an argon2 hash's 19 MiB, a decoded photo) always get a mapping of their
/// own, returned to the system when freed. glibc otherwise raises this threshold after the first
/// such free and serves later ones from its arenas, which keep the memory: 200 logins at once
/// left the server 120 MiB larger for good (`confab-bench storm`).
fn keep_large_allocations_separate() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Logs to stderr and to a daily file in the data dir (kept 30 days by the retention job).
/// Without a writable data dir, logs go to stderr only. Neither ever gets a token, password or
/// password hash, whatever `RUST_LOG` asks for (see [`server_core::log_filter`]).
fn init_logging(config: &Config) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let default = config.profile.default_log_filter();
    let terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(server_core::log_filter(default));
    let file = config
        .create_data_dir()
        .and_then(|()| std::fs::create_dir_all(config.logs_dir()))
        .ok()
        .and_then(|()| {
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
                .with_filter(server_core::log_filter(default));
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
    // Listen for signals before anything else: a SIGTERM that arrives while the server starts
    // must still mean "shut down cleanly", not the default "die".
    let signals = Signals::listen()?;
    let server = Server::start(config).await?;
    // A closed stdout (a supervisor that stopped listening) must not take the server down, so
    // write errors are ignored rather than `println!`'s panic.
    let mut banner = format!("Confab {} is running. Open it at:\n", server_core::VERSION);
    for url in server.urls() {
        banner.push_str(&format!("  {url}\n"));
    }
    if let Some(fingerprint) = server.tls_fingerprint() {
        banner.push_str(&format!(
            "\nIts certificate's SHA-256 fingerprint (compare it in the browser's certificate viewer\nbefore accepting the warning):\n  {fingerprint}\n"
        ));
    }
    if let Some(addr) = server.redirect_addr() {
        banner.push_str(&format!(
            "Plain HTTP on port {} redirects to HTTPS.\n",
            addr.port()
        ));
    }
    if let Some(url) = server.setup_url() {
        banner.push_str(&format!(
            "\nThis server has no administrator yet. Open this one-time link to create the first\nadministrator account (or to make your signed-in account one):\n  {url}\n\n"
        ));
    }
    banner.push_str("Press Ctrl-C to stop.\n");
    let mut stdout = std::io::stdout();
    let _ = std::io::Write::write_all(&mut stdout, banner.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout));
    signals.wait().await;
    eprintln!("confab-server: shutting down…");
    server.shutdown().await
}

async fn openapi(mut config: Config) -> server_core::Result<()> {
    let dir = tempfile::tempdir()?;
    config.data_dir = dir.path().to_path_buf();
    config.bind = ([127, 0, 0, 1], 0).into();
    let server = Server::start(config).await?;
    let document = server.openapi();
    server.shutdown().await?;
    print!("{document}");
    Ok(())
}

async fn admin(config: &Config, action: &server_core::AdminAction) -> server_core::Result<()> {
    let report = server_core::admin_command(config, action).await?;
    print!("{report}");
    Ok(())
}

async fn backup(config: &Config, out: &std::path::Path) -> server_core::Result<()> {
    let done = server_core::backup::backup_to_file(config, out, |p| {
        // One line, rewritten: files and megabytes so far.
        eprint!("\rbacking up: {} files, {:.1} MB", p.files, p.bytes as f64 / 1e6);
    })
    .await?;
    eprintln!();
    println!(
        "Wrote {} ({} files, {:.1} MB).",
        out.display(),
        done.files,
        done.bytes as f64 / 1e6
    );
    Ok(())
}

async fn restore(config: &Config, file: &std::path::Path) -> server_core::Result<()> {
    let files = server_core::backup::restore(file, &config.data_dir).await?;
    println!(
        "Restored {files} files into {}. Start the server with --data-dir {0}.",
        config.data_dir.display()
    );
    Ok(())
}

/// Copies, printing each table's progress on one rewritten line, then the counts compared.
async fn migrate(from: &Database, to: &Database) -> server_core::Result<()> {
    eprintln!("Copying {from} into {to} (one transaction: nothing is kept if anything fails)…");
    let report = server_core::migrate(from, to, &mut |table, rows| {
        eprint!("\r\x1b[Kcopying {table}: {rows} rows");
    })
    .await;
    eprintln!();
    let report = report?;
    println!(
        "{:<20} {:>14} {:>18}",
        "table", "rows in SQLite", "rows in PostgreSQL"
    );
    for count in &report.tables {
        println!("{:<20} {:>14} {:>18}", count.table, count.sqlite, count.postgres);
    }
    println!(
        "Every table's count matches; {} messages are searchable.\n\
         Uploads and avatars stay in the data dir: give every server the same one.\n\
         Start the servers with --database {to}.",
        report.searchable
    );
    Ok(())
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

/// Asks `GET /api/health` of the server these flags describe (on loopback when it listens on
/// every interface). A few lines of HTTP/1.0, so container images need no curl; over TLS
/// pinned to the server's own certificate (read from the data dir or `--tls-cert`) when the
/// server speaks HTTPS.
fn health(config: &Config) -> server_core::Result<()> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
    let ip = match config.bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, config.bind.port());
    let timeout = std::time::Duration::from_secs(3);
    let unhealthy = |why: String| server_core::Error::Internal(format!("{addr} is not healthy: {why}"));
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| unhealthy(e.to_string()))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| unhealthy(e.to_string()))?;
    let request = format!("GET /api/health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut answer = String::new();
    if config.tls.enabled_for(config.bind) {
        let cert = config
            .tls
            .cert
            .clone()
            .unwrap_or_else(|| config.data_dir.join(server_core::tls::identity::CERT_FILE));
        let fingerprint = server_core::tls::identity::fingerprint_of_file(&cert)?;
        let tls = std::sync::Arc::new(server_core::tls::pin::pinned_client_config(&fingerprint));
        let name = rustls::pki_types::ServerName::IpAddress(ip.into());
        let connection = rustls::ClientConnection::new(tls, name).map_err(|e| unhealthy(e.to_string()))?;
        let mut stream = rustls::StreamOwned::new(connection, stream);
        exchange(&mut stream, &request, &mut answer).map_err(|e| unhealthy(e.to_string()))?;
    } else {
        exchange(&mut stream, &request, &mut answer).map_err(|e| unhealthy(e.to_string()))?;
    }
    let status_ok = answer.split_whitespace().nth(1) == Some("200");
    if status_ok && answer.contains("\"status\":\"ok\"") {
        println!("ok");
        Ok(())
    } else {
        Err(unhealthy(answer.lines().next().unwrap_or("no answer").to_owned()))
    }
}

/// Sends `request` and reads the whole answer (HTTP/1.0: the server closes after it).
fn exchange(
    stream: &mut (impl std::io::Read + std::io::Write),
    request: &str,
    answer: &mut String,
) -> std::io::Result<()> {
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    match stream.read_to_string(answer) {
        // A TLS peer that closes without close_notify after a complete answer is still an answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Ctrl-C and (on Unix) SIGTERM, registered as soon as this is created.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> server_core::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
