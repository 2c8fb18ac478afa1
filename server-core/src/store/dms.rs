//! The store's interface for direct conversations: finding or creating the one room of a set of
//! people, their participants, and closing and reopening a conversation in someone's list.

use crate::error::Result;
use crate::model::{RoomId, User, UserId};
use crate::time::Millis;
use async_trait::async_trait;
use std::collections::HashMap;

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

/// The one key of a set of people: their ids sorted, without repeats, comma-separated.
pub(crate) fn dm_key(people: &[UserId]) -> String {
    let mut ids = people.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// A participant of a direct room, as a backend reads them to list conversations.
#[derive(sqlx::FromRow)]
pub(crate) struct Participant {
    room_id: RoomId,
    #[sqlx(flatten)]
    user: User,
}

/// `rows` grouped by room, in the order read.
pub(crate) fn by_room(rows: Vec<Participant>) -> HashMap<RoomId, Vec<User>> {
    let mut people: HashMap<RoomId, Vec<User>> = HashMap::new();
    for row in rows {
        people.entry(row.room_id).or_default().push(row.user);
    }
    people
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_set_of_people_has_one_key() {
        assert_eq!(super::dm_key(&[3, 1, 2]), "1,2,3");
        assert_eq!(super::dm_key(&[2, 1, 3, 1]), "1,2,3");
    }
}
