//! The store's interface for rooms and memberships: listing rooms as one user sees them, joining,
//! leaving, member management and read markers.

use crate::error::Result;
use crate::model::{Member, MessageId, Room, RoomId, RoomKind, User, UserId};
use crate::time::Millis;
use async_trait::async_trait;
use std::collections::HashMap;

/// A room's own row, without any viewer's perspective.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RoomRow {
    pub id: RoomId,
    pub name: String,
}

/// The store for rooms and memberships, as every backend implements it.
#[async_trait]
pub trait RoomStore: Send + Sync {
    /// Creates a default room (a public one every new account joins) unless a public one with
    /// the same normalized name exists; returns whether it did.
    async fn ensure_room(&self, name: &str, name_key: &str, description: &str, now: Millis) -> Result<bool>;

    /// Creates a room with `creator` as its admin member. Names are unique among public rooms
    /// only; a taken public name is [`Conflict::RoomName`](super::Conflict::RoomName).
    async fn create_room(
        &self,
        name: &str,
        name_key: &str,
        description: &str,
        is_private: bool,
        creator: UserId,
        now: Millis,
    ) -> Result<RoomId>;

    /// Every room `user` may see, with their membership, admin rights and unread count.
    async fn rooms_for(&self, user: UserId, server_admin: bool) -> Result<Vec<Room>>;

    /// Room `room` as `user` sees it; `None` if it does not exist or is private to others.
    async fn room_for(&self, user: UserId, server_admin: bool, room: RoomId) -> Result<Option<Room>>;

    /// When `user` created their rooms created after `since`: the newest `limit` of them.
    async fn rooms_created_since(&self, user: UserId, since: Millis, limit: u32) -> Result<Vec<Millis>>;

    /// Makes `user` a member of `room`; returns false if they already were. The history before
    /// they joined is there to read, but not counted as unread.
    async fn add_member(&self, room: RoomId, user: UserId, now: Millis) -> Result<bool>;

    /// Removes `user` from `room`; returns false if they were not a member. A room whose last
    /// admin leaves hands admin rights to its longest-standing member, so no room is orphaned.
    async fn remove_member(&self, room: RoomId, user: UserId) -> Result<bool>;

    /// The members of `room`, admins first, then by name.
    async fn members(&self, room: RoomId) -> Result<Vec<Member>>;

    /// One member of `room`.
    async fn member(&self, room: RoomId, user: UserId) -> Result<Option<Member>>;

    /// The ids of every room `user` belongs to.
    async fn member_room_ids(&self, user: UserId) -> Result<Vec<RoomId>>;

    /// Moves `user`'s read marker in `room` forward to `message` (never backwards, never past
    /// the newest message). Returns the new marker, unread count and mention count (every
    /// unread message of a direct room), or `None` if not a member.
    async fn mark_read(
        &self,
        room: RoomId,
        user: UserId,
        message: MessageId,
    ) -> Result<Option<(MessageId, i64, i64)>>;
}

/// Completes rooms read for one viewer: direct rooms get their other participants, which
/// `participants` fetches given the direct rooms' ids, and count every unread message as a
/// mention.
pub(crate) async fn settle<F, Fut>(rooms: &mut [Room], participants: F) -> Result<()>
where
    F: FnOnce(Vec<RoomId>) -> Fut,
    Fut: Future<Output = Result<HashMap<RoomId, Vec<User>>>>,
{
    let direct: Vec<RoomId> = rooms
        .iter()
        .filter(|r| r.kind == RoomKind::Direct)
        .map(|r| r.id)
        .collect();
    if direct.is_empty() {
        return Ok(());
    }
    let mut people = participants(direct).await?;
    for room in rooms.iter_mut().filter(|r| r.kind == RoomKind::Direct) {
        room.mention_count = room.unread_count;
        room.dm_users = Some(people.remove(&room.id).unwrap_or_default());
    }
    Ok(())
}
