//! SQLite's SQL for full-text search: keeping `message_search` (FTS5, migration 0011) in step with
//! `messages` inside the writes' own transactions, the start-up backfill, and finding
//! candidates for a query. Segmenting and ranking are storage-independent (`crate::search`).

use async_trait::async_trait;

use super::SqliteStore;
use super::messages::json_param;
use crate::error::Result;
use crate::model::{Message, MessageId, MessageType, RoomId, RoomKind, UserId};
use crate::search::index_text;
use crate::store::prelude::*;
use crate::store::search::{SearchFilter, SearchHit, SearchStore};

const BACKFILL_KEY: &str = "search.backfill_after";

/// Messages indexed per backfill transaction.
const BACKFILL_BATCH: i64 = 2000;

/// The conditions every search shares, after its `where`: `?1` the searcher, `?3` the highest
/// id, `?4`–`?9` and `?11` the filters (see `SearchFilter`).
macro_rules! search_conditions {
    () => {
        concat!(
            "m.id <= ?3 and m.is_deleted = 0 and m.message_type != 'system' ",
            "and m.room_id in (select room_id from room_memberships where user_id = ?1) ",
            "and (?4 is null or m.user_id = ?4) and (?5 is null or m.room_id = ?5) ",
            "and (?6 is null or m.timestamp >= ?6) and (?7 is null or m.timestamp < ?7) ",
            "and (?8 = 0 or exists (select 1 from attachments a where a.message_id = m.id ",
            "and (?8 = 1 or a.is_image = 1))) ",
            "and (?9 = 0 or m.content like '%://%' or m.content like '%www.%') ",
            "and (?11 = 0 or m.pinned_at is not null) ",
        )
    };
}

/// Adds messages to the index in one statement, inside the caller's transaction. System
/// messages and messages with nothing searchable (emoji only) are left out.
pub(super) async fn index(
    tx: &mut sqlx::SqliteConnection,
    messages: &[(MessageId, &str, MessageType)],
) -> Result<()> {
    let rows: Vec<(MessageId, String, String)> = messages
        .iter()
        .filter(|(_, _, kind)| *kind != MessageType::System)
        .map(|(id, content, _)| (*id, index_text(content)))
        .filter(|(_, indexed)| !indexed.is_empty())
        .map(|(id, indexed)| (id, indexed.body, indexed.chars))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        r#"insert into message_search (rowid, body, chars)
           select j.value ->> 0, j.value ->> 1, j.value ->> 2 from json_each(?1) j"#,
    )
    .bind(json_param(&rows))
    .execute(tx)
    .await?;
    Ok(())
}

