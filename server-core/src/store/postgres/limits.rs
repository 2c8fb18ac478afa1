//! The limits the nodes share, on PostgreSQL (migrations/postgres/0004_limits.sql). Each
//! counter changes in one statement that reads the row it updates (`insert … on conflict do
//! update`, which locks the row), so nodes racing on one counter queue on that row and each
//! sees the other's change; the two reads-then-writes (the upload quota, the socket cap) lock
//! first.

use async_trait::async_trait;

use super::PgStore;
use crate::cluster::NodeId;
use crate::error::Result;
use crate::model::UserId;
use crate::store::limits::{BucketRate, FailureRow, LimitKey, LimitStore, RegisterWithin, Take, UploadSlots};
use crate::time::Millis;

/// The node id as the `bigint` column holds it (the same 64 bits, as in `presence.rs`).
fn node_key(node: NodeId) -> i64 {
    i64::from_le_bytes(node.to_le_bytes())
}

/// The transaction-scoped advisory lock of a key: its first eight bytes. Two keys sharing
/// them only wait for each other.
fn lock_id(key: &LimitKey) -> i64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&key[..8]);
    i64::from_le_bytes(head)
}

#[async_trait]
impl LimitStore for PgStore {
    async fn take_token(&self, key: &LimitKey, rate: BucketRate, now: Millis) -> Result<Take> {
        // A take is on the path of every message while rate limits are on. Losing the last
        // few takes to a crash gives a user back a few tokens, nothing more, so its commit
        // does not wait for the WAL flush: a third to a fifth of a durable commit's time here
        // (pgbench on this 2-core machine: 0.3-0.4 ms against 1.8-3.4 ms).
        let mut tx = self.pool.begin().await?;
        sqlx::query(r#"set local synchronous_commit = off"#)
            .execute(&mut *tx)
            .await?;
        // The refill counts from the later of the two times, so a node whose clock lags
        // cannot mint tokens by moving the bucket back.
        let (granted, tokens): (bool, f64) = sqlx::query_as(
            r#"insert into limit_buckets as b (key, tokens, at_ms, granted, idle_at)
               values ($1, $2::float8 - 1, $4::bigint, true, $4::bigint + $3::bigint)
               on conflict (key) do update set
                   tokens = case
                       when least($2, b.tokens + greatest($4 - b.at_ms, 0) * $2 / greatest($3, 1)) >= 1
                       then least($2, b.tokens + greatest($4 - b.at_ms, 0) * $2 / greatest($3, 1)) - 1
                       else least($2, b.tokens + greatest($4 - b.at_ms, 0) * $2 / greatest($3, 1))
                   end,
                   granted =
                       least($2, b.tokens + greatest($4 - b.at_ms, 0) * $2 / greatest($3, 1)) >= 1,
                   at_ms = greatest(b.at_ms, $4),
                   idle_at = greatest(b.at_ms, $4) + $3
               returning granted, tokens"#,
        )
        .bind(&key[..])
        .bind(f64::from(rate.burst))
        .bind(rate.period_ms)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Take { granted, tokens })
    }

