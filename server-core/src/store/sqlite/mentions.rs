//! SQLite's SQL for mentions: recording whom a message mentions, replacing that on edit, counting a
//! member's unread mentions and listing their recent ones.

use async_trait::async_trait;

use super::SqliteStore;
use super::messages::json_param;
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::store::history::{fetch_limit, trim};
use crate::store::mentions::MentionStore;
use crate::store::prelude::*;
use crate::store::{NewMessage, UNREAD_CAP};
use std::collections::HashMap;

/// Unread messages mentioning user ?1 in room ?2 after message ?3 (by name or `@room`, never
/// their own), at most ?4.
pub(super) const UNREAD_MENTIONS: &str = r#"
select count(*) from (
    select mm.message_id from message_mentions mm
    where mm.user_id = ?1 and mm.room_id = ?2 and mm.message_id > ?3
    union
    select x.id from messages x
    where x.room_id = ?2 and x.id > ?3 and x.mentions_room = 1 and x.is_deleted = 0
      and x.user_id is not ?1
    limit ?4)
"#;

/// Records the mentions of newly inserted messages: each `mention_keys` entry that names a
/// member of the message's room, other than its author. Returns whom each message mentions.
pub(super) async fn record(
    tx: &mut sqlx::SqliteConnection,
    inserted: &[(MessageId, &NewMessage)],
) -> Result<HashMap<MessageId, Vec<UserId>>> {
    let rows: Vec<(MessageId, RoomId, Option<UserId>, &str)> = inserted
        .iter()
        .flat_map(|(id, new)| {
            new.mention_keys
                .iter()
                .map(move |key| (*id, new.room_id, new.user_id, key.as_str()))
        })
        .collect();
    let mut mentioned: HashMap<MessageId, Vec<UserId>> = HashMap::new();
    if rows.is_empty() {
        return Ok(mentioned);
    }
    let pairs: Vec<(MessageId, UserId)> = sqlx::query_as(
        r#"insert into message_mentions (message_id, room_id, user_id)
           select j.value ->> 0, j.value ->> 1, u.id
           from json_each(?1) j
           cross join users u on u.username_key = j.value ->> 3
           cross join room_memberships m on m.room_id = j.value ->> 1 and m.user_id = u.id
           where u.id is not (j.value ->> 2)
           on conflict do nothing
           returning message_id, user_id"#,
    )
    .bind(json_param(&rows))
    .fetch_all(&mut *tx)
    .await?;
    for (message, user) in pairs {
        mentioned.entry(message).or_default().push(user);
    }
    Ok(mentioned)
}

/// Replaces whom message `id` mentions by the members of its room named by `keys`.
pub(super) async fn replace(tx: &mut sqlx::SqliteConnection, id: MessageId, keys: &[String]) -> Result<()> {
    sqlx::query(r#"delete from message_mentions where message_id = ?1"#)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        r#"insert into message_mentions (message_id, room_id, user_id)
           select x.id, x.room_id, u.id
           from messages x
           cross join users u on u.username_key in (select value from json_each(?2))
           cross join room_memberships m on m.room_id = x.room_id and m.user_id = u.id
           where x.id = ?1 and u.id is not x.user_id
           on conflict do nothing"#,
    )
    .bind(id)
    .bind(json_param(&keys))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How many unread messages mention `user` in `room` after their read marker `marker`.
pub(super) async fn unread(
    conn: &mut sqlx::SqliteConnection,
    user: UserId,
    room: RoomId,
    marker: MessageId,
) -> Result<i64> {
    Ok(sqlx::query_scalar(UNREAD_MENTIONS)
        .bind(user)
        .bind(room)
        .bind(marker)
        .bind(UNREAD_CAP)
        .fetch_one(conn)
        .await?)
}

#[async_trait]
impl MentionStore for SqliteStore {
    async fn mentions_of(&self, user: UserId, before: MessageId, limit: u32) -> Result<(Vec<Message>, bool)> {
        let mut ids: Vec<MessageId> = sqlx::query_scalar(
            r#"select id from (
                   select mm.message_id as id from message_mentions mm
                   join room_memberships r on r.room_id = mm.room_id and r.user_id = ?1
                   where mm.user_id = ?1 and mm.message_id < ?2
                   union
                   select x.id from room_memberships r
                   cross join messages x on x.room_id = r.room_id
                   where r.user_id = ?1 and x.id < ?2 and x.mentions_room = 1 and x.is_deleted = 0
                     and x.user_id is not ?1)
               order by id desc limit ?3"#,
        )
        .bind(user)
        .bind(before)
        .bind(fetch_limit(limit))
        .fetch_all(&self.read)
        .await?;
        let has_more = trim(&mut ids, limit);
        Ok((self.messages_by_ids(&ids).await?, has_more))
    }
}
