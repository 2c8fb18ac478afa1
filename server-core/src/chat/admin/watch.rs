//! How a running server notices changes made to its database behind its back — by the
//! `confab-server admin` commands, or by another node sharing the database: they bump
//! `admin.revision` in `server_meta`; the server reads it every second and, when it moved,
//! reloads administrators' settings and closes every socket whose session no longer exists.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::context::AppContext;
use crate::error::Result;
use crate::fanout::SessionEnd;

const POLL_EVERY: Duration = Duration::from_secs(1);

/// Polls until `stop`.
pub async fn run(ctx: AppContext, stop: CancellationToken) {
    let mut seen = ctx.store.admin_revision().await.unwrap_or(0);
    let mut interval = tokio::time::interval(POLL_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = stop.cancelled() => return,
        }
        match check(&ctx, seen).await {
            Ok(revision) => seen = revision,
            Err(e) => tracing::warn!(error = %e, "checking for administrative changes failed"),
        }
    }
}

async fn check(ctx: &AppContext, seen: i64) -> Result<i64> {
    let revision = ctx.store.admin_revision().await?;
    if revision == seen {
        return Ok(seen);
    }
    // Settings change no frame: each request reads them as it comes, so reloading is all
    // this node's clients need to be served as the node that took the change serves them.
    ctx.settings.reload(&ctx.store, &ctx.config).await?;
    let open = ctx.hub.session_ids();
    let live = ctx.store.live_sessions(&open).await?;
    let revoked: Vec<_> = open.into_iter().filter(|id| !live.contains(id)).collect();
    if !revoked.is_empty() {
        tracing::info!(
            sessions = revoked.len(),
            "closing sockets of sessions an administrator revoked"
        );
        // This server's own sockets only: every server runs this watch over its own.
        ctx.hub
            .close_sessions(&revoked, SessionEnd::SignedOutByAdministrator);
    }
    Ok(revision)
}
