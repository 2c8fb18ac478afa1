//! The store's interface for pins: pinning and unpinning a message (a new revision for it), a
//! room's pins.

use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// The store for pins, as every backend implements it.
#[async_trait]
pub trait PinStore: Send + Sync {
    /// Pins (by `user`, at `now`) or unpins live message `id`; whether anything changed, or
    /// `None` if there is no such live message.
    async fn set_pinned(
        &self,
        id: MessageId,
        user: UserId,
        pinned: bool,
        now: Millis,
    ) -> Result<Option<bool>>;

    /// `room`'s live pinned messages, the most recently pinned first.
    async fn pins(&self, room: RoomId) -> Result<Vec<Message>>;
}
