//! Presence on SQLite: the one server is the only node, so its sockets are the truth and the
//! flags are written as they change.

use std::time::Duration;

use async_trait::async_trait;

use super::SqliteStore;
use crate::cluster::NodeId;
use crate::error::Result;
use crate::model::{UserId, UserStatus};
use crate::store::presence::PresenceStore;
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
        let mut tx = self.write.begin().await?;
        let mut statuses = Vec::with_capacity(changes.len());
        for &(id, online) in changes {
            let status: Option<UserStatus> = sqlx::query_as(
                r#"update users set
                       is_online = ?2,
                       last_seen = case when ?2 then last_seen else ?3 end
                   where id = ?1
                   returning id as user_id, username, is_online, last_seen,
                             case when is_online then status else 'offline' end as status, status_text"#,
            )
            .bind(id)
            .bind(online)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            statuses.extend(status);
        }
        tx.commit().await?;
        Ok(statuses)
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

impl SqliteStore {
    /// Marks everyone offline, stamping `last_seen`: at start-up and at shutdown.
    async fn mark_all_offline(&self, now: Millis) -> Result<()> {
        sqlx::query(r#"update users set is_online = 0, last_seen = ?1 where is_online = 1"#)
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
