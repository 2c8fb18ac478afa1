//! SQL for messages: batched appends (the single writer's transaction), history pages by id,
//! edits and soft deletes.

use super::Store;
use crate::error::Result;
use crate::model::{Attachment, Message, MessageId, MessageType, RoomId, UserId};
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
    /// The stored upload of an image or file message.
    pub attachment: Option<NewAttachment>,
}

/// An uploaded file already on disk, to be recorded with its message.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub id: String,
    pub file_name: String,
    pub size: i64,
    pub content_type: String,
    /// Width and height, for images.
    pub dimensions: Option<(i64, i64)>,
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
            "m.edited_at, m.is_deleted, m.client_msg_id, m.meta, ",
            "a.id as att_id, a.file_name as att_file_name, a.size as att_size, ",
            "a.content_type as att_content_type, a.is_image as att_is_image, ",
            "a.width as att_width, a.height as att_height ",
            "from messages m left join users u on u.id = m.user_id ",
            "left join attachments a on a.message_id = m.id ",
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
            if let (Some(id), Some(attachment)) = (id, &new.attachment) {
                sqlx::query(
                    r#"insert into attachments
                           (id, message_id, room_id, file_name, size, content_type, is_image, width, height, created_at)
                       values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"#,
                )
                .bind(&attachment.id)
                .bind(id)
                .bind(new.room_id)
                .bind(&attachment.file_name)
                .bind(attachment.size)
                .bind(&attachment.content_type)
                .bind(attachment.dimensions.is_some())
                .bind(attachment.dimensions.map(|d| d.0))
                .bind(attachment.dimensions.map(|d| d.1))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
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
                    attachment: new.attachment.as_ref().map(|a| {
                        Attachment::new(
                            a.id.clone(),
                            a.file_name.clone(),
                            a.size,
                            a.content_type.clone(),
                            a.dimensions,
                        )
                    }),
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

    /// Soft-deletes a message: flags it, clears its content and forgets its attachment. Returns
    /// `None` if it already was deleted, else the ids of attachments whose files must now go.
    pub async fn delete_message(&self, id: MessageId) -> Result<Option<Vec<String>>> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            r#"update messages set is_deleted = 1, content = '' where id = ?1 and is_deleted = 0"#,
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        let files: Vec<String> =
            sqlx::query_scalar(r#"delete from attachments where message_id = ?1 returning id"#)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Some(files))
    }

    /// The id of `user`'s message with `client_msg_id`, if they sent one.
    pub async fn message_by_client_id(&self, user: UserId, client_msg_id: &str) -> Result<Option<Message>> {
        Ok(
            sqlx::query_as(select_messages!("where m.user_id = ?1 and m.client_msg_id = ?2"))
                .bind(user)
                .bind(client_msg_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// The stored attachment `id`: its room, name, content type and whether it is an image.
    pub async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>> {
        Ok(sqlx::query_as(
            r#"select room_id, file_name, content_type, is_image from attachments where id = ?1"#,
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// Whether an attachment row `id` exists (the file sweep keeps only those).
    pub async fn attachment_exists(&self, id: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar(r#"select exists (select 1 from attachments where id = ?1)"#)
                .bind(id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Deletes up to `limit` of the oldest messages stamped before `cutoff`, in one short
    /// transaction. Returns how many went and the ids of their attachments.
    pub async fn delete_messages_before(&self, cutoff: Millis, limit: i64) -> Result<(u64, Vec<String>)> {
        let mut tx = self.write.begin().await?;
        let files: Vec<String> = sqlx::query_scalar(
            r#"select a.id from attachments a
               where a.message_id in (select id from messages where timestamp < ?1 order by id limit ?2)"#,
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let deleted = sqlx::query(
            r#"delete from messages where id in (select id from messages where timestamp < ?1 order by id limit ?2)"#,
        )
        .bind(cutoff)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((deleted, files))
    }

    /// How many messages, and how many attachments of how many bytes, are stamped before `cutoff`.
    pub async fn count_messages_before(&self, cutoff: Millis) -> Result<(i64, i64, i64)> {
        let messages: i64 = sqlx::query_scalar(r#"select count(*) from messages where timestamp < ?1"#)
            .bind(cutoff)
            .fetch_one(&self.read)
            .await?;
        let (files, bytes): (i64, i64) = sqlx::query_as(
            r#"select count(*), coalesce(sum(a.size), 0) from attachments a
               join messages m on m.id = a.message_id where m.timestamp < ?1"#,
        )
        .bind(cutoff)
        .fetch_one(&self.read)
        .await?;
        Ok((messages, files, bytes))
    }
}

/// An attachment row, for serving its file.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredAttachment {
    pub room_id: RoomId,
    pub file_name: String,
    pub content_type: String,
    pub is_image: bool,
}

impl Store {
    /// A server fact stored under `key`.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(r#"select value from server_meta where key = ?1"#)
                .bind(key)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Stores a server fact under `key`.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            r#"insert into server_meta (key, value) values (?1, ?2)
               on conflict (key) do update set value = excluded.value"#,
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
