//! The store's interface for reading messages: history pages by id, what changed since a revision,
//! single messages.

use super::{HistoryPage, Paging};
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use async_trait::async_trait;
use std::collections::HashMap;

/// The store for reading messages, as every backend implements it.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// A page of `room`'s history, oldest first. Without bounds, the newest messages.
    async fn history(&self, room: RoomId, paging: Paging) -> Result<HistoryPage>;

    /// A page of `room`'s history around message id `around`, oldest first: that message (if it
    /// is in the room) and up to `limit` messages in all, about half older than it. When one side
    /// runs out the other fills the page, so a page near either end is still full.
    async fn history_around(&self, room: RoomId, around: MessageId, limit: u32) -> Result<HistoryPage>;

    /// The id of the newest message (deleted or not) in each of `rooms` that has one, in one
    /// query however many rooms: a cluster node compares every room it serves with this.
    async fn latest_ids(&self, rooms: &[RoomId]) -> Result<Vec<(RoomId, MessageId)>>;

    /// The newest edit-or-delete revision in `room` (0 if nothing was ever changed).
    async fn changes_rev(&self, room: RoomId) -> Result<i64>;

    /// Messages of `room` edited or deleted after revision `after`, in revision order, at most
    /// `limit`: each as it is now (a deleted one as its tombstone). `changes_rev` is where to
    /// continue: the last change returned when there are more, else the room's newest.
    async fn changes(&self, room: RoomId, after: i64, limit: u32) -> Result<HistoryPage>;

    /// Message `id`, deleted or not.
    async fn message(&self, id: MessageId) -> Result<Option<Message>>;

    /// Messages `ids` (deleted or not), in the order given; missing ones are left out.
    async fn messages_by_ids(&self, ids: &[MessageId]) -> Result<Vec<Message>>;

    /// The id of `user`'s message with `client_msg_id`, if they sent one.
    async fn message_by_client_id(&self, user: UserId, client_msg_id: &str) -> Result<Option<Message>>;
}

// What every backend does with the rows its SQL fetched: the paging decisions live here once, so a
// backend's impl only chooses the rows.

/// The `latest_ids` answer from one row per room asked about: the room and its newest id, if it
/// has messages. Rooms without are left out here, since leaving them out in SQL ran each room's
/// `max` twice (SQLite and PostgreSQL alike).
pub(crate) fn latest_ids(rows: Vec<(RoomId, Option<MessageId>)>) -> Vec<(RoomId, MessageId)> {
    rows.into_iter()
        .filter_map(|(room, latest)| latest.map(|id| (room, id)))
        .collect()
}

/// How many rows to fetch for a page of `limit`: one more, to learn whether there are more.
pub(crate) fn fetch_limit(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// Cuts `rows`, fetched with `fetch_limit(limit)`, to `limit`; whether there were more.
pub(crate) fn trim<T>(rows: &mut Vec<T>, limit: u32) -> bool {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    more
}

/// The `history` page made of `rows`: up to `fetch_limit(paging.limit)` messages, oldest first
/// when reading forward from `paging.after`, else newest first back from `paging.before`.
pub(crate) fn page(mut rows: Vec<Message>, paging: Paging, changes_rev: i64) -> HistoryPage {
    let has_more = trim(&mut rows, paging.limit);
    if paging.after.is_none() {
        rows.reverse();
    }
    HistoryPage {
        messages: rows,
        has_more,
        has_newer: None,
        changes_rev,
    }
}

/// The `history_around` page made of up to `fetch_limit(limit)` messages each side of the
/// middle: `older` (before it, newest first) and `newer` (from it on, oldest first).
pub(crate) fn page_around(
    older: Vec<Message>,
    newer: Vec<Message>,
    limit: u32,
    changes_rev: i64,
) -> HistoryPage {
    let want = limit as usize;
    let take_older = older.len().min((want / 2).max(want.saturating_sub(newer.len())));
    let take_newer = newer.len().min(want - take_older);
    let has_more = older.len() > take_older;
    let has_newer = newer.len() > take_newer;
    let mut messages: Vec<Message> = older.into_iter().take(take_older).collect();
    messages.reverse();
    messages.extend(newer.into_iter().take(take_newer));
    HistoryPage {
        messages,
        has_more,
        has_newer: Some(has_newer),
        changes_rev,
    }
}

/// The `changes` page for `revs`, the (id, revision) of up to `fetch_limit(limit)` changed
/// messages in revision order; `newest` is the room's `changes_rev`, read before them.
pub(crate) async fn changes_page<S: HistoryStore + ?Sized>(
    store: &S,
    mut revs: Vec<(MessageId, i64)>,
    limit: u32,
    newest: i64,
) -> Result<HistoryPage> {
    let has_more = trim(&mut revs, limit);
    let ids: Vec<MessageId> = revs.iter().map(|(id, _)| *id).collect();
    let messages = store.messages_by_ids(&ids).await?;
    let last = revs.last().map_or(0, |(_, rev)| *rev);
    Ok(HistoryPage {
        messages,
        has_more,
        has_newer: None,
        changes_rev: if has_more { last } else { newest.max(last) },
    })
}

/// `messages` put in the order of `ids` (the database returns them in its own).
pub(crate) fn in_order_of(mut messages: Vec<Message>, ids: &[MessageId]) -> Vec<Message> {
    let order: HashMap<MessageId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    messages.sort_by_key(|m| order.get(&m.id).copied().unwrap_or(usize::MAX));
    messages
}
