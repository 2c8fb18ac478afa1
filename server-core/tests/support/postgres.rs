//! A throwaway PostgreSQL cluster for the tests: started once per test binary in a temporary
//! directory, reachable only through a Unix socket there, one fresh database per test, and
//! stopped and removed when the binary ends, however it ends; and a private cluster for a test
//! that stops and starts its server ([`PrivateCluster`]).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

/// Where Debian's `postgresql` package puts each major version's programs.
const INSTALL_ROOT: &str = "/usr/lib/postgresql";
/// Temporary directories are named `<prefix><pid of the test binary>-…`, so a later run can
/// tell a leftover of a dead run from a live one.
const DIR_PREFIX: &str = "confab-pg-";

/// The running cluster: its programs and its directory (data in `data/`, socket beside it).
#[derive(Clone)]
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
}

/// A database of its own for one test.
pub struct TestDatabase {
    pub name: String,
    pub pool: PgPool,
    pub options: PgConnectOptions,
    /// The same database as a URL, for a server's `--database` (a Unix socket: `?host=DIR`).
    pub url: String,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(1);

/// A fresh, empty database on this binary's cluster (started on first use), or `None` with a
/// message on stderr when PostgreSQL is not installed (scripts/test installs it).
pub async fn database() -> Option<TestDatabase> {
    // Starting blocks for about a second, once; tests on other threads wait for it here.
    let cluster = tokio::task::spawn_blocking(|| CLUSTER.get_or_init(Cluster::start).as_ref())
        .await
        .expect("starting PostgreSQL")?;
    Some(cluster.database().await)
}

/// A PostgreSQL cluster of one test's own, for a test that stops or restarts it while the
/// binary's shared cluster serves every other test. It lives in its own temporary directory
/// with the same guarantees: stopped and removed when dropped (a failing test unwinds through
/// the drop), and by its watcher if the test binary dies first.
pub struct PrivateCluster {
    cluster: Cluster,
}

impl PrivateCluster {
    /// A new cluster, started; `None` with a message on stderr when PostgreSQL is not
    /// installed.
    pub async fn start() -> Option<PrivateCluster> {
        tokio::task::spawn_blocking(|| {
            let Some(bin) = installed_bin() else {
                eprintln!("PostgreSQL is not installed: skipping");
                return None;
            };
            let cluster = Cluster {
                bin,
                dir: cluster_dir(std::process::id()),
            };
            cluster.watch_over();
            cluster.create_and_start();
            Some(PrivateCluster { cluster })
        })
        .await
        .expect("starting a private PostgreSQL")
    }

    /// A fresh, empty database on this cluster.
    pub async fn database(&self) -> TestDatabase {
        self.cluster.database().await
    }

    /// Stops the server the way an administrator's restart does (`-m fast`: sessions are
    /// terminated, the data is checkpointed), waiting until it is down.
    pub async fn stop(&self) {
        let cluster = self.cluster.clone();
        tokio::task::spawn_blocking(move || {
            let mut pg_ctl = cluster.command("pg_ctl");
            pg_ctl
                .arg("-D")
                .arg(cluster.dir.join("data"))
                .args(["-m", "fast", "-w", "stop"]);
            cluster.run("pg_ctl stop", pg_ctl);
        })
        .await
        .expect("stopping the private PostgreSQL");
    }

    /// Starts the stopped server again on the same data, waiting until it accepts connections.
    pub async fn start_again(&self) {
        let cluster = self.cluster.clone();
        tokio::task::spawn_blocking(move || cluster.start_server())
            .await
            .expect("starting the private PostgreSQL again");
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.cluster.stop();
    }
}

impl Cluster {
    /// A fresh, empty database on this cluster, with a small pool of the test's own.
    async fn database(&self) -> TestDatabase {
        let name = format!("test_{}", NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
        let admin = self.options("postgres");
        let mut conn = admin.connect().await.expect("connect to the test cluster");
        // A name made here from a counter, not input: nothing to quote.
        sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        conn.close().await.ok();
        let options = self.options(&name);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .expect("connect to the test database");
        let url = format!("postgres://postgres@localhost/{name}?host={}", self.dir.display());
        TestDatabase {
            name,
            pool,
            options,
            url,
        }
    }

    /// Connection options for `database` through the cluster's socket.
    pub fn options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.dir)
            .username("postgres")
            .database(database)
    }

    fn start() -> Option<Cluster> {
        let Some(bin) = installed_bin() else {
            eprintln!(
                "PostgreSQL is not installed (no {INSTALL_ROOT}/*/bin/initdb): skipping the \
                 PostgreSQL tests; `apt-get install postgresql` (scripts/test does) to run them"
            );
            return None;
        };
        remove_leftovers();
        let cluster = Cluster {
            bin,
            dir: cluster_dir(std::process::id()),
        };
        // Before anything can fail: whatever happens next, the directory goes with this process.
        cluster.watch_over();
        cluster.create_and_start();
        // The test harness ends the process with exit(), which runs this; statics are never
        // dropped, so a Drop guard on the cluster would not.
        extern "C" fn stop_at_exit() {
            if let Some(Some(cluster)) = CLUSTER.get() {
                cluster.stop();
            }
        }
        // SAFETY: registers a plain function with no arguments; it only runs commands.
        unsafe { libc::atexit(stop_at_exit) };
        Some(cluster)
    }

