//! CPU-heavy work (password hashing, image decoding) on a few threads of its own — as many as
//! the machine has cores — running at a lower CPU priority than the async workers. A burst
//! (two hundred people logging in at nine, a batch of photos) then queues here and takes the
//! CPU the chat leaves over, instead of delaying message delivery (`confab-bench storm`; see
//! `docs/performance.md`).
//!
//! Own threads rather than tokio's blocking pool also bound memory: each thread that ever
//! hashed a password keeps its allocator arena, and tokio's pool may use a new thread for every
//! job (a storm left the server 230 MiB larger).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// How much lower than normal the workers run (`nice` steps; 19 is the lowest priority).
const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct BlockingPool {
    jobs: Sender<Job>,
    threads: usize,
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockingPool")
    }
}

impl Default for BlockingPool {
    /// A pool with one thread per core this process may use. The threads end once every clone
    /// of the pool is dropped.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cores {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("confab-cpu-{n}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "starting a CPU worker thread failed");
            }
        }
        BlockingPool { jobs, threads: cores }
    }
}

/// A worker: lowers its own priority, then runs jobs until the pool is gone.
fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held only while waiting for a job, never while running one.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux, PRIO_PROCESS with a thread id sets that one thread's nice value.
    // SAFETY: gettid and setpriority have no memory-safety preconditions.
    let result = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS)
    };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not lower a CPU worker's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

impl BlockingPool {
    /// How many jobs run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work` on one of the pool's threads once one is free.
    ///
    /// # Errors
    /// [`Error::Internal`] if `work` panicked or the pool's threads are gone.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic is reported to the caller; the thread lives on for the next job.
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                let _ = tx.send(value);
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Internal("the CPU worker threads are gone".into()))?;
        rx.await
            .map_err(|_| Error::Internal("a CPU-heavy job panicked".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panic() {
        let pool = BlockingPool::default();
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        let panicked = pool.run(|| -> u32 { panic!("boom") }).await;
        assert!(matches!(panicked, Err(Error::Internal(_))));
        let many: Vec<_> = (0..16).map(|i| pool.run(move || i * 2)).collect();
        for (i, job) in many.into_iter().enumerate() {
            assert_eq!(job.await.unwrap(), i * 2);
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_run_below_normal_priority() {
        let pool = BlockingPool::default();
        // SAFETY: getpriority has no memory-safety preconditions.
        let nice = pool
            .run(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) })
            .await
            .unwrap();
        // Already-niced test runners start higher; never lower than the workers' own setting.
        assert!(nice >= NICENESS, "worker nice value {nice}");
    }
}
