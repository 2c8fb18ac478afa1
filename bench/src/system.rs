//! The machine side of measuring: pinning processes to cores, raising the open-file limit, and
//! reading a process's memory and CPU time from `/proc` (Linux only; elsewhere the figures are
//! simply absent).

use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Pins the calling thread (and every thread it starts afterwards) to `core`. Call it before
/// the async runtime starts, so its worker threads inherit the mask.
pub fn pin_current_thread(core: usize) -> io::Result<()> {
    set_affinity(0, core)
}

/// Sets `pid`'s CPU mask to the one `core` (0 = the calling thread).
#[cfg(target_os = "linux")]
pub fn set_affinity(pid: libc::pid_t, core: usize) -> io::Result<()> {
    // SAFETY: `cpu_set_t` is plain data; CPU_ZERO/CPU_SET only write inside it, and
    // sched_setaffinity reads exactly `size_of::<cpu_set_t>()` bytes of it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(core, &mut set);
        if libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn set_affinity(_pid: i32, _core: usize) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "pinning needs Linux"))
}

/// Raises this process's soft open-file limit to its hard limit and returns the new soft limit.
/// Ten thousand sockets need ten thousand descriptors on each side.
#[cfg(unix)]
pub fn raise_open_file_limit() -> io::Result<u64> {
    // SAFETY: getrlimit/setrlimit read and write only the struct passed to them.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(limit.rlim_cur as u64)
    }
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> io::Result<u64> {
    Ok(0)
}

/// Number of cores this machine has (not just those this process may use).
pub fn machine_cores() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| info.lines().filter(|l| l.starts_with("processor")).count())
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The 1-minute load average, which says how busy the machine was around a measurement.
pub fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The servers' resources at one moment: the nodes' processes (summed) and PostgreSQL's CPU.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub nodes: Option<ProcSample>,
    pub postgres_cpu_secs: Option<f64>,
}

/// Memory and CPU time of one process at one moment.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ProcSample {
    /// Resident set size, KiB.
    pub rss_kib: u64,
    /// Peak resident set size so far, KiB.
    pub peak_rss_kib: u64,
    /// User plus system CPU time since the process started, seconds.
    pub cpu_secs: f64,
    #[serde(skip)]
    pub at: Instant,
}

impl ProcSample {
    /// Reads `/proc/<pid>/status` and `/proc/<pid>/stat`.
    pub fn read(pid: u32) -> io::Result<ProcSample> {
        let at = Instant::now();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let (rss_kib, peak_rss_kib) = parse_status(&status);
        Ok(ProcSample {
            rss_kib,
            peak_rss_kib,
            cpu_secs: parse_stat_cpu_ticks(&stat).unwrap_or(0) as f64 / clock_ticks_per_sec(),
            at,
        })
    }

    /// The sum of several processes' samples (the nodes of a cluster), timed at the last one.
    pub fn sum(samples: &[ProcSample]) -> Option<ProcSample> {
        let last = samples.last()?;
        Some(ProcSample {
            rss_kib: samples.iter().map(|s| s.rss_kib).sum(),
            peak_rss_kib: samples.iter().map(|s| s.peak_rss_kib).sum(),
            cpu_secs: samples.iter().map(|s| s.cpu_secs).sum(),
            at: last.at,
        })
    }

    /// CPU used between `self` and `later`, as a fraction of one core.
    pub fn cpu_share_until(&self, later: &ProcSample) -> f64 {
        let wall = later.at.duration_since(self.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        (later.cpu_secs - self.cpu_secs) / wall
    }
}

/// (VmRSS, VmHWM) in KiB from the text of `/proc/<pid>/status`.
pub fn parse_status(status: &str) -> (u64, u64) {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// utime + stime (clock ticks) from the text of `/proc/<pid>/stat`. The command name (field
/// 2) may hold spaces and parentheses, so fields are counted after its closing parenthesis.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second, the unit of CPU times in `/proc/<pid>/stat`.
pub fn clock_ticks_per_sec() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no memory-safety preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if ticks > 0 {
            return ticks as f64;
        }
    }
    100.0
}

/// Samples a process every `every` until stopped, keeping the series (for RSS over time).
pub struct Sampler {
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<Vec<ProcSample>>,
}

impl Sampler {
    pub fn start(pid: u32, every: Duration) -> Sampler {
        let stop = tokio_util::sync::CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = token.cancelled() => break,
                }
                match ProcSample::read(pid) {
                    Ok(sample) => samples.push(sample),
                    Err(_) => break,
                }
            }
            samples
        });
        Sampler { stop, task }
    }

    pub async fn finish(self) -> Vec<ProcSample> {
        self.stop.cancel();
        self.task.await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_survive_odd_process_names() {
        let stat = "1234 (confab (x) 1) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 3 0 1 2 3";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(325));
    }

    #[test]
    fn status_gives_rss_and_peak() {
        let status = "Name:\tconfab-server\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_status(status), (10240, 20480));
    }

    #[test]
    fn own_process_can_be_sampled() {
        let sample = ProcSample::read(std::process::id()).unwrap();
        assert!(sample.rss_kib > 0);
    }
}
