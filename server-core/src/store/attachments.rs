//! The store's interface for what outlives a message's sending: attachment rows (for serving and
//! sweeping their files), the retention job's deletes and counts, and small server facts
//! (`server_meta`).

use crate::error::Result;
use crate::model::RoomId;
use crate::time::Millis;
use async_trait::async_trait;

/// An attachment row, for serving its file.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredAttachment {
    pub room_id: RoomId,
    pub file_name: String,
    pub content_type: String,
    pub is_image: bool,
}

/// The store for what outlives a message's sending, as every backend implements it.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// The stored attachment `id`: its room, name, content type and whether it is an image.
    async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>>;

    /// Whether an attachment row `id` exists (the file sweep keeps only those).
    async fn attachment_exists(&self, id: &str) -> Result<bool>;

    /// Deletes up to `limit` of the oldest messages stamped before `cutoff`, in one short
    /// transaction. Returns how many went and the ids of their attachments.
    async fn delete_messages_before(&self, cutoff: Millis, limit: i64) -> Result<(u64, Vec<String>)>;

    /// How many messages, and how many attachments of how many bytes, are stamped before `cutoff`.
    async fn count_messages_before(&self, cutoff: Millis) -> Result<(i64, i64, i64)>;

    /// A server fact stored under `key`.
    async fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Stores a server fact under `key`.
    async fn set_meta(&self, key: &str, value: &str) -> Result<()>;
}
