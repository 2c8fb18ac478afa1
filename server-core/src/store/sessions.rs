//! The store's interface for login sessions. Only a SHA-256 of each bearer token is stored.

use crate::error::Result;
use crate::model::{SessionId, UserId};
use crate::time::Millis;
use async_trait::async_trait;
use sqlx::FromRow;

/// A live session and the account behind it.
#[derive(Debug, FromRow)]
pub struct SessionRecord {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub username: String,
    pub is_admin: bool,
    pub expires_at: Millis,
    /// The account signed in with a temporary password it has not replaced yet.
    pub must_change_password: bool,
}

/// The store for login sessions, as every backend implements it.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session for `user_id`.
    async fn create_session(
        &self,
        user_id: UserId,
        token_hash: &[u8],
        now: Millis,
        expires_at: Millis,
    ) -> Result<SessionId>;

    /// The unexpired session whose token hashes to `token_hash`.
    async fn find_session(&self, token_hash: &[u8], now: Millis) -> Result<Option<SessionRecord>>;

    /// Revokes one session.
    async fn delete_session(&self, id: SessionId) -> Result<()>;

    /// Revokes every session of `user_id` except `keep`; returns the revoked ids.
    async fn delete_other_sessions(&self, user_id: UserId, keep: SessionId) -> Result<Vec<SessionId>>;

    /// Deletes sessions that expired before `now`; returns how many.
    async fn purge_expired_sessions(&self, now: Millis) -> Result<u64>;
}
