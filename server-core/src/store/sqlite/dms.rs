//! SQLite's SQL for direct conversations: finding or creating the one room of a set of people,
//! their participants, and closing and reopening a conversation in someone's list.

use async_trait::async_trait;

use super::SqliteStore;
use super::messages::json_param;
use crate::error::Result;
use crate::model::{RoomId, User, UserId};
use crate::store::dms::{self, DmStore, Participant, dm_key};
use crate::time::Millis;
use std::collections::HashMap;

/// Shows the direct rooms among `rooms` again to everyone who had closed them: a new message
/// reopens a conversation.
pub(super) async fn reopen(
    tx: &mut sqlx::SqliteConnection,
    rooms: impl Iterator<Item = RoomId>,
) -> Result<()> {
    let mut rooms: Vec<RoomId> = rooms.collect();
    rooms.sort_unstable();
    rooms.dedup();
    if rooms.is_empty() {
        return Ok(());
    }
    sqlx::query(
        // Only direct rooms' memberships are looked at: a lobby's thousands are never scanned.
        r#"update room_memberships set is_hidden = 0
           where room_id in (select id from rooms
                             where id in (select value from json_each(?1)) and kind = 'direct')
             and is_hidden = 1"#,
    )
    .bind(json_param(&rooms))
    .execute(tx)
    .await?;
    Ok(())
}

#[async_trait]
impl DmStore for SqliteStore {
    async fn open_dm(&self, opener: UserId, people: &[UserId], now: Millis) -> Result<(RoomId, bool)> {
        let key = dm_key(people);
        let mut tx = self.write.begin().await?;
        let existing: Option<RoomId> = sqlx::query_scalar(r#"select id from rooms where dm_key = ?1"#)
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                // The control character keeps the key out of every channel name's way
                // (`validate::room_name` refuses control characters).
                let id: RoomId = sqlx::query_scalar(
                    r#"insert into rooms (name, name_key, is_private, created_by, created_at, kind, dm_key)
                       values ('', char(1) || 'dm:' || ?1, 1, ?2, ?3, 'direct', ?1) returning id"#,
                )
                .bind(&key)
                .bind(opener)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    r#"insert into room_memberships (room_id, user_id, joined_at)
                       select ?1, value, ?2 from json_each(?3)"#,
                )
                .bind(id)
                .bind(now)
                .bind(json_param(&people))
                .execute(&mut *tx)
                .await?;
                (id, true)
            }
        };
        sqlx::query(r#"update room_memberships set is_hidden = 0 where room_id = ?1 and user_id = ?2"#)
            .bind(id)
            .bind(opener)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((id, created))
    }

    async fn close_dm(&self, room: RoomId, user: UserId) -> Result<bool> {
        let result =
            sqlx::query(r#"update room_memberships set is_hidden = 1 where room_id = ?1 and user_id = ?2"#)
                .bind(room)
                .bind(user)
                .execute(&self.write)
                .await?;
        Ok(result.rows_affected() == 1)
    }
}

impl SqliteStore {
    /// The participants of each direct room in `rooms` other than `user`, by name.
    pub(super) async fn dm_users(
        &self,
        user: UserId,
        rooms: Vec<RoomId>,
    ) -> Result<HashMap<RoomId, Vec<User>>> {
        let rows: Vec<Participant> = sqlx::query_as(concat!(
            "select m.room_id, ",
            user_columns!(),
            " from room_memberships m join users u on u.id = m.user_id ",
            "where m.room_id in (select value from json_each(?1)) and m.user_id != ?2 ",
            "order by m.room_id, u.username_key"
        ))
        .bind(json_param(&rooms))
        .bind(user)
        .fetch_all(&self.read)
        .await?;
        Ok(dms::by_room(rows))
    }
}
