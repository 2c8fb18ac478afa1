//! The store's interface for full-text search: finding candidates for a query among the messages a
//! person can see, and what search pages need around them. Each backend keeps its index in step
//! with `messages` inside the writes' own transactions; segmenting and ranking are
//! storage-independent (`crate::search`).

use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, RoomKind, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// What a search may be narrowed to, besides its text.
#[derive(Clone, Debug, Default)]
pub struct SearchFilter {
    /// The searcher: only rooms and conversations they belong to are searched.
    pub user: UserId,
    /// FTS5 match expression; `None` to filter only.
    pub matching: Option<String>,
    /// Only messages with ids up to this one (a snapshot, or a cursor's position).
    pub max_id: MessageId,
    pub from: Option<UserId>,
    pub room: Option<RoomId>,
    /// Timestamps in `[since, until)`.
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    pub has_attachment: bool,
    pub has_image: bool,
    pub has_link: bool,
    /// Only pinned messages.
    pub pinned: bool,
}

/// A message that matched, with what ranking needs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SearchHit {
    pub id: MessageId,
    pub content: String,
    pub timestamp: Millis,
}

/// The store for full-text search, as every backend implements it.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Up to `limit` messages matching `filter`, newest first. With a match expression the
    /// index drives the scan (newest match first, so a common term stops early).
    async fn search(&self, filter: &SearchFilter, limit: u32) -> Result<Vec<SearchHit>>;

    /// The newest message id, the snapshot a new search reads up to.
    async fn newest_message_id(&self) -> Result<MessageId>;

    /// Messages `ids` in that order, for results.
    async fn messages_in_order(&self, ids: &[MessageId]) -> Result<Vec<Message>>;

    /// Id, name and kind of rooms `ids`.
    async fn room_summaries(&self, ids: &[RoomId]) -> Result<Vec<(RoomId, String, RoomKind)>>;

    /// The room named `name_key` among those `user` belongs to.
    async fn member_room_by_key(&self, user: UserId, name_key: &str) -> Result<Option<RoomId>>;
}
