//! The store's interface for reading messages: history pages by id, what changed since a revision,
//! single messages.

use super::{HistoryPage, Paging};
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use async_trait::async_trait;

/// The store for reading messages, as every backend implements it.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// A page of `room`'s history, oldest first. Without bounds, the newest messages.
    async fn history(&self, room: RoomId, paging: Paging) -> Result<HistoryPage>;

    /// A page of `room`'s history around message id `around`, oldest first: that message (if it
    /// is in the room) and up to `limit` messages in all, about half older than it. When one side
    /// runs out the other fills the page, so a page near either end is still full.
    async fn history_around(&self, room: RoomId, around: MessageId, limit: u32) -> Result<HistoryPage>;

    /// The newest edit-or-delete revision in `room` (0 if nothing was ever changed).
    async fn changes_rev(&self, room: RoomId) -> Result<i64>;

    /// Messages of `room` edited or deleted after revision `after`, in revision order, at most
    /// `limit`: each as it is now (a deleted one as its tombstone). `changes_rev` is where to
    /// continue: the last change returned when there are more, else the room's newest.
    async fn changes(&self, room: RoomId, after: i64, limit: u32) -> Result<HistoryPage>;

    /// Message `id`, deleted or not.
    async fn message(&self, id: MessageId) -> Result<Option<Message>>;

    /// Messages `ids` (deleted or not), in the order given; missing ones are left out.
    async fn messages_by_ids(&self, ids: &[MessageId]) -> Result<Vec<Message>>;

    /// The id of `user`'s message with `client_msg_id`, if they sent one.
    async fn message_by_client_id(&self, user: UserId, client_msg_id: &str) -> Result<Option<Message>>;
}