    /// Makes the cluster in its directory and starts its server.
    fn create_and_start(&self) {
        if as_root() {
            // PostgreSQL refuses to run as root; its own user must own the data and the socket.
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&self.dir)
                .status()
                .expect("run chown");
            assert!(status.success(), "chown postgres {}", self.dir.display());
        }
        let data = self.dir.join("data");
        let mut initdb = self.command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]);
        self.run("initdb", initdb);
        self.start_server();
    }

    /// Starts the server of the cluster made in the directory.
    fn start_server(&self) {
        let data = self.dir.join("data");
        // No TCP at all (`listen_addresses=''`): the socket lives in our directory, so nothing
        // collides with another run or a system cluster. `-F`: no fsync, the data is thrown away.
        let server_options = format!("-k {} -c listen_addresses='' -F", self.dir.display());
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(server_options)
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "start"]);
        self.run("pg_ctl start", pg_ctl);
    }

    /// Runs one of PostgreSQL's programs, as its own user when we are root; panics with its
    /// output (and the server log, if any) when it fails.
    fn run(&self, program: &str, mut command: Command) {
        let output = command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        if !output.status.success() {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            panic!(
                "{program} failed ({}):\n{}{}\n{log}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            );
        }
    }

    fn command(&self, program: &str) -> Command {
        postgres_command(&self.bin, program)
    }

    /// Stops the server at once (the data is thrown away) and removes the directory.
    fn stop(&self) {
        stop_and_remove(&self.bin, &self.dir);
    }

    /// A small shell process that outlives a crash: once this process is gone (killed, aborted,
    /// or a panic outside the test harness), it stops the cluster and removes the directory.
    /// The loop ends with this process, and after a normal exit finds nothing left to do. The
    /// outer shell starts it in the background and returns at once, so it belongs to init, not
    /// to us, and leaves no zombie behind.
    fn watch_over(&self) {
        let script = r#"
            (
                while kill -0 "$1" 2>/dev/null; do sleep 0.2; done
                if [ -f "$3/data/postmaster.pid" ]; then
                    if [ "$(id -u)" = 0 ]; then
                        runuser -u postgres -- "$2/pg_ctl" -D "$3/data" -m immediate stop
                    else
                        "$2/pg_ctl" -D "$3/data" -m immediate stop
                    fi
                fi
                rm -rf "$3"
            ) &
        "#;
        let status = Command::new("sh")
            .args(["-c", script, "watch"])
            .arg(std::process::id().to_string())
            .arg(&self.bin)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("start the cluster's watcher");
        assert!(status.success(), "the cluster's watcher did not start");
    }
}

/// A new temporary directory named after the test binary's `pid`.
fn cluster_dir(pid: u32) -> PathBuf {
    tempfile::Builder::new()
        .prefix(&format!("{DIR_PREFIX}{pid}-"))
        .tempdir()
        .expect("temp dir for PostgreSQL")
        .keep()
}

fn stop_and_remove(bin: &Path, dir: &Path) {
    let data = dir.join("data");
    if data.join("postmaster.pid").exists() {
        let _ = postgres_command(bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Stops and removes clusters left by earlier runs whose test binary is no longer alive (the
/// watcher itself was killed, say). A live run's directory is left alone.
fn remove_leftovers() {
    let Some(bin) = installed_bin() else { return };
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if !process_exists(pid) {
            stop_and_remove(&bin, &entry.path());
        }
    }
}

/// The newest installed major version's `bin` directory.
fn installed_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(INSTALL_ROOT)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// One of PostgreSQL's programs, run as its own user when we are root (it refuses root).
fn postgres_command(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn as_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A cluster whose test binary died without cleaning up (its watcher killed too) is stopped
/// and its directory removed by the next run; this run's own cluster is left alone.
#[test]
fn a_dead_runs_cluster_is_stopped_and_removed_by_the_next_run() {
    let Some(bin) = installed_bin() else {
        eprintln!("PostgreSQL is not installed: skipping");
        return;
    };
    // This binary's own cluster sweeps leftovers as it starts: done first, it cannot sweep
    // the one made here halfway through.
    CLUSTER.get_or_init(Cluster::start);
    // A process that existed and is gone: its pid names the leftover.
    let mut gone = Command::new("true").spawn().expect("run true");
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let leftover = Cluster {
        bin,
        dir: cluster_dir(dead_pid),
    };
    leftover.create_and_start();
    let pid_file = std::fs::read_to_string(leftover.dir.join("data/postmaster.pid")).unwrap();
    let postmaster: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    assert!(process_exists(postmaster), "the leftover's server is not running");
    let live = cluster_dir(std::process::id());

    remove_leftovers();

    assert!(!leftover.dir.exists(), "the dead run's directory is still there");
    assert!(live.exists(), "a live run's directory was removed");
    std::fs::remove_dir_all(&live).unwrap();
    // pg_ctl waited for the server to go; its process may take a moment to be reaped.
    let stopped = (0..100).any(|_| {
        let stopped = !process_exists(postmaster);
        if !stopped {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        stopped
    });
    assert!(stopped, "the dead run's server {postmaster} is still running");
}

fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    let answered = unsafe { libc::kill(pid, 0) } == 0;
    // Someone else's process (EPERM) exists too.
    answered || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
