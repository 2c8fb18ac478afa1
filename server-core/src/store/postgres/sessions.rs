//! Login sessions on PostgreSQL. Only a SHA-256 of each bearer token is stored.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{SessionId, UserId};
use crate::store::SessionStore;
use crate::store::sessions::SessionRecord;
use crate::time::Millis;

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(
        &self,
        user_id: UserId,
        token_hash: &[u8],
        now: Millis,
        expires_at: Millis,
    ) -> Result<SessionId> {
        Ok(sqlx::query_scalar(crate::store::sessions::CREATE_SESSION)
            .bind(user_id)
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn find_session(&self, token_hash: &[u8], now: Millis) -> Result<Option<SessionRecord>> {
        Ok(sqlx::query_as(crate::store::sessions::FIND_SESSION)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn delete_session(&self, id: SessionId) -> Result<()> {
        sqlx::query(crate::store::sessions::DELETE_SESSION)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user_id: UserId, keep: SessionId) -> Result<Vec<SessionId>> {
        Ok(sqlx::query_scalar(crate::store::sessions::DELETE_OTHER_SESSIONS)
            .bind(user_id)
            .bind(keep)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn purge_expired_sessions(&self, now: Millis) -> Result<u64> {
        Ok(sqlx::query(crate::store::sessions::PURGE_EXPIRED_SESSIONS)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
