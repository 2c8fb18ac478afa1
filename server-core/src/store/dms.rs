//! The store's interface for direct conversations: finding or creating the one room of a set of
//! people, their participants, and closing and reopening a conversation in someone's list.

use crate::error::Result;
use crate::model::{RoomId, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// The store for direct conversations, as every backend implements it.
#[async_trait]
pub trait DmStore: Send + Sync {
    /// The direct room of exactly `people` (the opener among them), created if there is none.
    /// Returns it and whether it was created. Opening it shows it again to `opener` if they
    /// had closed it.
    async fn open_dm(&self, opener: UserId, people: &[UserId], now: Millis) -> Result<(RoomId, bool)>;

    /// Hides direct room `room` from `user`'s list until its next message; false if they are
    /// not in it.
    async fn close_dm(&self, room: RoomId, user: UserId) -> Result<bool>;
}
