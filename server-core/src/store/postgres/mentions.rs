//! SQL for mentions on PostgreSQL: recording whom a message mentions, replacing that on edit,
//! counting a member's unread mentions and listing their recent ones.

use std::collections::HashMap;

use sqlx::PgConnection;

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::store::MentionStore;
use crate::store::NewMessage;
use crate::store::history::{fetch_limit, trim};
use crate::store::messages::json_param;
use crate::store::prelude::*;

/// Records the mentions of newly inserted messages: each `mention_keys` entry that names a
/// member of the message's room, other than its author. Returns whom each message mentions.
pub(super) async fn record(
    tx: &mut PgConnection,
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
           select (j ->> 0)::bigint, (j ->> 1)::bigint, u.id
           from jsonb_array_elements($1::jsonb) with ordinality as e(j, n)
           join users u on u.username_key = j ->> 3
           join room_memberships m on m.room_id = (j ->> 1)::bigint and m.user_id = u.id
           where u.id is distinct from (j ->> 2)::bigint
           order by n
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
pub(super) async fn replace(tx: &mut PgConnection, id: MessageId, keys: &[String]) -> Result<()> {
    sqlx::query(r#"delete from message_mentions where message_id = $1"#)
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
           join users u on u.username_key = any($2)
           join room_memberships m on m.room_id = x.room_id and m.user_id = u.id
           where x.id = $1 and u.id is distinct from x.user_id
           on conflict do nothing"#,
    )
    .bind(id)
    .bind(keys)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait]
impl MentionStore for PgStore {
    async fn mentions_of(&self, user: UserId, before: MessageId, limit: u32) -> Result<(Vec<Message>, bool)> {
        let mut ids: Vec<MessageId> = sqlx::query_scalar(
            r#"select id from (
                   select mm.message_id as id from message_mentions mm
                   join room_memberships r on r.room_id = mm.room_id and r.user_id = $1
                   where mm.user_id = $1 and mm.message_id < $2
                   union
                   select x.id from room_memberships r
                   join messages x on x.room_id = r.room_id
                   where r.user_id = $1 and x.id < $2 and x.mentions_room and not x.is_deleted
                     and x.user_id is distinct from $1) as mentioned
               order by id desc limit $3"#,
        )
        .bind(user)
        .bind(before)
        .bind(fetch_limit(limit))
        .fetch_all(&self.pool)
        .await?;
        let has_more = trim(&mut ids, limit);
        Ok((self.messages_by_ids(&ids).await?, has_more))
    }
}
