//! SQLite's SQL for threads: what a reply changes (its root's revision, who follows), a thread's
//! pages, and the threads a person follows with their unread replies.

use async_trait::async_trait;

use super::SqliteStore;
use super::messages::json_param;
use crate::error::Result;
use crate::model::{Message, MessageId, UserId};
use crate::store::NewMessage;
use crate::store::history::{fetch_limit, trim};
use crate::store::threads::{self, FollowedThread, ThreadStore};
use std::collections::{BTreeSet, HashMap};

/// Within the append transaction, for each new thread reply: its root takes a new revision (so
/// `changed_after=` catches up on the thread's summary), its root's author follows the thread
/// unless they unfollowed it, and the replier and those it mentions follow it again.
pub(super) async fn record_replies(
    tx: &mut sqlx::SqliteConnection,
    inserted: &[(MessageId, &NewMessage)],
    mentioned: &HashMap<MessageId, Vec<UserId>>,
) -> Result<()> {
    let roots: BTreeSet<MessageId> = inserted.iter().filter_map(|(_, n)| n.thread_id).collect();
    for root in &roots {
        super::reactions::bump_rev(&mut *tx, *root).await?;
        sqlx::query(
            r#"insert into thread_follows (user_id, root_id)
               select user_id, id from messages where id = ?1 and user_id is not null
               on conflict do nothing"#,
        )
        .bind(root)
        .execute(&mut *tx)
        .await?;
    }
    // (user, root, read up to): the replier has read their own thread up to their reply.
    let mut follows: Vec<(UserId, MessageId, MessageId)> = Vec::new();
    for (id, new) in inserted {
        let Some(root) = new.thread_id else { continue };
        if let Some(user) = new.user_id {
            follows.push((user, root, *id));
        }
        for user in mentioned.get(id).into_iter().flatten() {
            follows.push((*user, root, 0));
        }
    }
    if !follows.is_empty() {
        sqlx::query(
            r#"insert into thread_follows (user_id, root_id, is_following, last_read_id)
               select j.value ->> 0, j.value ->> 1, 1, j.value ->> 2 from json_each(?1) j where true
               on conflict do update set is_following = 1,
                   last_read_id = max(last_read_id, excluded.last_read_id)"#,
        )
        .bind(json_param(&follows))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl ThreadStore for SqliteStore {
    async fn thread_replies(
        &self,
        root: MessageId,
        after: MessageId,
        limit: u32,
    ) -> Result<(Vec<Message>, bool)> {
        let mut replies: Vec<Message> = sqlx::query_as(select_messages!(
            "where m.thread_id = ?1 and m.id > ?2 order by m.id asc limit ?3"
        ))
        .bind(root)
        .bind(after)
        .bind(fetch_limit(limit))
        .fetch_all(&self.read)
        .await?;
        let has_more = trim(&mut replies, limit);
        Ok((replies, has_more))
    }

    async fn followed_threads(&self, user: UserId, limit: u32) -> Result<Vec<FollowedThread>> {
        let rows: Vec<(MessageId, i64)> = sqlx::query_as(
            r#"select f.root_id,
                      (select count(*) from messages t
                        where t.thread_id = f.root_id and t.id > f.last_read_id and t.is_deleted = 0
                          and t.user_id is not ?1) as unread
               from thread_follows f
               join messages r on r.id = f.root_id
               join room_memberships rm on rm.room_id = r.room_id and rm.user_id = f.user_id
               where f.user_id = ?1 and f.is_following = 1
               order by (select max(t.id) from messages t where t.thread_id = f.root_id) desc
               limit ?2"#,
        )
        .bind(user)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        threads::followed(self, rows).await
    }

    async fn set_following(&self, user: UserId, root: MessageId, following: bool) -> Result<()> {
        sqlx::query(
            r#"insert into thread_follows (user_id, root_id, is_following) values (?1, ?2, ?3)
               on conflict do update set is_following = excluded.is_following"#,
        )
        .bind(user)
        .bind(root)
        .bind(following)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn mark_thread_read(&self, user: UserId, root: MessageId, up_to: Option<MessageId>) -> Result<()> {
        sqlx::query(
            r#"update thread_follows
               set last_read_id = max(last_read_id,
                   coalesce(?3, (select max(id) from messages where thread_id = ?2), 0))
               where user_id = ?1 and root_id = ?2"#,
        )
        .bind(user)
        .bind(root)
        .bind(up_to)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn thread_followers(&self, root: MessageId) -> Result<Vec<UserId>> {
        Ok(sqlx::query_scalar(
            r#"select f.user_id from thread_follows f
               join messages r on r.id = f.root_id
               join room_memberships m on m.room_id = r.room_id and m.user_id = f.user_id
               where f.root_id = ?1 and f.is_following = 1"#,
        )
        .bind(root)
        .fetch_all(&self.write)
        .await?)
    }

    async fn touch_root(&self, root: MessageId) -> Result<()> {
        let mut tx = self.write.begin().await?;
        super::reactions::bump_rev(&mut tx, root).await?;
        tx.commit().await?;
        Ok(())
    }
}
