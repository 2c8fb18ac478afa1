//! The store's interface for what room admins change about their room: name, description, privacy,
//! and who else administers it.

use crate::error::Result;
use crate::model::{RoomId, UserId};
use async_trait::async_trait;

/// A room edit, already validated: `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct RoomEdit {
    /// Display name and its key.
    pub name: Option<(String, String)>,
    pub description: Option<String>,
    pub is_private: Option<bool>,
}

/// What making someone a room admin, or not, did.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminChange {
    Done,
    Unchanged,
    NotMember,
    /// Refused: the room's last admin.
    LastAdmin,
}

/// The store for what room admins change about their room, as every backend implements it.
#[async_trait]
pub trait RoomSettingsStore: Send + Sync {
    /// Applies `edit` to room `id`. A public name already taken is
    /// [`Conflict::RoomName`](super::Conflict).
    async fn update_room(&self, id: RoomId, edit: &RoomEdit) -> Result<()>;

    /// Makes member `user` an admin of `room`, or not; never removes the room's last admin.
    async fn set_room_admin(&self, room: RoomId, user: UserId, admin: bool) -> Result<AdminChange>;
}
