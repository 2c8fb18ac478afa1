//! Periodic work while a server runs: sweeping sessions, throttles and rate-limit buckets,
//! checkpointing the database, and the retention job (also run on its own by `cleanup`).

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::database::open_store;
use crate::chat::admin;
use crate::chat::retention::{Report, Retention};
use crate::config::Config;
use crate::context::AppContext;
use crate::error::Result;
use crate::store::{FileStore, Job, Store};
use crate::time::Clock;

/// How often expired sessions, stale login throttles and full rate-limit buckets are swept.
const HOUSEKEEPING: Duration = Duration::from_secs(300);
/// How often the write-ahead log is checkpointed into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The retention job as this running server runs it.
pub(super) fn retention(ctx: &AppContext) -> Retention {
    Retention {
        store: ctx.store.clone(),
        files: ctx.files.clone(),
        logs_dir: ctx.config.logs_dir(),
        retention_days: ctx.config.retention_days,
        settings: Some(ctx.settings.clone()),
        clock: ctx.clock.clone(),
        fanout: Some(ctx.fanout.clone()),
    }
}

/// Runs the retention job once against the data in `config`'s data dir, whether or not a
/// server is running on it (SQLite lets both share the database). `confab-server cleanup`.
pub async fn cleanup(config: &Config, dry_run: bool) -> Result<Report> {
    let store = open_store(config).await?;
    let retention = Retention {
        files: FileStore::open(config.uploads_dir()).await?,
        store: store.clone(),
        logs_dir: config.logs_dir(),
        retention_days: admin::settings::stored_retention_days(&store)
            .await?
            .unwrap_or(config.retention_days),
        settings: None,
        clock: config.clock.clone(),
        // Another process: a running server's clients learn of it when they next connect.
        fanout: None,
    };
    let report = retention.run(dry_run).await;
    store.close().await;
    report
}

/// Sweeps expired sessions, login throttles and rate-limit buckets every [`HOUSEKEEPING`].
pub(super) async fn housekeeping(ctx: AppContext, stop: CancellationToken) {
    let mut interval = tokio::time::interval(HOUSEKEEPING);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        ctx.throttle.prune_all(Instant::now());
        ctx.limits.prune(Instant::now());
        purge_sessions(&ctx.store, &ctx.clock).await;
        if ctx.limits.cluster().is_some() {
            purge_limits(&ctx).await;
        }
    }
}

/// Removes the shared limits' counters that hold nobody back any more, on one node at a time
/// (they are every node's, so one pass is all of them).
async fn purge_limits(ctx: &AppContext) {
    let _guard = match ctx.store.try_run_exclusive(Job::LimitPurge).await {
        Ok(Some(guard)) => guard,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "taking the limits purge's lock failed");
            return;
        }
    };
    match ctx.limits.purge_shared().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "removed idle limit counters"),
        Err(e) => tracing::warn!(error = %e, "removing idle limit counters failed"),
    }
}

/// Removes expired sessions, on one node at a time: the others skip this round (the sessions
/// are shared, so one pass is all of them).
pub(super) async fn purge_sessions(store: &Store, clock: &Clock) {
    let _guard = match store.try_run_exclusive(Job::SessionPurge).await {
        Ok(Some(guard)) => guard,
        Ok(None) => {
            tracing::debug!("another node is removing expired sessions; this one skips it");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "taking the session purge's lock failed");
            return;
        }
    };
    match store.purge_expired_sessions(clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "removed expired sessions"),
        Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
    }
}

/// Checkpoints the database every [`CHECKPOINT_EVERY`], off the message writer's path.
pub(super) async fn checkpoints(store: Store, stop: CancellationToken) {
    let mut interval = tokio::time::interval(CHECKPOINT_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        if let Err(e) = store.checkpoint().await {
            tracing::warn!(error = %e, "checkpointing the database failed");
        }
    }
}
