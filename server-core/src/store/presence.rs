//! The store's interface for presence across the nodes sharing a database: which nodes are
//! alive, which users each one holds sockets of, and the `users.is_online` flag kept from that.

use std::time::Duration;

use async_trait::async_trait;

use crate::cluster::NodeId;
use crate::error::Result;
use crate::model::{UserId, UserStatus};
use crate::time::Millis;

/// Presence as the nodes of one database record it. On SQLite one server owns the file, so
/// the node is the whole server and these are today's flags; on PostgreSQL a user is online
/// while any node whose heartbeat is fresh holds a socket of theirs.
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Whether other servers may share this database, so that this server's sockets are not
    /// the whole truth about who is online and the stored flag must be asked too.
    fn is_shared(&self) -> bool;

    /// A node starts: it holds nobody yet. SQLite marks everyone offline (whatever the last
    /// run left); PostgreSQL registers the node and leaves other nodes' users alone.
    async fn node_started(&self, node: NodeId, now: Millis) -> Result<()>;

    /// Records that users came online (their first socket on `node`) or went offline (their
    /// last one there) in one transaction. Returns each user's status as everyone now sees
    /// it: going offline on one node leaves a user online who still has a socket elsewhere.
    async fn set_node_presence(
        &self,
        node: NodeId,
        changes: &[(UserId, bool)],
        now: Millis,
    ) -> Result<Vec<UserStatus>>;

    /// `node` is alive and holds sockets of `here`. If it was swept meanwhile (frozen past
    /// `timeout`), it registers again with `here`. Then, on whichever node gets the sweep's
    /// lock, nodes silent for `timeout` are forgotten with their users' sockets. Returns the
    /// statuses this changed, for the caller to announce.
    async fn heartbeat(
        &self,
        node: NodeId,
        here: &[UserId],
        timeout: Duration,
        now: Millis,
    ) -> Result<Vec<UserStatus>>;

    /// A node stops: its users' sockets are gone. Returns the statuses of those now offline.
    async fn node_stopped(&self, node: NodeId, now: Millis) -> Result<Vec<UserStatus>>;

    /// The users the database holds as online.
    async fn online_user_ids(&self) -> Result<Vec<UserId>>;
}
