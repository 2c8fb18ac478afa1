//! The store's interface for threads: what a reply changes (its root's revision, who follows), a
//! thread's pages, and the threads a person follows with their unread replies.

use super::HistoryStore;
use crate::error::Result;
use crate::model::{Message, MessageId, UserId};
use async_trait::async_trait;
use std::collections::HashMap;

/// A followed thread as its follower sees it.
#[derive(Debug)]
pub struct FollowedThread {
    pub root: Message,
    /// Replies by others after the newest the follower has read.
    pub unread_count: i64,
}

/// The store for threads, as every backend implements it.
#[async_trait]
pub trait ThreadStore: Send + Sync {
    /// Replies in the thread of `root` after reply `after`, oldest first, at most `limit`; and
    /// whether more follow.
    async fn thread_replies(
        &self,
        root: MessageId,
        after: MessageId,
        limit: u32,
    ) -> Result<(Vec<Message>, bool)>;

    /// The threads `user` follows in rooms they belong to, the most recently active first, at
    /// most `limit`, each with its unread replies.
    async fn followed_threads(&self, user: UserId, limit: u32) -> Result<Vec<FollowedThread>>;

    /// Follows (or unfollows) the thread of `root` for `user`.
    async fn set_following(&self, user: UserId, root: MessageId, following: bool) -> Result<()>;

    /// Records that `user` read the thread of `root` up to its newest reply, or up to `up_to`.
    /// Never moves backwards.
    async fn mark_thread_read(&self, user: UserId, root: MessageId, up_to: Option<MessageId>) -> Result<()>;

    /// Everyone following the thread of `root` who is still a member of its room (someone who
    /// left a private room must not hear its replies).
    async fn thread_followers(&self, root: MessageId) -> Result<Vec<UserId>>;

    /// Gives thread root `root` a new revision, after a reply of it changed (was deleted), so
    /// `changed_after=` catches up on the summary.
    async fn touch_root(&self, root: MessageId) -> Result<()>;
}

/// The followed threads of `rows` (root id, unread replies) as `followed_threads` returns them,
/// in the order of `rows`; a root whose replies are all gone is left out.
pub(crate) async fn followed<S: HistoryStore + ?Sized>(
    store: &S,
    rows: Vec<(MessageId, i64)>,
) -> Result<Vec<FollowedThread>> {
    let ids: Vec<MessageId> = rows.iter().map(|r| r.0).collect();
    let unread: HashMap<MessageId, i64> = rows.into_iter().collect();
    Ok(store
        .messages_by_ids(&ids)
        .await?
        .into_iter()
        .filter(|m| m.thread.is_some())
        .map(|root| FollowedThread {
            unread_count: unread.get(&root.id).copied().unwrap_or(0),
            root,
        })
        .collect())
}
