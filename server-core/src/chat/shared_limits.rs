//! The limits' shared half: on a cluster (several nodes on one PostgreSQL database) the token
//! buckets, login failures, upload quota and sockets per user are counted in the database, so
//! that N nodes do not give anyone N times the budget. `limits/` and `throttle.rs` hold the
//! rules and keep the counters in memory when the server is the only one (SQLite); with a
//! [`Shared`] they ask it instead. Times are the server [`Clock`]'s, as every node passes them.

use std::sync::Arc;

use crate::cluster::NodeId;
use crate::error::{Error, Result};
use crate::hub::{Hub, Registration};
use crate::model::{Caller, RoomId, UserId};
use crate::store::LimitStore;
use crate::store::limits::{BucketRate, LimitKey};
use crate::time::{Clock, Millis};

/// The database counters every node of a cluster uses, with this node's clock and id.
#[derive(Clone)]
pub struct Shared {
    pub(crate) store: Arc<dyn LimitStore>,
    pub(crate) clock: Clock,
    pub(crate) node: NodeId,
}

impl Shared {
    pub fn new(store: Arc<dyn LimitStore>, clock: Clock, node: NodeId) -> Shared {
        Shared { store, clock, node }
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Takes a token from bucket `key`: `Err` with the tokens it holds when there was none.
    pub(crate) async fn take(
        &self,
        key: &LimitKey,
        burst: u32,
        period_ms: i64,
    ) -> Result<std::result::Result<(), f64>> {
        let take = self
            .store
            .take_token(key, BucketRate { burst, period_ms }, self.now())
            .await?;
        Ok(if take.granted { Ok(()) } else { Err(take.tokens) })
    }

    /// Registers a socket of `caller` on `hub` if the sockets their other nodes hold leave
    /// room under `cap`; beyond it on this node the oldest here are closed, as on one server.
    ///
    /// # Errors
    /// `429 rate_limited` (the socket is closed with 4429) when other nodes hold `cap` of the
    /// user's sockets already; database errors.
    pub(crate) async fn register_socket(
        &self,
        hub: &Hub,
        caller: &Caller,
        rooms: Vec<RoomId>,
        cap: usize,
    ) -> Result<Registration> {
        let (user, session) = (caller.user_id, caller.session_id);
        let mut rooms = Some(rooms);
        let mut registration = None;
        let admitted = self
            .store
            .claim_socket(self.node, user, cap, &mut |within| {
                let rooms = rooms.take().unwrap_or_default();
                registration = Some(hub.register_within(user, session, rooms, within));
                hub.sockets_of(user)
            })
            .await?;
        match registration {
            Some(registration) if admitted => Ok(registration),
            _ => Err(Error::RateLimited {
                message: TOO_MANY_SOCKETS,
                retry_after: 1,
            }),
        }
    }

    /// After one of `user`'s sockets here closed: records what they still have here, off the
    /// socket's task (a failure is logged; the node's rows go when it stops).
    pub(crate) fn socket_closed(&self, hub: &Hub, user: UserId) {
        let (shared, hub) = (self.clone(), hub.clone());
        tokio::spawn(async move {
            let count = move || hub.sockets_of(user);
            if let Err(e) = shared.store.sync_sockets(shared.node, user, &count).await {
                tracing::warn!(error = %e, user, "recording a closed socket failed");
            }
        });
    }
}

/// Why a socket beyond the cap is refused (the same words as the oldest one's close).
pub const TOO_MANY_SOCKETS: &str = "too many connections for this account";
