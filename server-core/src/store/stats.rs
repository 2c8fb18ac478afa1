//! The store's interface for the administrators' statistics and a person's export of their own
//! messages.

use crate::error::Result;
use crate::model::{MessageId, RoomId, UserId};
use crate::time::{self, Millis};
use async_trait::async_trait;
use serde::Serialize;
use sqlx::FromRow;

/// Counts for the statistics page.
#[derive(Debug, FromRow)]
pub struct Counts {
    pub people: i64,
    pub deactivated: i64,
    pub active_7_days: i64,
    pub rooms: i64,
    pub messages: i64,
}

/// One of my messages, as exported.
#[derive(Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct ExportedMessage {
    pub id: MessageId,
    pub room_id: RoomId,
    /// The channel's name; empty for a direct conversation.
    pub room_name: String,
    pub content: String,
    pub message_type: String,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Millis,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Millis>,
    pub thread_id: Option<MessageId>,
    /// An uploaded file's name (the file itself is not in the export).
    pub file_name: Option<String>,
}

/// The store for the administrators' statistics and a person's export of their own messages, as
/// every backend implements it.
#[async_trait]
pub trait StatsStore: Send + Sync {
    async fn counts(&self, now: Millis) -> Result<Counts>;

    /// Messages people sent per UTC day (days since the epoch) from `since` on, oldest first;
    /// days without any are left out.
    async fn messages_per_day(&self, since: Millis) -> Result<Vec<(i64, i64)>>;

    /// Every message `user` sent that still exists, oldest first.
    async fn export_messages(&self, user: UserId) -> Result<Vec<ExportedMessage>>;
}