    async fn login_failures(
        &self,
        keys: &[LimitKey],
        window_ms: i64,
        now: Millis,
    ) -> Result<Vec<FailureRow>> {
        let keys: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
        Ok(sqlx::query_as(
            r#"select key, failures, first_ms, last_ms from login_failures
               where key = any($1)
                 and (case when sliding then last_ms else first_ms end) > $3 - $2"#,
        )
        .bind(keys)
        .bind(window_ms)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn record_login_failure(
        &self,
        keys: &[(LimitKey, bool)],
        window_ms: i64,
        now: Millis,
    ) -> Result<()> {
        let (keys, sliding): (Vec<Vec<u8>>, Vec<bool>) = keys.iter().map(|(k, s)| (k.to_vec(), *s)).unzip();
        sqlx::query(
            r#"insert into login_failures as f (key, failures, first_ms, last_ms, sliding, idle_at)
               select k, 1, $3, $3, s, $3 + $4 from unnest($1::bytea[], $2::boolean[]) as u (k, s)
               on conflict (key) do update set
                   failures = case when f.idle_at > $3 then f.failures + 1 else 1 end,
                   first_ms = case when f.idle_at > $3 then f.first_ms else $3 end,
                   last_ms = $3,
                   idle_at = case when f.sliding then $3
                                  when f.idle_at > $3 then f.first_ms
                                  else $3 end + $4"#,
        )
        .bind(keys)
        .bind(sliding)
        .bind(now)
        .bind(window_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn forget_login_failures(&self, key: &LimitKey) -> Result<()> {
        sqlx::query(r#"delete from login_failures where key = $1"#)
            .bind(&key[..])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn device_secret(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        sqlx::query(r#"insert into login_secret (id, secret) values (1, $1) on conflict do nothing"#)
            .bind(&fresh[..])
            .execute(&self.pool)
            .await?;
        let stored: Vec<u8> = sqlx::query_scalar(r#"select secret from login_secret where id = 1"#)
            .fetch_one(&self.pool)
            .await?;
        Ok(<[u8; 32]>::try_from(stored.as_slice()).unwrap_or(fresh))
    }

    async fn charge_upload(
        &self,
        key: &LimitKey,
        size: i64,
        quota: i64,
        record: bool,
        now: Millis,
        (since_ms, slot_len_ms): (Millis, i64),
    ) -> Result<std::result::Result<(), UploadSlots>> {
        let mut tx = self.pool.begin().await?;
        // Two uploads of one user through two nodes: the second waits and counts the first.
        sqlx::query(r#"select pg_advisory_xact_lock($1)"#)
            .bind(lock_id(key))
            .execute(&mut *tx)
            .await?;
        let slots: UploadSlots = sqlx::query_as(
            r#"select slot_ms, bytes from upload_usage where key = $1 and slot_ms > $2 order by slot_ms"#,
        )
        .bind(&key[..])
        .bind(since_ms)
        .fetch_all(&mut *tx)
        .await?;
        let used: i64 = slots.iter().map(|(_, bytes)| bytes).sum();
        if used.saturating_add(size) > quota {
            return Ok(Err(slots));
        }
        if record {
            let slot_ms = match slots.last() {
                Some(&(latest, _)) if now - latest < slot_len_ms => latest,
                _ => now,
            };
            sqlx::query(
                r#"insert into upload_usage (key, slot_ms, bytes) values ($1, $2, $3)
                   on conflict (key, slot_ms) do update set bytes = upload_usage.bytes + excluded.bytes"#,
            )
            .bind(&key[..])
            .bind(slot_ms)
            .bind(size)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn claim_socket(
        &self,
        node: NodeId,
        user: UserId,
        cap: usize,
        register: &mut RegisterWithin<'_>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(r#"select id from users where id = $1 for update"#)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        // Only nodes still registered count: a stopped or swept node's sockets are gone.
        let elsewhere: i64 = sqlx::query_scalar(
            r#"select coalesce(sum(s.sockets), 0)::bigint from node_sockets s
               join nodes n on n.id = s.node_id
               where s.user_id = $1 and s.node_id <> $2"#,
        )
        .bind(user)
        .bind(node_key(node))
        .fetch_one(&mut *tx)
        .await?;
        let elsewhere = usize::try_from(elsewhere).unwrap_or(usize::MAX);
        if elsewhere >= cap {
            return Ok(false);
        }
        let here = register(cap - elsewhere);
        write_sockets(&mut tx, node, user, here).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn sync_sockets(
        &self,
        node: NodeId,
        user: UserId,
        count: &(dyn Fn() -> usize + Send + Sync),
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(r#"select id from users where id = $1 for update"#)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        // Read under the lock, so a claim and a sync of one user write in the order they read.
        write_sockets(&mut tx, node, user, count()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn purge_limits(&self, now: Millis, upload_since: Millis) -> Result<u64> {
        let mut removed = 0;
        for (sql, bound) in [
            (r#"delete from limit_buckets where idle_at <= $1"#, now),
            (r#"delete from login_failures where idle_at <= $1"#, now),
            (r#"delete from upload_usage where slot_ms <= $1"#, upload_since),
        ] {
            removed += sqlx::query(sql)
                .bind(bound)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        removed += sqlx::query(
            r#"delete from node_sockets s where not exists (select 1 from nodes n where n.id = s.node_id)"#,
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(removed)
    }
}

/// Stores `here` as `user`'s sockets on `node` (none: no row).
async fn write_sockets(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    node: NodeId,
    user: UserId,
    here: usize,
) -> Result<()> {
    if here == 0 {
        sqlx::query(r#"delete from node_sockets where node_id = $1 and user_id = $2"#)
            .bind(node_key(node))
            .bind(user)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query(
            r#"insert into node_sockets (node_id, user_id, sockets) values ($1, $2, $3)
               on conflict (node_id, user_id) do update set sockets = excluded.sockets"#,
        )
        .bind(node_key(node))
        .bind(user)
        .bind(i32::try_from(here).unwrap_or(i32::MAX))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
