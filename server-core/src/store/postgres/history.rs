//! SQL for reading messages on PostgreSQL: history pages by id, what changed since a
//! revision, single messages.

use std::collections::HashMap;

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::store::HistoryStore;
use crate::store::{HistoryPage, Paging};

#[async_trait]
impl HistoryStore for PgStore {
    /// A page of `room`'s history, oldest first. Without bounds, the newest messages.
    async fn history(&self, room: RoomId, paging: Paging) -> Result<HistoryPage> {
        // Read before the page: a change made in between is then fetched again later, never missed.
        let changes_rev = self.changes_rev(room).await?;
        let limit = i64::from(paging.limit);
        let mut messages: Vec<Message> = match paging.after {
            // Forward from `after` (catching up): oldest first straight from the index.
            Some(after) => {
                sqlx::query_as(pg_select_messages!(
                    "where m.room_id = $1 and m.id > $2 and m.id < $3 order by m.id asc limit $4"
                ))
                .bind(room)
                .bind(after)
                .bind(paging.before.unwrap_or(MessageId::MAX))
                .bind(limit + 1)
                .fetch_all(&self.pool)
                .await?
            }
            // Backward from `before` (or from the newest): newest first, reversed below.
            None => {
                sqlx::query_as(pg_select_messages!(
                    "where m.room_id = $1 and m.id < $2 order by m.id desc limit $3"
                ))
                .bind(room)
                .bind(paging.before.unwrap_or(MessageId::MAX))
                .bind(limit + 1)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let has_more = messages.len() > paging.limit as usize;
        messages.truncate(paging.limit as usize);
        if paging.after.is_none() {
            messages.reverse();
        }
        Ok(HistoryPage {
            messages,
            has_more,
            has_newer: None,
            changes_rev,
        })
    }

    /// A page of `room`'s history around message id `around`, oldest first: that message (if it
    /// is in the room) and up to `limit` messages in all, about half older than it. When one side
    /// runs out the other fills the page, so a page near either end is still full.
    async fn history_around(&self, room: RoomId, around: MessageId, limit: u32) -> Result<HistoryPage> {
        let changes_rev = self.changes_rev(room).await?;
        let want = limit as usize;
        let older: Vec<Message> = sqlx::query_as(pg_select_messages!(
            "where m.room_id = $1 and m.id < $2 order by m.id desc limit $3"
        ))
        .bind(room)
        .bind(around)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let newer: Vec<Message> = sqlx::query_as(pg_select_messages!(
            "where m.room_id = $1 and m.id >= $2 order by m.id asc limit $3"
        ))
        .bind(room)
        .bind(around)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let take_older = older.len().min((want / 2).max(want.saturating_sub(newer.len())));
        let take_newer = newer.len().min(want - take_older);
        let has_more = older.len() > take_older;
        let has_newer = newer.len() > take_newer;
        let mut messages: Vec<Message> = older.into_iter().take(take_older).collect();
        messages.reverse();
        messages.extend(newer.into_iter().take(take_newer));
        Ok(HistoryPage {
            messages,
            has_more,
            has_newer: Some(has_newer),
            changes_rev,
        })
    }

    /// The newest edit-or-delete revision in `room` (0 if nothing was ever changed).
    async fn changes_rev(&self, room: RoomId) -> Result<i64> {
        Ok(
            sqlx::query_scalar(
                r#"select coalesce(max(rev), 0) from messages where room_id = $1 and rev > 0"#,
            )
            .bind(room)
            .fetch_one(&self.pool)
            .await?,
        )
    }

    /// Messages of `room` edited or deleted after revision `after`, in revision order, at most
    /// `limit`: each as it is now (a deleted one as its tombstone). `changes_rev` is where to
    /// continue: the last change returned when there are more, else the room's newest.
    async fn changes(&self, room: RoomId, after: i64, limit: u32) -> Result<HistoryPage> {
        let newest = self.changes_rev(room).await?;
        let revs: Vec<(MessageId, i64)> = sqlx::query_as(
            r#"select id, rev from messages where room_id = $1 and rev > $2 order by rev limit $3"#,
        )
        .bind(room)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let has_more = revs.len() > limit as usize;
        let revs = &revs[..revs.len().min(limit as usize)];
        let ids: Vec<MessageId> = revs.iter().map(|(id, _)| *id).collect();
        let messages = self.messages_by_ids(&ids).await?;
        let last = revs.last().map_or(0, |(_, rev)| *rev);
        Ok(HistoryPage {
            messages,
            has_more,
            has_newer: None,
            changes_rev: if has_more { last } else { newest.max(last) },
        })
    }

    /// Message `id`, deleted or not.
    async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(sqlx::query_as(pg_select_messages!("where m.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Messages `ids` (deleted or not), in the order given; missing ones are left out.
    async fn messages_by_ids(&self, ids: &[MessageId]) -> Result<Vec<Message>> {
        let mut messages: Vec<Message> = sqlx::query_as(pg_select_messages!("where m.id = any($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        let order: HashMap<MessageId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        messages.sort_by_key(|m| order.get(&m.id).copied().unwrap_or(usize::MAX));
        Ok(messages)
    }

    /// The id of `user`'s message with `client_msg_id`, if they sent one.
    async fn message_by_client_id(&self, user: UserId, client_msg_id: &str) -> Result<Option<Message>> {
        Ok(sqlx::query_as(pg_select_messages!(
            "where m.user_id = $1 and m.client_msg_id = $2"
        ))
        .bind(user)
        .bind(client_msg_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
