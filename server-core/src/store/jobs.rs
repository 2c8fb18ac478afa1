//! The store's interface for periodic work that must run on one node at a time: the jobs, the
//! lock each run holds, and the guard that holds it.

use async_trait::async_trait;

use crate::error::Result;

/// A periodic job that writes data every node shares, so that two nodes running it at once
/// would do the work twice (and announce it twice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// The retention job's shared half: expired messages with their files, and the sweep of
    /// uploads nothing refers to (`chat/retention.rs`).
    Retention,
    /// Removing expired sessions (`server/mod.rs`'s housekeeping).
    SessionPurge,
    /// Removing the shared limits' counters that hold nobody back any more
    /// (`chat/limits/`, on PostgreSQL).
    LimitPurge,
}

impl Job {
    /// The PostgreSQL advisory lock key a run of this job holds: "confab" in the high six
    /// bytes, then the job's number. 1 is the presence sweep's (`postgres/presence.rs`); the
    /// migration's lock (`migrate/`) is a small number outside this range.
    pub fn lock_key(self) -> i64 {
        const CONFAB: i64 = 0x636f_6e66_6162_0000;
        CONFAB
            | match self {
                Job::Retention => 2,
                Job::SessionPurge => 3,
                Job::LimitPurge => 4,
            }
    }
}

/// A lock a backend holds for a run; released when the run's [`JobGuard`] is dropped.
pub trait HeldLock: Send {}

/// Proof that this node may run a job now. Dropping it ends the run and lets another node
/// take the job.
#[must_use = "the job's lock is released when the guard is dropped"]
pub struct JobGuard(Option<Box<dyn HeldLock>>);

impl JobGuard {
    /// A run nothing else can contend for (one server owns the database).
    pub fn uncontended() -> JobGuard {
        JobGuard(None)
    }

    /// A run holding `lock` until the guard is dropped.
    pub fn holding(lock: Box<dyn HeldLock>) -> JobGuard {
        JobGuard(Some(lock))
    }
}

impl std::fmt::Debug for JobGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "JobGuard(held)"
        } else {
            "JobGuard"
        })
    }
}

/// Periodic jobs' exclusion, as every backend implements it.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Takes `job`'s lock if no node holds it: `Some` guard while this node runs it, `None`
    /// when another node is running it now (the caller skips this run). On SQLite one server
    /// owns the file, so it is always granted.
    async fn try_run_exclusive(&self, job: Job) -> Result<Option<JobGuard>>;
}
