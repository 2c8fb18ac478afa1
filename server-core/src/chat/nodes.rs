//! This server as a node of the cluster sharing its database: the heartbeat that keeps its
//! users' sockets counting (and sweeps nodes that stopped beating), and leaving at shutdown.
//! Presence changes either causes are announced to everyone, on every node.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::presence;
use crate::cluster::NodeId;
use crate::context::AppContext;
use crate::error::Result;
use crate::fanout::Fanout;
use crate::hub::Hub;
use crate::store::Store;
use crate::time::Clock;

/// A node silent for this many heartbeats is taken for dead: one late beat (a busy database,
/// a long pause of the process) is not enough to drop its users.
pub const MISSED_BEATS: u32 = 3;

/// What the heartbeat needs.
pub struct Heartbeat {
    pub store: Store,
    pub fanout: Arc<dyn Fanout>,
    pub hub: Hub,
    pub clock: Clock,
    pub node: NodeId,
    /// How often it beats; a node silent for [`MISSED_BEATS`] of these is swept.
    pub every: Duration,
    /// While set, the node does not beat, as if the process were frozen (its sockets stay).
    pub paused: Arc<AtomicBool>,
}

impl Heartbeat {
    /// The heartbeat of node `node` serving `ctx`, every `Timing::heartbeat`.
    pub fn of(ctx: &AppContext, node: NodeId, paused: Arc<AtomicBool>) -> Heartbeat {
        Heartbeat {
            store: ctx.store.clone(),
            fanout: ctx.fanout.clone(),
            hub: ctx.hub.clone(),
            clock: ctx.clock.clone(),
            node,
            every: ctx.config.timing.heartbeat,
            paused,
        }
    }

    /// Beats until `stop` is cancelled. A failed beat is logged and retried at the next one:
    /// the other nodes only drop this one's users after several.
    pub async fn run(self, stop: CancellationToken) {
        let timeout = self.every * MISSED_BEATS;
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stop.cancelled() => return,
            }
            if self.paused.load(Ordering::Relaxed) {
                continue;
            }
            let here = self.hub.online_user_ids();
            match self
                .store
                .heartbeat(self.node, &here, timeout, self.clock.now())
                .await
            {
                Ok(statuses) => presence::announce(&*self.fanout, &statuses),
                Err(e) => tracing::warn!(error = %e, "the cluster heartbeat failed"),
            }
        }
    }
}

/// This node stops: its users' sockets no longer count, and those now offline everywhere are
/// announced to the other nodes.
///
/// # Errors
/// When the database cannot record it.
pub async fn leave(ctx: &AppContext, node: NodeId) -> Result<()> {
    let statuses = ctx.store.node_stopped(node, ctx.clock.now()).await?;
    presence::announce(&*ctx.fanout, &statuses);
    Ok(())
}
