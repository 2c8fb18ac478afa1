//! Presence on PostgreSQL: the `nodes` registry with its heartbeats, each node's users in
//! `node_presence`, and `users.is_online` recomputed from them (migrations/postgres/0003).
//!
//! A user's flag is only written with the user's row locked, and the rows deciding it are read
//! by a later statement: under read committed each statement sees what committed before it, so
//! a node going offline and another coming online for the same user cannot both read the other's
//! old state and leave the flag wrong.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, Transaction};

use super::PgStore;
use crate::cluster::NodeId;
use crate::error::Result;
use crate::model::{UserId, UserStatus};
use crate::store::presence::PresenceStore;
use crate::time::Millis;

/// The advisory lock one node at a time sweeps under ("confab" and 1).
const SWEEP_LOCK: i64 = 0x636f_6e66_6162_0001;

/// The node id as the `bigint` column holds it (the same 64 bits).
fn key(node: NodeId) -> i64 {
    i64::from_le_bytes(node.to_le_bytes())
}

/// Locks the rows of `users`, in id order so two transactions cannot deadlock on them.
async fn lock_users(conn: &mut PgConnection, users: &[UserId]) -> Result<()> {
    sqlx::query(r#"select id from users where id = any($1) order by id for update"#)
        .bind(users)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks offline those of `users` (locked) no node holds any more; returns their statuses.
async fn settle_departed(
    tx: &mut Transaction<'_, Postgres>,
    users: &[UserId],
    now: Millis,
) -> Result<Vec<UserStatus>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    lock_users(tx, users).await?;
    Ok(sqlx::query_as(
        r#"update users u set is_online = false, last_seen = $2
           where u.id = any($1) and u.is_online
             and not exists (select 1 from node_presence p where p.user_id = u.id)
           returning u.id as user_id, u.username, u.is_online, u.last_seen,
                     'offline' as status, u.status_text"#,
    )
    .bind(users)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?)
}

#[async_trait]
impl PresenceStore for PgStore {
    fn is_shared(&self) -> bool {
        true
    }

    async fn node_started(&self, node: NodeId, _now: Millis) -> Result<()> {
        // Other nodes' users stay as they are; a dead node's are swept by the heartbeats.
        sqlx::query(
            r#"insert into nodes (id) values ($1)
               on conflict (id) do update set started_at = now(), heartbeat_at = now()"#,
        )
        .bind(key(node))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_node_presence(
        &self,
        node: NodeId,
        changes: &[(UserId, bool)],
        now: Millis,
    ) -> Result<Vec<UserStatus>> {
        let mut changes = changes.to_vec();
        changes.sort_unstable_by_key(|&(id, _)| id);
        let mut tx = self.pool.begin().await?;
        lock_users(&mut tx, &changes.iter().map(|&(id, _)| id).collect::<Vec<_>>()).await?;
        let mut statuses = Vec::with_capacity(changes.len());
        for (id, online) in changes {
            let sql = if online {
                r#"insert into node_presence (node_id, user_id) values ($1, $2) on conflict do nothing"#
            } else {
                r#"delete from node_presence where node_id = $1 and user_id = $2"#
            };
            sqlx::query(sql)
                .bind(key(node))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let status: Option<UserStatus> = sqlx::query_as(
                r#"update users u set
                       is_online = h.here,
                       last_seen = case when h.here then u.last_seen else $2 end
                   from (select exists (select 1 from node_presence where user_id = $1) as here) h
                   where u.id = $1
                   returning u.id as user_id, u.username, u.is_online, u.last_seen,
                             case when u.is_online then u.status else 'offline' end as status,
                             u.status_text"#,
            )
            .bind(id)
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
        node: NodeId,
        here: &[UserId],
        timeout: Duration,
        now: Millis,
    ) -> Result<Vec<UserStatus>> {
        let mut statuses = Vec::new();
        let beat = sqlx::query(r#"update nodes set heartbeat_at = now() where id = $1"#)
            .bind(key(node))
            .execute(&self.pool)
            .await?;
        if beat.rows_affected() == 0 {
            // Swept while it could not beat: its sockets are still open, so it joins again
            // with them.
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                r#"insert into nodes (id) values ($1) on conflict (id) do update set heartbeat_at = now()"#,
            )
            .bind(key(node))
            .execute(&mut *tx)
            .await?;
            lock_users(&mut tx, here).await?;
            sqlx::query(
                r#"insert into node_presence (node_id, user_id)
                   select $1, u.id from users u where u.id = any($2)
                   on conflict do nothing"#,
            )
            .bind(key(node))
            .bind(here)
            .execute(&mut *tx)
            .await?;
            let back: Vec<UserStatus> = sqlx::query_as(
                r#"update users u set is_online = true where u.id = any($1) and not u.is_online
                   returning u.id as user_id, u.username, u.is_online, u.last_seen,
                             u.status, u.status_text"#,
            )
            .bind(here)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            statuses.extend(back);
        }

        let mut tx = self.pool.begin().await?;
        let sweeper: bool = sqlx::query_scalar(r#"select pg_try_advisory_xact_lock($1)"#)
            .bind(SWEEP_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if sweeper {
            let seconds = timeout.as_secs_f64();
            let gone: Vec<UserId> = sqlx::query_scalar(
                r#"delete from node_presence p
                   where not exists (select 1 from nodes n
                                     where n.id = p.node_id
                                       and n.heartbeat_at >= now() - make_interval(secs => $1))
                   returning p.user_id"#,
            )
            .bind(seconds)
            .fetch_all(&mut *tx)
            .await?;
            let dead =
                sqlx::query(r#"delete from nodes where heartbeat_at < now() - make_interval(secs => $1)"#)
                    .bind(seconds)
                    .execute(&mut *tx)
                    .await?;
            if dead.rows_affected() > 0 {
                tracing::warn!(
                    nodes = dead.rows_affected(),
                    users = gone.len(),
                    "nodes stopped beating: their users' sockets no longer count"
                );
            }
            let mut gone = gone;
            gone.sort_unstable();
            gone.dedup();
            statuses.extend(settle_departed(&mut tx, &gone, now).await?);
        }
        tx.commit().await?;
        Ok(statuses)
    }

    async fn node_stopped(&self, node: NodeId, now: Millis) -> Result<Vec<UserStatus>> {
        let mut tx = self.pool.begin().await?;
        let mut users: Vec<UserId> =
            sqlx::query_scalar(r#"delete from node_presence where node_id = $1 returning user_id"#)
                .bind(key(node))
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query(r#"delete from nodes where id = $1"#)
            .bind(key(node))
            .execute(&mut *tx)
            .await?;
        users.sort_unstable();
        let statuses = settle_departed(&mut tx, &users, now).await?;
        tx.commit().await?;
        Ok(statuses)
    }

    async fn online_user_ids(&self) -> Result<Vec<UserId>> {
        Ok(
            sqlx::query_scalar(r#"select id from users where is_online order by id"#)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
