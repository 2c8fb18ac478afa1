//! SQLite's SQL for login sessions. Only a SHA-256 of each bearer token is stored.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::{SessionId, UserId};
use crate::store::sessions::{SessionRecord, SessionStore};
use crate::time::Millis;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        user_id: UserId,
        token_hash: &[u8],
        now: Millis,
        expires_at: Millis,
    ) -> Result<SessionId> {
        Ok(sqlx::query_scalar(
            r#"insert into sessions (user_id, token_hash, created_at, expires_at)
               values (?1, ?2, ?3, ?4) returning id"#,
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&self.write)
        .await?)
    }

    async fn find_session(&self, token_hash: &[u8], now: Millis) -> Result<Option<SessionRecord>> {
        Ok(sqlx::query_as(
            r#"select s.id as session_id, s.user_id, u.username, u.is_admin, s.expires_at,
                      u.must_change_password
               from sessions s join users u on u.id = s.user_id
               where s.token_hash = ?1 and s.expires_at > ?2 and u.deactivated_at is null"#,
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn delete_session(&self, id: SessionId) -> Result<()> {
        sqlx::query(r#"delete from sessions where id = ?1"#)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user_id: UserId, keep: SessionId) -> Result<Vec<SessionId>> {
        Ok(
            sqlx::query_scalar(r#"delete from sessions where user_id = ?1 and id != ?2 returning id"#)
                .bind(user_id)
                .bind(keep)
                .fetch_all(&self.write)
                .await?,
        )
    }

    async fn purge_expired_sessions(&self, now: Millis) -> Result<u64> {
        Ok(sqlx::query(r#"delete from sessions where expires_at <= ?1"#)
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected())
    }
}
