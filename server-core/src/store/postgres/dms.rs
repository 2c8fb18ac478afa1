//! Direct conversations on PostgreSQL: finding or creating the one room of a set of people,
//! their participants, and closing and reopening a conversation in someone's list.

use async_trait::async_trait;

use super::PgStore;
use super::users::pg_user_columns;
use crate::error::Result;
use crate::model::{RoomId, User, UserId};
use crate::store::dms::{self, DmStore, Participant, dm_key};
use crate::time::Millis;
use std::collections::HashMap;

#[async_trait]
impl DmStore for PgStore {
    async fn open_dm(&self, opener: UserId, people: &[UserId], now: Millis) -> Result<(RoomId, bool)> {
        let key = dm_key(people);
        let mut tx = self.pool.begin().await?;
        let existing: Option<RoomId> = sqlx::query_scalar(r#"select id from rooms where dm_key = $1"#)
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                // Two nodes may open the same new conversation at once: the unique index on
                // `dm_key` lets one insert win; the other's insert waits for it, does nothing,
                // and reads the winner's room (read committed: the next statement sees it).
                // The control character keeps the key out of every channel name's way
                // (`validate::room_name` refuses control characters).
                let inserted: Option<RoomId> = sqlx::query_scalar(
                    r#"insert into rooms (name, name_key, is_private, created_by, created_at, kind, dm_key)
                       values ('', chr(1) || 'dm:' || $1, true, $2, $3, 'direct', $1)
                       on conflict (dm_key) where dm_key is not null do nothing
                       returning id"#,
                )
                .bind(&key)
                .bind(opener)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                match inserted {
                    Some(id) => {
                        sqlx::query(
                            r#"insert into room_memberships (room_id, user_id, joined_at)
                               select $1, p, $2 from unnest($3::bigint[]) p"#,
                        )
                        .bind(id)
                        .bind(now)
                        .bind(people)
                        .execute(&mut *tx)
                        .await?;
                        (id, true)
                    }
                    None => {
                        let id: RoomId = sqlx::query_scalar(r#"select id from rooms where dm_key = $1"#)
                            .bind(&key)
                            .fetch_one(&mut *tx)
                            .await?;
                        (id, false)
                    }
                }
            }
        };
        sqlx::query(r#"update room_memberships set is_hidden = false where room_id = $1 and user_id = $2"#)
            .bind(id)
            .bind(opener)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((id, created))
    }

    async fn close_dm(&self, room: RoomId, user: UserId) -> Result<bool> {
        let result = sqlx::query(
            r#"update room_memberships set is_hidden = true where room_id = $1 and user_id = $2"#,
        )
        .bind(room)
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

impl PgStore {
    /// The participants of each direct room in `rooms` other than `user`, by name.
    pub(super) async fn dm_users(
        &self,
        user: UserId,
        rooms: Vec<RoomId>,
    ) -> Result<HashMap<RoomId, Vec<User>>> {
        let rows: Vec<Participant> = sqlx::query_as(concat!(
            "select m.room_id, ",
            pg_user_columns!(),
            " from room_memberships m join users u on u.id = m.user_id ",
            "where m.room_id = any($1) and m.user_id <> $2 ",
            "order by m.room_id, u.username_key"
        ))
        .bind(rooms)
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok(dms::by_room(rows))
    }
}

/// Shows the direct rooms among `rooms` again to everyone who had closed them: a new message
/// reopens a conversation. Run in the message's transaction (postgres/messages.rs).
#[allow(dead_code)] // until the messages half calls it
pub(super) async fn reopen(tx: &mut sqlx::PgConnection, rooms: impl Iterator<Item = RoomId>) -> Result<()> {
    let mut rooms: Vec<RoomId> = rooms.collect();
    rooms.sort_unstable();
    rooms.dedup();
    if rooms.is_empty() {
        return Ok(());
    }
    sqlx::query(
        // Only direct rooms' memberships are looked at: a lobby's thousands are never scanned.
        r#"update room_memberships set is_hidden = false
           where room_id in (select id from rooms where id = any($1) and kind = 'direct')
             and is_hidden"#,
    )
    .bind(&rooms)
    .execute(tx)
    .await?;
    Ok(())
}
