//! Presence on SQLite: the one server is the only node, so its sockets are the truth and the
//! flags are written as they change (see `users.rs`).

use std::time::Duration;

use async_trait::async_trait;

use super::SqliteStore;
use crate::cluster::NodeId;
use crate::error::Result;
use crate::model::{UserId, UserStatus};
use crate::store::presence::PresenceStore;
use crate::store::users::UserStore;
use crate::time::Millis;

#[async_trait]
impl PresenceStore for SqliteStore {
    fn is_shared(&self) -> bool {
        false
    }

    async fn node_started(&self, _node: NodeId, now: Millis) -> Result<()> {
        // Nobody is connected to a server that is just starting, whatever the last run left.
        self.mark_all_offline(now).await?;
        Ok(())
    }

    async fn set_node_presence(
        &self,
        _node: NodeId,
        changes: &[(UserId, bool)],
        now: Millis,
    ) -> Result<Vec<UserStatus>> {
        self.set_presence(changes, now).await
    }

    async fn heartbeat(
        &self,
        _node: NodeId,
        _here: &[UserId],
        _timeout: Duration,
        _now: Millis,
    ) -> Result<Vec<UserStatus>> {
        // No other node can die unnoticed.
        Ok(Vec::new())
    }

    async fn node_stopped(&self, _node: NodeId, now: Millis) -> Result<Vec<UserStatus>> {
        // Every socket was closed before: nobody is left to tell.
        self.mark_all_offline(now).await?;
        Ok(Vec::new())
    }

    async fn online_user_ids(&self) -> Result<Vec<UserId>> {
        Ok(
            sqlx::query_scalar(r#"select id from users where is_online = 1 order by id"#)
                .fetch_all(&self.read)
                .await?,
        )
    }
}
