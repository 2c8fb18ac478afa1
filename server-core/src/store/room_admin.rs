//! The store's interface for rooms as server administrators manage them: the list (never content),
//! archiving and deleting.

use crate::error::Result;
use crate::model::{AdminRoom, RoomId, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// What deleting a room removed, for the caller to finish the job outside the database.
#[derive(Debug)]
pub struct DeletedRoom {
    pub name: String,
    pub is_private: bool,
    /// Who was in it: they are told it is gone.
    pub members: Vec<UserId>,
    /// Its uploaded files (ids in the uploads folder), now unreferenced.
    pub files: Vec<String>,
}

/// The store for rooms as server administrators manage them, as every backend implements it.
#[async_trait]
pub trait RoomAdminStore: Send + Sync {
    /// Every room, conversations included, with counts and dates but no content.
    async fn admin_rooms(&self) -> Result<Vec<AdminRoom>>;

    /// Archives (`Some(now)`) or unarchives (`None`) channel `id`; whether it changed.
    async fn set_archived(&self, id: RoomId, at: Option<Millis>) -> Result<bool>;

    /// Deletes room `id` with its memberships, messages and attachment rows (cascading).
    async fn delete_room(&self, id: RoomId) -> Result<Option<DeletedRoom>>;
}