/// Replaces a message's entry after an edit, so the old text is no longer found.
pub(super) async fn reindex(
    tx: &mut sqlx::SqliteConnection,
    id: MessageId,
    content: &str,
    kind: MessageType,
) -> Result<()> {
    sqlx::query(r#"delete from message_search where rowid = ?1"#)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    index(tx, &[(id, content, kind)]).await
}

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search(&self, filter: &SearchFilter, limit: u32) -> Result<Vec<SearchHit>> {
        let sql = if filter.matching.is_some() {
            concat!(
                "select m.id, m.content, m.timestamp from message_search s ",
                "cross join messages m on m.id = s.rowid ",
                "where message_search match ?2 and s.rowid <= ?3 and ",
                search_conditions!(),
                "order by s.rowid desc limit ?10"
            )
        } else {
            concat!(
                "select m.id, m.content, m.timestamp from messages m ",
                "where ?2 is null and ",
                search_conditions!(),
                "order by m.id desc limit ?10"
            )
        };
        let attachment = match (filter.has_image, filter.has_attachment) {
            (true, _) => 2,
            (false, true) => 1,
            _ => 0,
        };
        Ok(sqlx::query_as(sql)
            .bind(filter.user)
            .bind(filter.matching.as_deref())
            .bind(filter.max_id)
            .bind(filter.from)
            .bind(filter.room)
            .bind(filter.since)
            .bind(filter.until)
            .bind(attachment)
            .bind(filter.has_link)
            .bind(i64::from(limit))
            .bind(filter.pinned)
            .fetch_all(&self.read)
            .await?)
    }

    async fn newest_message_id(&self) -> Result<MessageId> {
        Ok(sqlx::query_scalar(r#"select coalesce(max(id), 0) from messages"#)
            .fetch_one(&self.read)
            .await?)
    }

    async fn messages_in_order(&self, ids: &[MessageId]) -> Result<Vec<Message>> {
        self.messages_by_ids(ids).await
    }

    async fn room_summaries(&self, ids: &[RoomId]) -> Result<Vec<(RoomId, String, RoomKind)>> {
        Ok(sqlx::query_as(
            r#"select id, name, kind from rooms where id in (select value from json_each(?1))"#,
        )
        .bind(json_param(&ids))
        .fetch_all(&self.read)
        .await?)
    }

    async fn member_room_by_key(&self, user: UserId, name_key: &str) -> Result<Option<RoomId>> {
        Ok(sqlx::query_scalar(
            r#"select r.id from rooms r join room_memberships m on m.room_id = r.id and m.user_id = ?1
               where r.name_key = ?2 and r.kind = 'channel'"#,
        )
        .bind(user)
        .bind(name_key)
        .fetch_optional(&self.read)
        .await?)
    }
}

impl SqliteStore {
    /// Indexes messages written before search existed, a batch per transaction, resuming
    /// where an interrupted run stopped. Runs at start-up; a no-op once done.
    pub(super) async fn backfill_search(&self) -> Result<()> {
        loop {
            let Some(after) = self.meta(BACKFILL_KEY).await? else {
                return Ok(());
            };
            let after: MessageId = after.parse().unwrap_or(0);
            let mut tx = self.write.begin().await?;
            let rows: Vec<(MessageId, String, MessageType)> = sqlx::query_as(
                r#"select id, content, message_type from messages
                   where id > ?1 and is_deleted = 0 order by id limit ?2"#,
            )
            .bind(after)
            .bind(BACKFILL_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            let items: Vec<(MessageId, &str, MessageType)> =
                rows.iter().map(|(id, c, t)| (*id, c.as_str(), *t)).collect();
            index(&mut tx, &items).await?;
            match rows.last() {
                Some((last, _, _)) if rows.len() as i64 == BACKFILL_BATCH => {
                    sqlx::query(r#"update server_meta set value = ?2 where key = ?1"#)
                        .bind(BACKFILL_KEY)
                        .bind(last.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {
                    sqlx::query(r#"delete from server_meta where key = ?1"#)
                        .bind(BACKFILL_KEY)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database from before search gets its messages indexed when the server next starts,
    /// deleted ones and system messages left out.
    #[tokio::test]
    async fn messages_written_before_search_are_indexed_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        crate::store::sqlite::old_database(
            &dir.path().join("old.db"),
            9,
            r#"insert into users (id, username, username_key, password_hash, created_at)
                   values (1, 'alice', 'alice', 'x', 0);
               insert into rooms (id, name, name_key, created_at) values (7, 'plans', 'plans', 0);
               insert into room_memberships (room_id, user_id, joined_at) values (7, 1, 0);
               insert into messages (room_id, user_id, content, message_type, timestamp)
                   values (7, 1, '明天部署', 'text', 0);
               insert into messages (room_id, user_id, content, message_type, timestamp, is_deleted)
                   values (7, 1, '部署 deleted', 'text', 0, 1);
               insert into messages (room_id, user_id, content, message_type, timestamp, meta)
                   values (7, null, '部署 joined', 'system', 0, '{}');"#,
        )
        .await;

        let store = SqliteStore::open(&dir.path().join("old.db")).await.unwrap();
        let filter = SearchFilter {
            user: 1,
            matching: Some(r#"body : "部署""#.into()),
            max_id: MessageId::MAX,
            ..SearchFilter::default()
        };
        let hits = store.search(&filter, 10).await.unwrap();
        let found: Vec<&str> = hits.iter().map(|h| h.content.as_str()).collect();
        assert_eq!(found, ["明天部署"]);
        assert_eq!(store.meta(BACKFILL_KEY).await.unwrap(), None, "done once");
        store.close().await;
    }
}
