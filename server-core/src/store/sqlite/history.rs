//! SQLite's SQL for reading messages: history pages by id, what changed since a revision, single
//! messages.

use async_trait::async_trait;

use super::SqliteStore;
use super::messages::json_param;
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::store::history::{self, HistoryStore, fetch_limit};
use crate::store::{HistoryPage, Paging};

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn history(&self, room: RoomId, paging: Paging) -> Result<HistoryPage> {
        // Read before the page: a change made in between is then fetched again later, never missed.
        let changes_rev = self.changes_rev(room).await?;
        let before = paging.before.unwrap_or(MessageId::MAX);
        let rows = match paging.after {
            // Forward from `after` (catching up): oldest first straight from the index.
            Some(after) => {
                sqlx::query_as(select_messages!(
                    "where m.room_id = ?1 and m.id > ?2 and m.id < ?3 order by m.id asc limit ?4"
                ))
                .bind(room)
                .bind(after)
                .bind(before)
                .bind(fetch_limit(paging.limit))
                .fetch_all(&self.read)
                .await?
            }
            // Backward from `before` (or from the newest): newest first.
            None => {
                sqlx::query_as(select_messages!(
                    "where m.room_id = ?1 and m.id < ?2 order by m.id desc limit ?3"
                ))
                .bind(room)
                .bind(before)
                .bind(fetch_limit(paging.limit))
                .fetch_all(&self.read)
                .await?
            }
        };
        Ok(history::page(rows, paging, changes_rev))
    }

    async fn history_around(&self, room: RoomId, around: MessageId, limit: u32) -> Result<HistoryPage> {
        let changes_rev = self.changes_rev(room).await?;
        let older = sqlx::query_as(select_messages!(
            "where m.room_id = ?1 and m.id < ?2 order by m.id desc limit ?3"
        ))
        .bind(room)
        .bind(around)
        .bind(fetch_limit(limit))
        .fetch_all(&self.read)
        .await?;
        let newer = sqlx::query_as(select_messages!(
            "where m.room_id = ?1 and m.id >= ?2 order by m.id asc limit ?3"
        ))
        .bind(room)
        .bind(around)
        .bind(fetch_limit(limit))
        .fetch_all(&self.read)
        .await?;
        Ok(history::page_around(older, newer, limit, changes_rev))
    }

    async fn latest_ids(&self, rooms: &[RoomId]) -> Result<Vec<(RoomId, MessageId)>> {
        // A correlated `max` is one step down `messages_room_id` per room; a `group by` would
        // read every message of those rooms.
        let rows: Vec<(RoomId, Option<MessageId>)> = sqlx::query_as(
            r#"select j.value, (select max(m.id) from messages m where m.room_id = j.value)
               from json_each(?1) j"#,
        )
        .bind(json_param(&rooms))
        .fetch_all(&self.read)
        .await?;
        Ok(history::latest_ids(rows))
    }

    async fn changes_rev(&self, room: RoomId) -> Result<i64> {
        Ok(
            sqlx::query_scalar(
                r#"select coalesce(max(rev), 0) from messages where room_id = ?1 and rev > 0"#,
            )
            .bind(room)
            .fetch_one(&self.read)
            .await?,
        )
    }

    async fn changes(&self, room: RoomId, after: i64, limit: u32) -> Result<HistoryPage> {
        let newest = self.changes_rev(room).await?;
        let revs = sqlx::query_as(
            r#"select id, rev from messages where room_id = ?1 and rev > ?2 order by rev limit ?3"#,
        )
        .bind(room)
        .bind(after)
        .bind(fetch_limit(limit))
        .fetch_all(&self.read)
        .await?;
        history::changes_page(self, revs, limit, newest).await
    }

    async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(sqlx::query_as(select_messages!("where m.id = ?1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?)
    }

    async fn messages_by_ids(&self, ids: &[MessageId]) -> Result<Vec<Message>> {
        // The ids drive the join: with `m.id in (select …)` SQLite scanned the whole table,
        // a quarter of a second at a million messages (search results, mentions).
        let messages = sqlx::query_as(select_messages!(
            from "json_each(?1) j cross join messages m"
            "where m.id = j.value"
        ))
        .bind(json_param(&ids))
        .fetch_all(&self.read)
        .await?;
        Ok(history::in_order_of(messages, ids))
    }

    async fn message_by_client_id(&self, user: UserId, client_msg_id: &str) -> Result<Option<Message>> {
        Ok(
            sqlx::query_as(select_messages!("where m.user_id = ?1 and m.client_msg_id = ?2"))
                .bind(user)
                .bind(client_msg_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}
