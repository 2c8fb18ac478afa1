//! The store's interface for mentions: recording whom a message mentions, replacing that on edit,
//! counting a member's unread mentions and listing their recent ones.

use crate::error::Result;
use crate::model::{Message, MessageId, UserId};
use async_trait::async_trait;

/// The store for mentions, as every backend implements it.
#[async_trait]
pub trait MentionStore: Send + Sync {
    /// Live messages mentioning `user` (by name, or `@room` by someone else) in rooms they
    /// belong to, with ids below `before`, newest first: at most `limit`, and whether there
    /// are more.
    async fn mentions_of(&self, user: UserId, before: MessageId, limit: u32) -> Result<(Vec<Message>, bool)>;
}
