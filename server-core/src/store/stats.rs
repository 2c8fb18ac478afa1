//! SQL for the administrators' statistics and a person's export of their own messages.

use serde::Serialize;
use sqlx::FromRow;

use super::Store;
use crate::error::Result;
use crate::model::{MessageId, RoomId, UserId};
use crate::time::{self, Millis};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Counts for the statistics page.
#[derive(Debug, FromRow)]
pub struct Counts {
    pub people: i64,
    pub deactivated: i64,
    pub active_7_days: i64,
    pub rooms: i64,
    pub messages: i64,
}

/// One of my messages, as exported.
#[derive(Debug, Serialize, FromRow, utoipa::ToSchema)]
pub struct ExportedMessage {
    pub id: MessageId,
    pub room_id: RoomId,
    /// The channel's name; empty for a direct conversation.
    pub room_name: String,
    pub content: String,
    pub message_type: String,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Millis,
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Millis>,
    pub thread_id: Option<MessageId>,
    /// An uploaded file's name (the file itself is not in the export).
    pub file_name: Option<String>,
}

impl Store {
    pub async fn counts(&self, now: Millis) -> Result<Counts> {
        Ok(sqlx::query_as(
            r#"select (select count(*) from users) as people,
                      (select count(*) from users where deactivated_at is not null) as deactivated,
                      (select count(*) from users
                       where deactivated_at is null and (is_online = 1 or last_seen >= ?1)) as active_7_days,
                      (select count(*) from rooms where kind = 'channel') as rooms,
                      (select count(*) from messages where message_type != 'system' and is_deleted = 0) as messages"#,
        )
        .bind(now - 7 * DAY_MS)
        .fetch_one(&self.read)
        .await?)
    }

    /// Messages people sent per UTC day (days since the epoch) from `since` on, oldest first;
    /// days without any are left out.
    pub async fn messages_per_day(&self, since: Millis) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            r#"select timestamp / ?2 as day, count(*) from messages
               where timestamp >= ?1 and message_type != 'system'
               group by day order by day"#,
        )
        .bind(since)
        .bind(DAY_MS)
        .fetch_all(&self.read)
        .await?)
    }

    /// Every message `user` sent that still exists, oldest first.
    pub async fn export_messages(&self, user: UserId) -> Result<Vec<ExportedMessage>> {
        Ok(sqlx::query_as(
            r#"select m.id, m.room_id, case when r.kind = 'direct' then '' else r.name end as room_name,
                      m.content, m.message_type, m.timestamp, m.edited_at, m.thread_id,
                      a.file_name
               from messages m join rooms r on r.id = m.room_id
               left join attachments a on a.message_id = m.id
               where m.user_id = ?1 and m.is_deleted = 0
               order by m.id"#,
        )
        .bind(user)
        .fetch_all(&self.read)
        .await?)
    }
}
