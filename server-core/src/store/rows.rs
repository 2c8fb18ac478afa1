//! How a message row decodes, written once for every backend's rows ([`message`]): each
//! backend's `FromRow` for its row type (`sqlite/rows.rs`, `postgres/rows.rs`) calls it.

use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::model::{Attachment, Message, MessageId, MessageType, Reaction, ReplyTo, ThreadSummary, UserId};

/// A message from a row read by `select_messages!` (or a backend's version of it): joined to
/// its attachment, whose columns are prefixed `att_`, and its quoted message (`rt_`), with
/// mentions, thread summary and reactions as JSON text.
pub(super) fn message<'r, R>(row: &'r R) -> Result<Message, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    MessageType: Decode<'r, R::Database> + Type<R::Database>,
{
    let attachment = match row.try_get::<Option<String>, _>("att_id")? {
        Some(id) => {
            let is_image: bool = row.try_get("att_is_image")?;
            let dimensions = match (row.try_get("att_width")?, row.try_get("att_height")?) {
                (Some(w), Some(h)) if is_image => Some((w, h)),
                _ => None,
            };
            Some(Attachment::new(
                id,
                row.try_get("att_file_name")?,
                row.try_get("att_size")?,
                row.try_get("att_content_type")?,
                dimensions,
            ))
        }
        None => None,
    };
    Ok(Message {
        id: row.try_get("id")?,
        room_id: row.try_get("room_id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        content: row.try_get("content")?,
        message_type: row.try_get("message_type")?,
        timestamp: row.try_get("timestamp")?,
        edited_at: row.try_get("edited_at")?,
        is_deleted: row.try_get("is_deleted")?,
        client_msg_id: row.try_get("client_msg_id")?,
        system: row.try_get("meta")?,
        attachment,
        mentions: serde_json::from_str(row.try_get::<&str, _>("mentions")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        mentions_room: row.try_get("mentions_room")?,
        reply_to: reply_to(row)?,
        thread_id: row.try_get("thread_id")?,
        also_to_room: row.try_get("also_to_room")?,
        thread: thread(row.try_get("thread")?)?,
        reactions: reactions(row.try_get("reactions")?)?,
        is_pinned: row.try_get::<Option<i64>, _>("pinned_at")?.is_some(),
    })
}

fn decode_error(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// The quoted message of a reply, from the `rt_` columns: deleted when it is gone or erased.
fn reply_to<'r, R>(row: &'r R) -> Result<Option<ReplyTo>, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    MessageType: Decode<'r, R::Database> + Type<R::Database>,
{
    let Some(id) = row.try_get::<Option<MessageId>, _>("reply_to_id")? else {
        return Ok(None);
    };
    let live = row.try_get::<Option<MessageId>, _>("rt_id")?.is_some()
        && !row.try_get::<Option<bool>, _>("rt_deleted")?.unwrap_or(true);
    if !live {
        return Ok(Some(ReplyTo::Deleted { id, is_deleted: true }));
    }
    let content: String = row.try_get("rt_content")?;
    let kind: Option<MessageType> = row.try_get("rt_type")?;
    Ok(Some(ReplyTo::Live {
        id,
        user_id: row.try_get("rt_user_id")?,
        username: row.try_get("rt_username")?,
        excerpt: crate::excerpt::excerpt(&content, kind),
    }))
}

fn thread(json: &str) -> Result<Option<ThreadSummary>, sqlx::Error> {
    let mut summary: ThreadSummary = serde_json::from_str(json).map_err(decode_error)?;
    if summary.reply_count == 0 {
        return Ok(None);
    }
    summary.participant_ids.sort_unstable();
    Ok(Some(summary))
}

fn reactions(json: &str) -> Result<Vec<Reaction>, sqlx::Error> {
    let mut rows: Vec<(String, i64, Vec<UserId>, i64)> = serde_json::from_str(json).map_err(decode_error)?;
    rows.sort_by_key(|r| r.3);
    Ok(rows
        .into_iter()
        .map(|(emoji, count, user_ids, _)| Reaction {
            emoji,
            count,
            user_ids,
        })
        .collect())
}
