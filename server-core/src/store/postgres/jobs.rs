//! Periodic jobs on PostgreSQL: a run holds its job's advisory lock ([`Job::lock_key`]) in a
//! transaction of its own, so a node that dies mid-run (or whose connection drops) releases it
//! with its session, and no node ever waits for it.

use async_trait::async_trait;
use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::error::Result;
use crate::store::jobs::{HeldLock, Job, JobGuard, JobStore};

/// The transaction holding a job's `pg_try_advisory_xact_lock`. It runs no other statement:
/// under read committed it keeps no snapshot between statements, so a long run holds back
/// neither vacuum nor anyone's writes. Dropped, it rolls back (sqlx flushes the rollback when
/// the connection goes back to the pool), which releases the lock.
struct XactLock(#[allow(dead_code)] Transaction<'static, Postgres>);

impl HeldLock for XactLock {}

#[async_trait]
impl JobStore for PgStore {
    async fn try_run_exclusive(&self, job: Job) -> Result<Option<JobGuard>> {
        let mut tx = self.pool.begin().await?;
        let granted: bool = sqlx::query_scalar(r#"select pg_try_advisory_xact_lock($1)"#)
            .bind(job.lock_key())
            .fetch_one(&mut *tx)
            .await?;
        Ok(granted.then(|| JobGuard::holding(Box::new(XactLock(tx)))))
    }
}
