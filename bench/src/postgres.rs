//! A throwaway PostgreSQL for the `cluster` comparison and its test: `initdb` into a temporary
//! directory (as the `postgres` user when run as root), reachable only through a Unix socket
//! there, one fresh database per server start, stopped and removed when dropped or, should
//! this tool die first, by a small watcher shell. Also reads the CPU time of the server and of
//! its backends from `/proc`, since their work is part of each message's cost.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{Error, Result};

/// Where Debian's `postgresql` package puts each major version's programs.
const INSTALL_ROOT: &str = "/usr/lib/postgresql";

/// A running throwaway PostgreSQL.
#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    postmaster: u32,
    next_database: AtomicU32,
}

impl PgCluster {
    /// The newest installed major version's `bin` directory, if PostgreSQL is installed.
    pub fn installed() -> Option<PathBuf> {
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

    /// Creates and starts a cluster, its processes pinned to `core` when given.
    pub fn start(core: Option<usize>) -> Result<PgCluster> {
        let bin = PgCluster::installed().ok_or_else(|| {
            Error::setup(format!(
                "PostgreSQL is not installed (no {INSTALL_ROOT}/*/bin/initdb): `apt-get install postgresql`"
            ))
        })?;
        let dir = tempfile::Builder::new()
            .prefix("confab-bench-pg-")
            .tempdir()?
            .keep();
        watch_over(&bin, &dir)?;
        let mut cluster = PgCluster {
            bin,
            dir,
            postmaster: 0,
            next_database: AtomicU32::new(1),
        };
        if as_root() {
            // PostgreSQL refuses to run as root; its own user must own the data and the socket.
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&cluster.dir);
            run("chown", chown)?;
        }
        let data = cluster.dir.join("data");
        let mut initdb = cluster.command("initdb");
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
        run("initdb", initdb)?;
        // No TCP at all: the socket lives in our directory. Unlike the tests, fsync stays on —
        // commits cost what they cost on a real server.
        let options = format!(
            "-k {} -c listen_addresses='' -c max_connections=200",
            cluster.dir.display()
        );
        let mut pg_ctl = cluster.command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(options)
            .arg("-l")
            .arg(cluster.dir.join("log"))
            .args(["-w", "start"]);
        if let Some(core) = core {
            #[cfg(target_os = "linux")]
            {
                use std::os::unix::process::CommandExt as _;
                // SAFETY: runs in the child between fork and exec and only makes the
                // async-signal-safe sched_setaffinity call; the server inherits the mask.
                unsafe {
                    pg_ctl.pre_exec(move || crate::system::set_affinity(0, core));
                }
            }
        }
        run("pg_ctl start", pg_ctl)?;
        let pid_file = std::fs::read_to_string(data.join("postmaster.pid"))?;
        cluster.postmaster = pid_file
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| Error::setup("postmaster.pid names no process"))?;
        Ok(cluster)
    }

    /// Creates a fresh database and returns its URL for `--database`.
    pub fn create_database(&self) -> Result<String> {
        let name = format!("bench_{}", self.next_database.fetch_add(1, Ordering::Relaxed));
        let mut createdb = self.command("createdb");
        createdb.arg("-h").arg(&self.dir).args(["-U", "postgres", &name]);
        run("createdb", createdb)?;
        Ok(format!(
            "postgres://postgres@localhost/{name}?host={}",
            self.dir.display()
        ))
    }

    /// The server's main process.
    pub fn pid(&self) -> u32 {
        self.postmaster
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        command.current_dir(&self.dir).stdin(Stdio::null());
        command
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = stop.status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// CPU seconds (user + system) of PostgreSQL's main process `postmaster`, of every process it
/// has now (backends, WAL writer, checkpointer…) and of those it has already reaped.
pub fn tree_cpu_secs(postmaster: u32) -> Option<f64> {
    let ticks = crate::system::clock_ticks_per_sec();
    let own = std::fs::read_to_string(format!("/proc/{postmaster}/stat")).ok()?;
    let mut total = stat_fields(&own).map_or(0, |f| f.cpu + f.children_cpu);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == postmaster {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(f) = stat_fields(&stat) {
            if f.ppid == postmaster {
                total += f.cpu;
            }
        }
    }
    Some(total as f64 / ticks)
}

struct StatFields {
    ppid: u32,
    /// utime + stime, ticks.
    cpu: u64,
    /// cutime + cstime (reaped children), ticks.
    children_cpu: u64,
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces).
fn stat_fields(stat: &str) -> Option<StatFields> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    Some(StatFields {
        ppid: u32::try_from(num(1)?).ok()?,
        cpu: num(11)? + num(12)?,
        children_cpu: num(13)? + num(14)?,
    })
}

fn run(program: &str, mut command: Command) -> Result<()> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(Error::setup(format!(
            "{program} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}

/// A small shell that outlives this process: once it is gone (killed, say), it stops the
/// cluster and removes the directory. Started in the background by an outer shell that returns
/// at once, so it belongs to init and leaves no zombie.
fn watch_over(bin: &Path, dir: &Path) -> Result<()> {
    let script = r#"
        (
            while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
            if [ -f "$3/data/postmaster.pid" ]; then
                if [ "$(id -u)" = 0 ]; then
                    runuser -u postgres -- "$2/pg_ctl" -D "$3/data" -m immediate stop
                else
                    "$2/pg_ctl" -D "$3/data" -m immediate stop
                fi
            fi
            rm -rf "$3"
        ) >/dev/null 2>&1 &
    "#;
    let status = Command::new("sh")
        .args(["-c", script, "watch"])
        .arg(std::process::id().to_string())
        .arg(bin)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(Error::setup("the PostgreSQL watcher did not start"));
    }
    Ok(())
}

fn as_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_skip_a_command_name_with_spaces() {
        let stat = "42 (postgres: wal writer) S 7 42 42 0 -1 4194560 100 0 0 0 30 12 5 6 20 0 1 0";
        let f = stat_fields(stat).unwrap();
        assert_eq!((f.ppid, f.cpu, f.children_cpu), (7, 42, 11));
    }
}
