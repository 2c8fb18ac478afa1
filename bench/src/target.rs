//! The servers under test. Confab runs as the real `confab-server` binary (or in this process,
//! for the test suite), the ceiling server as `confab-bench ceiling-server`; either may instead
//! be a server someone else started (`--server URL`). A spawned server is pinned to its own
//! core, and its memory and CPU are read from `/proc`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::api::Api;
use crate::ceiling::RunningCeiling;
use crate::client::Dialect;
use crate::error::{Error, Result};
use crate::system::ProcSample;

/// How the benchmark gets its servers.
#[derive(Clone, Debug)]
pub struct Launch {
    /// Run Confab and the ceiling inside this process (tests; no memory or CPU figures).
    pub in_process: bool,
    /// The `confab-server` binary.
    pub server_bin: PathBuf,
    /// This tool's own binary (it runs the ceiling server).
    pub bench_bin: PathBuf,
    /// Core to pin spawned servers to.
    pub server_core: Option<usize>,
    /// An already running Confab (base URL) and, optionally, its process id.
    pub confab_url: Option<String>,
    pub confab_pid: Option<u32>,
    /// An already running ceiling server (base URL) and, optionally, its process id.
    pub ceiling_url: Option<String>,
    pub ceiling_pid: Option<u32>,
    /// Confab nodes to start, all on one database (more than one needs `postgres`).
    pub nodes: usize,
    /// Where Confab keeps its data: a fresh database on this PostgreSQL for each start, or
    /// (none) the data dir's SQLite file.
    pub postgres: Option<std::sync::Arc<crate::postgres::PgCluster>>,
}

enum Handle {
    Process(Child),
    Confab(Box<server_core::RunningServer>),
    Ceiling(RunningCeiling),
    Attached,
}

/// A running server under test.
pub struct Target {
    pub dialect: Dialect,
    /// `http://host:port`.
    pub base: String,
    /// Process to read memory and CPU from.
    pub pid: Option<u32>,
    handle: Handle,
}

impl Target {
    /// Starts Confab on `data_dir` (or attaches to `--server`).
    pub async fn confab(launch: &Launch, data_dir: &Path) -> Result<Target> {
        Target::confab_on(launch, data_dir, None).await
    }

    /// Starts Confab on `data_dir` with its data in `database` (a `postgres://` URL) when given,
    /// else in the data dir's SQLite file (or attaches to `--server`).
    pub async fn confab_on(launch: &Launch, data_dir: &Path, database: Option<&str>) -> Result<Target> {
        if let Some(url) = &launch.confab_url {
            return Ok(attached(Dialect::Confab, url, launch.confab_pid));
        }
        if launch.in_process {
            let mut config = server_core::Config::new(data_dir);
            if let Some(url) = database {
                config.database =
                    Some(server_core::Database::parse(url).map_err(|e| Error::setup(e.to_string()))?);
            }
            config.bind = "127.0.0.1:0".parse().map_err(|e| Error::setup(format!("{e}")))?;
            config.profile = server_core::Profile::Testing;
            config.retention_days = 0;
            // The scenarios send as fast as the server takes it (see docs/performance.md).
            config.limits.rate_limits = false;
            let server = server_core::Server::start(config).await?;
            return Ok(Target {
                dialect: Dialect::Confab,
                base: format!("http://{}", server.local_addr()),
                pid: None,
                handle: Handle::Confab(Box::new(server)),
            });
        }
        if !launch.server_bin.exists() {
            return Err(Error::setup(format!(
                "{} not found: build it with `cargo build --release --bin confab-server` or pass --server-bin",
                launch.server_bin.display()
            )));
        }
        std::fs::create_dir_all(data_dir)?;
        let mut command = Command::new(&launch.server_bin);
        command
            .args([
                "--bind",
                "127.0.0.1:0",
                "--profile",
                "testing",
                "--retention-days",
                "0",
                "--rate-limits",
                "off",
            ])
            .arg("--data-dir")
            .arg(data_dir);
        if let Some(url) = database {
            command.arg("--database").arg(url);
        }
        spawn(
            Dialect::Confab,
            command,
            launch.server_core,
            &data_dir.join("server.stderr"),
        )
        .await
    }

    /// Starts the ceiling server (or attaches to `--ceiling`).
    pub async fn ceiling(launch: &Launch, scratch: &Path) -> Result<Target> {
        if let Some(url) = &launch.ceiling_url {
            return Ok(attached(Dialect::Ceiling, url, launch.ceiling_pid));
        }
        if launch.in_process {
            let server = RunningCeiling::start(([127, 0, 0, 1], 0).into()).await?;
            return Ok(Target {
                dialect: Dialect::Ceiling,
                base: format!("http://{}", server.addr),
                pid: None,
                handle: Handle::Ceiling(server),
            });
        }
        let mut command = Command::new(&launch.bench_bin);
        command.args(["ceiling-server", "--bind", "127.0.0.1:0"]);
        spawn(
            Dialect::Ceiling,
            command,
            launch.server_core,
            &scratch.join("ceiling.stderr"),
        )
        .await
    }

    pub fn name(&self) -> &'static str {
        self.dialect.name()
    }

    pub fn api(&self) -> Result<Api> {
        Api::new(&self.base)
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http", "ws", 1))
    }

    /// The server process's memory and CPU now, when it can be read.
    pub fn sample(&self) -> Option<ProcSample> {
        ProcSample::read(self.pid?).ok()
    }

    /// Stops the server gracefully (SIGTERM, then waits); attached servers are left running.
    pub async fn stop(self) -> Result<()> {
        match self.handle {
            Handle::Process(mut child) => {
                if let Some(pid) = child.id() {
                    terminate(pid);
                }
                match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
                    Ok(status) => {
                        status?;
                    }
                    Err(_) => {
                        let _ = child.kill().await;
                    }
                }
            }
            Handle::Confab(server) => server.shutdown().await?,
            Handle::Ceiling(server) => server.stop().await,
            Handle::Attached => {}
        }
        Ok(())
    }
}

/// A server someone else started, at `url` (`http://host:port`), with its process id if known.
pub fn attached(dialect: Dialect, url: &str, pid: Option<u32>) -> Target {
    Target {
        dialect,
        base: url.trim_end_matches('/').to_owned(),
        pid,
        handle: Handle::Attached,
    }
}

#[cfg(unix)]
fn terminate(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill has no memory-safety preconditions; the pid is our own child's.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

#[cfg(not(unix))]
fn terminate(_pid: u32) {}

/// Spawns a server, pinned to `core`, and waits for the `http://…` line it prints on stdout.
async fn spawn(dialect: Dialect, mut command: Command, core: Option<usize>, stderr: &Path) -> Result<Target> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr)?)
        .kill_on_drop(true);
    if let Some(core) = core {
        #[cfg(target_os = "linux")]
        // SAFETY: the closure runs in the child between fork and exec and only makes the
        // async-signal-safe sched_setaffinity system call.
        unsafe {
            command.pre_exec(move || crate::system::set_affinity(0, core));
        }
    }
    let mut child = command.spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::setup("server stdout not captured"))?;
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(start) = line.find("http://") {
                return Ok(line[start..].trim().trim_end_matches('/').to_owned());
            }
        }
        Err(Error::setup(format!(
            "the server exited without printing its URL; see {}",
            stderr.display()
        )))
    })
    .await
    .map_err(|_| Error::Timeout("server start".into()))??;
    // Keep reading stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Target {
        dialect,
        base: url,
        pid: child.id(),
        handle: Handle::Process(child),
    })
}
