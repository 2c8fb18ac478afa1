//! SQL for messages: batched appends (the single writer's transaction), history pages by id,
//! edits and soft deletes.

use super::Store;
use crate::error::Result;
use crate::model::{Message, MessageId, MessageType, RoomId, UserId};
use crate::time::Millis;

/// A message waiting to be stored.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub room_id: RoomId,
    /// `None` for system messages.
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    pub content: String,
    pub message_type: MessageType,
    pub client_msg_id: Option<String>,
    /// System event JSON (see `model::SystemEvent`).
    pub meta: Option<String>,
}

/// What became of one appended message.
#[derive(Clone, Debug)]
pub enum AppendOutcome {
    Created(Message),
    /// The sender already sent this `client_msg_id`; here is the stored message.
    Duplicate(Message),
    /// The sender is not a member of the room (or the room does not exist).
    NotMember,
}

/// Which slice of a room's history to read.
#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    pub limit: u32,
}

/// A page of history, oldest first.
#[derive(Debug)]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    /// More messages exist past the page's far end: older ones for the latest page or a
    /// `before` page, newer ones for an `after` page.
    pub has_more: bool,
}

macro_rules! select_messages {
    ($($rest:literal)*) => {
        concat!(
            "select m.id, m.room_id, m.user_id, u.username, m.content, m.message_type, m.timestamp, ",
            "m.edited_at, m.is_deleted, m.client_msg_id, m.meta ",
            "from messages m left join users u on u.id = m.user_id ",
            $($rest),*
        )
    };
}

impl Store {
    /// Stores a batch of messages in one transaction, in order. Each message from a user is
    /// stored only if they are a member of its room, and only once per `client_msg_id`.
    pub async fn append_messages(&self, batch: &[NewMessage], now: Millis) -> Result<Vec<AppendOutcome>> {
        let mut tx = self.write.begin().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for new in batch {
            let id: Option<MessageId> = sqlx::query_scalar(
                r#"insert into messages (room_id, user_id, content, message_type, timestamp, client_msg_id, meta)
                   select ?1, ?2, ?3, ?4, ?5, ?6, ?7
                   where ?2 is null
                      or exists (select 1 from room_memberships where room_id = ?1 and user_id = ?2)
                   on conflict (user_id, client_msg_id) where client_msg_id is not null do nothing
                   returning id"#,
            )
            .bind(new.room_id)
            .bind(new.user_id)
            .bind(&new.content)
            .bind(new.message_type)
            .bind(now)
            .bind(&new.client_msg_id)
            .bind(&new.meta)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match (id, &new.client_msg_id) {
                (Some(id), _) => AppendOutcome::Created(Message {
                    id,
                    room_id: new.room_id,
                    user_id: new.user_id,
                    username: new.username.clone(),
                    content: new.content.clone(),
                    message_type: new.message_type,
                    timestamp: now,
                    edited_at: None,
                    is_deleted: false,
                    client_msg_id: new.client_msg_id.clone(),
                    system: new.meta.clone(),
                }),
                (None, Some(client_msg_id)) => {
                    let existing: Option<Message> =
                        sqlx::query_as(select_messages!("where m.user_id = ?1 and m.client_msg_id = ?2"))
                            .bind(new.user_id)
                            .bind(client_msg_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    existing.map_or(AppendOutcome::NotMember, AppendOutcome::Duplicate)
                }
                (None, None) => AppendOutcome::NotMember,
            };
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// A page of `room`'s history, oldest first. Without bounds, the newest messages.
    pub async fn history(&self, room: RoomId, paging: Paging) -> Result<HistoryPage> {
        let limit = i64::from(paging.limit);
        let mut messages: Vec<Message> = match paging.after {
            // Forward from `after` (catching up): oldest first straight from the index.
            Some(after) => {
                sqlx::query_as(select_messages!(
                    "where m.room_id = ?1 and m.id > ?2 and m.id < ?3 order by m.id asc limit ?4"
                ))
                .bind(room)
                .bind(after)
                .bind(paging.before.unwrap_or(MessageId::MAX))
                .bind(limit + 1)
                .fetch_all(&self.read)
                .await?
            }
            // Backward from `before` (or from the newest): newest first, reversed below.
            None => {
                sqlx::query_as(select_messages!(
                    "where m.room_id = ?1 and m.id < ?2 order by m.id desc limit ?3"
                ))
                .bind(room)
                .bind(paging.before.unwrap_or(MessageId::MAX))
                .bind(limit + 1)
                .fetch_all(&self.read)
                .await?
            }
        };
        let has_more = messages.len() > paging.limit as usize;
        messages.truncate(paging.limit as usize);
        if paging.after.is_none() {
            messages.reverse();
        }
        Ok(HistoryPage { messages, has_more })
    }

    /// Message `id`, deleted or not.
    pub async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(sqlx::query_as(select_messages!("where m.id = ?1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?)
    }

    /// Replaces the content of a live message and stamps `edited_at`; `None` if it is gone.
    pub async fn edit_message(&self, id: MessageId, content: &str, now: Millis) -> Result<Option<Message>> {
        let updated = sqlx::query(
            r#"update messages set content = ?2, edited_at = ?3 where id = ?1 and is_deleted = 0"#,
        )
        .bind(id)
        .bind(content)
        .bind(now)
        .execute(&self.write)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        self.message(id).await
    }

    /// Soft-deletes a message: flags it and clears its content. Returns false if it already was.
    pub async fn delete_message(&self, id: MessageId) -> Result<bool> {
        let updated = sqlx::query(
            r#"update messages set is_deleted = 1, content = '' where id = ?1 and is_deleted = 0"#,
        )
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}
