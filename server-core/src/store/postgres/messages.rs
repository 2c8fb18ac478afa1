//! SQL for messages on PostgreSQL: batched appends ordered per room across nodes (the room
//! row's lock), edits and soft deletes taking revisions under the same lock, each indexed for
//! search in its own transaction. Reading history is in `history.rs`.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::PgConnection;

use async_trait::async_trait;

use super::PgStore;
use crate::error::{Error, Result};
use crate::model::{Message, MessageId, MessageType, ReplyTo, RoomId, UserId};
use crate::store::MessageStore;
use crate::store::messages::{json_param, stored_message};
use crate::store::prelude::*;
use crate::store::{AppendOutcome, NewAttachment, NewMessage};
use crate::time::Millis;

/// The revision the next change in the room of `messages m` takes. Revisions only grow; the
/// caller holds the room's row lock ([`lock_room_of`]), so no other node hands out the same one.
macro_rules! pg_next_rev {
    () => {
        "(select coalesce(max(r.rev), 0) + 1 from messages r where r.room_id = m.room_id and r.rev > 0)"
    };
}

/// Times a batch is tried again after losing a race on a client id to another node.
const CLIENT_ID_RETRIES: usize = 2;

#[async_trait]
impl MessageStore for PgStore {
    /// Stores a batch of messages in one transaction, in order. Each message from a user is
    /// stored only if they are a member of its room, and only once per `client_msg_id` (a
    /// repeat, even within the batch or sent through another node, gets the stored message
    /// back).
    async fn append_messages(&self, batch: &[NewMessage], now: Millis) -> Result<Vec<AppendOutcome>> {
        let mut retries = 0;
        loop {
            match self.try_append(batch, now).await {
                // The same person's same client id, sent to another room through another node at
                // the same moment (room locks do not order different rooms): the other batch
                // committed first, and a new try finds its message as a duplicate.
                Err(Error::Database(e)) if is_client_id_clash(&e) && retries < CLIENT_ID_RETRIES => {
                    retries += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Replaces the content of a live message, stamps `edited_at` and replaces its mentions
    /// (`mention_keys`, `mentions_room` as in [`NewMessage`]); `None` if it is gone.
    async fn edit_message(
        &self,
        id: MessageId,
        content: &str,
        mention_keys: &[String],
        mentions_room: bool,
        now: Millis,
    ) -> Result<Option<Message>> {
        let mut tx = self.pool.begin().await?;
        if lock_room_of(&mut tx, id).await?.is_none() {
            return Ok(None);
        }
        // System messages are never searchable (the vector is computed as for a text message
        // and dropped for them).
        let updated: Option<MessageType> = sqlx::query_scalar(concat!(
            "update messages m set content = $2, edited_at = $3, mentions_room = $4, rev = ",
            pg_next_rev!(),
            ", search = case when m.message_type = 'system' then null else $5::tsvector end ",
            "where m.id = $1 and not m.is_deleted returning m.message_type"
        ))
        .bind(id)
        .bind(content)
        .bind(now)
        .bind(mentions_room)
        .bind(super::search::vector(content, MessageType::Text))
        .fetch_optional(&mut *tx)
        .await?;
        if updated.is_none() {
            return Ok(None);
        }
        super::mentions::replace(&mut tx, id, mention_keys).await?;
        tx.commit().await?;
        self.message(id).await
    }

    /// Soft-deletes a message: flags it, clears its content and forgets its attachment. Returns
    /// `None` if it already was deleted, else the ids of attachments whose files must now go.
    async fn delete_message(&self, id: MessageId) -> Result<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await?;
        if lock_room_of(&mut tx, id).await?.is_none() {
            return Ok(None);
        }
        // The trigger messages_search_deleted takes it out of the search index.
        let updated = sqlx::query(concat!(
            "update messages m set is_deleted = true, content = '', mentions_room = false, rev = ",
            pg_next_rev!(),
            " where m.id = $1 and not m.is_deleted"
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        super::mentions::replace(&mut tx, id, &[]).await?;
        let files: Vec<String> =
            sqlx::query_scalar(r#"delete from attachments where message_id = $1 returning id"#)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Some(files))
    }
}

impl PgStore {
    async fn try_append(&self, batch: &[NewMessage], now: Millis) -> Result<Vec<AppendOutcome>> {
        let mut tx = self.pool.begin().await?;

        // Ordering across nodes. Identity ids come from one sequence shared by every node, and
        // a sequence hands out numbers in call order, not commit order: without more, node A
        // could take id 10, node B id 11, B commit, a client catch up with `after=11`, and A's
        // 10 commit behind it, never to be fetched. So every append first takes the row lock of
        // each room it writes to and holds it to its commit: ids of a room are then allocated
        // only by the one transaction holding that room's lock, and each commits before the
        // next can allocate. Within a room, a message with a smaller id is therefore committed
        // before any with a larger id is even allocated, and a reader who saw id N has seen or
        // will see every message of that room below N: `after=N` misses nothing. (Across rooms
        // ids may commit out of order; catching up is per room.) Rooms are locked in ascending
        // id order, one statement, so two nodes' batches over the same rooms cannot deadlock.
        // `for no key update` rather than `for update`: it excludes other appenders just as
        // well, but not the key-share locks foreign keys take, so joining a room or uploading
        // to it does not wait behind a burst of messages.
        let rooms: Vec<RoomId> = batch
            .iter()
            .map(|m| m.room_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        sqlx::query(r#"select id from rooms where id = any($1) order by id for no key update"#)
            .bind(&rooms)
            .fetch_all(&mut *tx)
            .await?;
        // Each room's newest message, read under its lock: no other message of the room can
        // commit before this batch does, so it is exactly the message before the batch's first
        // (a node uses it to deliver a room's messages in order, with no hole).
        let mut last: HashMap<RoomId, MessageId> = sqlx::query_as(
            r#"select r.id, coalesce((select max(m.id) from messages m where m.room_id = r.id), 0)
               from unnest($1::bigint[]) as r(id)"#,
        )
        .bind(&rooms)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();

        let pairs: BTreeSet<(RoomId, UserId)> = batch
            .iter()
            .filter_map(|m| Some((m.room_id, m.user_id?)))
            .collect();
        let members: HashSet<(RoomId, UserId)> = if pairs.is_empty() {
            HashSet::new()
        } else {
            let (room_ids, user_ids): (Vec<RoomId>, Vec<UserId>) = pairs.iter().copied().unzip();
            sqlx::query_as(
                r#"select m.room_id, m.user_id from unnest($1::bigint[], $2::bigint[]) as k(room_id, user_id)
                   join room_memberships m on m.room_id = k.room_id and m.user_id = k.user_id"#,
            )
            .bind(room_ids)
            .bind(user_ids)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect()
        };

        // Read after the room locks: a batch that sent the same client id to the same room
        // through another node has committed by now, and this statement sees it.
        let keys: BTreeSet<(UserId, &str)> = batch
            .iter()
            .filter_map(|m| Some((m.user_id?, m.client_msg_id.as_deref()?)))
            .collect();
        let earlier: HashMap<(UserId, String), Message> = if keys.is_empty() {
            HashMap::new()
        } else {
            let (user_ids, client_ids): (Vec<UserId>, Vec<&str>) = keys.iter().copied().unzip();
            let found: Vec<Message> = sqlx::query_as(pg_select_messages!(
                from "unnest($1::bigint[], $2::text[]) as k(user_id, client_msg_id) join messages m on m.user_id = k.user_id and m.client_msg_id = k.client_msg_id"
            ))
            .bind(user_ids)
            .bind(client_ids)
            .fetch_all(&mut *tx)
            .await?;
            found
                .into_iter()
                .filter_map(|m| Some(((m.user_id?, m.client_msg_id.clone()?), m)))
                .collect()
        };

        // Why a refused sender was refused, looked up only when someone was: a public room
        // they are not in, or a room they cannot see.
        let refused: Vec<RoomId> = batch
            .iter()
            .filter(|m| m.user_id.is_some_and(|u| !members.contains(&(m.room_id, u))))
            .map(|m| m.room_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let public: HashSet<RoomId> = if refused.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar(r#"select id from rooms where id = any($1) and not is_private"#)
                .bind(&refused)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect()
        };

        // Archived rooms take no one's messages (system messages still record what happened).
        let sent_to: Vec<RoomId> = batch
            .iter()
            .filter(|m| m.user_id.is_some())
            .map(|m| m.room_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let archived: HashSet<RoomId> = if sent_to.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar(r#"select id from rooms where id = any($1) and archived_at is not null"#)
                .bind(&sent_to)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect()
        };

        // Decide each message's fate in order; `Insert` ones are stored below.
        enum Fate {
            // Boxed: rare (retries, non-members), and a message is large.
            Done(Box<AppendOutcome>),
            Insert,
            /// Repeats the client id of batch entry `i`, which is being inserted.
            SameAs(usize),
        }
        let mut fates = Vec::with_capacity(batch.len());
        let mut first_in_batch: HashMap<(UserId, &str), usize> = HashMap::new();
        for (i, new) in batch.iter().enumerate() {
            let key = new.user_id.zip(new.client_msg_id.as_deref());
            let fate = if let Some(stored) = key.and_then(|(u, c)| earlier.get(&(u, c.to_owned()))) {
                Fate::Done(Box::new(AppendOutcome::Duplicate(stored.clone())))
            } else if new.user_id.is_some_and(|u| !members.contains(&(new.room_id, u))) {
                Fate::Done(Box::new(if public.contains(&new.room_id) {
                    AppendOutcome::NotMember
                } else {
                    AppendOutcome::NoSuchRoom
                }))
            } else if new.user_id.is_some() && archived.contains(&new.room_id) {
                Fate::Done(Box::new(AppendOutcome::Archived))
            } else if let Some(&first) = key.and_then(|k| first_in_batch.get(&k)) {
                Fate::SameAs(first)
            } else {
                if let Some(key) = key {
                    first_in_batch.insert(key, i);
                }
                Fate::Insert
            };
            fates.push(fate);
        }

        let to_insert: Vec<&NewMessage> = batch
            .iter()
            .zip(&fates)
            .filter(|(_, fate)| matches!(fate, Fate::Insert))
            .map(|(new, _)| new)
            .collect();
        // Indexed for search in the insert itself: the index is never behind the table.
        let rows: Vec<InsertRow<'_>> = to_insert
            .iter()
            .map(|new| {
                (
                    new.room_id,
                    new.user_id,
                    new.content.as_str(),
                    new.message_type,
                    new.client_msg_id.as_deref(),
                    new.meta.as_deref(),
                    new.mentions_room,
                    new.reply_to.as_ref().map(ReplyTo::id),
                    new.thread_id,
                    new.also_to_room,
                    super::search::vector(&new.content, new.message_type),
                )
            })
            .collect();
        let mut ids: Vec<MessageId> = if rows.is_empty() {
            Vec::new()
        } else {
            sqlx::query_scalar(
                r#"insert into messages (room_id, user_id, content, message_type, timestamp, client_msg_id, meta,
                                         mentions_room, reply_to_id, thread_id, also_to_room, search)
                   select (j ->> 0)::bigint, (j ->> 1)::bigint, j ->> 2, j ->> 3, $2, j ->> 4, j ->> 5,
                          (j ->> 6)::boolean, (j ->> 7)::bigint, (j ->> 8)::bigint, (j ->> 9)::boolean,
                          (j ->> 10)::tsvector
                   from jsonb_array_elements($1::jsonb) with ordinality as e(j, n) order by n
                   returning id"#,
            )
            .bind(json_param(&rows))
            .bind(now)
            .fetch_all(&mut *tx)
            .await?
        };
        // Rows go in in batch order and take ascending ids from the sequence, so sorted ids
        // line up with the rows (RETURNING itself promises no order).
        ids.sort_unstable();
        if ids.len() != rows.len() {
            return Err(Error::Internal(format!(
                "stored {} of {} messages",
                ids.len(),
                rows.len()
            )));
        }

        let inserted: Vec<(MessageId, &NewMessage)> = ids.iter().copied().zip(to_insert).collect();
        let mut mentioned = super::mentions::record(&mut tx, &inserted).await?;
        reopen(&mut tx, inserted.iter().map(|(_, n)| n.room_id)).await?;
        super::threads::record_replies(&mut tx, &inserted, &mentioned).await?;

        let mut ids = ids.into_iter();
        let mut outcomes: Vec<AppendOutcome> = Vec::with_capacity(batch.len());
        for (new, fate) in batch.iter().zip(fates) {
            let outcome = match fate {
                Fate::Done(outcome) => *outcome,
                Fate::Insert => {
                    let id = ids.next().ok_or_else(|| Error::Internal("missing id".into()))?;
                    if let Some(attachment) = &new.attachment {
                        insert_attachment(&mut tx, id, new.room_id, attachment, now).await?;
                    }
                    let mut message = stored_message(id, new, now);
                    message.mentions = mentioned.remove(&id).unwrap_or_default();
                    let prev = last.insert(new.room_id, id).unwrap_or(0);
                    AppendOutcome::Created(message, Some(prev))
                }
                Fate::SameAs(first) => match &outcomes[first] {
                    AppendOutcome::Created(m, _) | AppendOutcome::Duplicate(m) => {
                        AppendOutcome::Duplicate(m.clone())
                    }
                    AppendOutcome::NotMember => AppendOutcome::NotMember,
                    AppendOutcome::NoSuchRoom => AppendOutcome::NoSuchRoom,
                    AppendOutcome::Archived => AppendOutcome::Archived,
                },
            };
            outcomes.push(outcome);
        }
        // The room locks are released here, with the commit, and not before.
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// Takes the row lock of the room of message `id` until the transaction ends; `None` if there
/// is no such message. Every change that hands out a revision (edits, deletes, reactions, pins,
/// thread replies) takes it first, as appends do: revisions are `max + 1` within a room, and
/// two nodes computing that at once would hand out the same one. Under the lock, each
/// statement of this (read committed) transaction sees every earlier change of the room.
pub(super) async fn lock_room_of(tx: &mut PgConnection, id: MessageId) -> Result<Option<RoomId>> {
    Ok(sqlx::query_scalar(
        r#"select r.id from rooms r where r.id = (select room_id from messages where id = $1)
           for no key update"#,
    )
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

/// Gives message `id` its room's next revision, taking the room's lock first (see
/// [`lock_room_of`]; taking it again in the same transaction costs nothing).
pub(super) async fn bump_rev(tx: &mut PgConnection, id: MessageId) -> Result<()> {
    lock_room_of(&mut *tx, id).await?;
    sqlx::query(concat!(
        "update messages m set rev = ",
        pg_next_rev!(),
        " where m.id = $1"
    ))
    .bind(id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether `e` is a unique violation of (user, client id), which another node's batch caused.
fn is_client_id_clash(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.is_unique_violation() && db.constraint() == Some("messages_client_msg"))
}

/// One message to insert: room, user, content, type, client id, system event, `@room`, the
/// quoted message, the thread's root, shown in the room too, its search vector.
type InsertRow<'a> = (
    RoomId,
    Option<UserId>,
    &'a str,
    MessageType,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    Option<MessageId>,
    Option<MessageId>,
    bool,
    Option<String>,
);

/// Shows the direct rooms among `rooms` again to everyone who had closed them: a new message
/// reopens a conversation.
async fn reopen(tx: &mut PgConnection, rooms: impl Iterator<Item = RoomId>) -> Result<()> {
    let rooms: Vec<RoomId> = rooms.collect::<BTreeSet<_>>().into_iter().collect();
    if rooms.is_empty() {
        return Ok(());
    }
    sqlx::query(
        // Only direct rooms' memberships are looked at: a lobby's thousands are never scanned.
        r#"update room_memberships set is_hidden = false
           where room_id in (select id from rooms where id = any($1) and kind = 'direct')
             and is_hidden"#,
    )
    .bind(&rooms)
    .execute(tx)
    .await?;
    Ok(())
}

async fn insert_attachment(
    tx: &mut PgConnection,
    message: MessageId,
    room: RoomId,
    attachment: &NewAttachment,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        r#"insert into attachments
               (id, message_id, room_id, file_name, size, content_type, is_image, width, height, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
    )
    .bind(&attachment.id)
    .bind(message)
    .bind(room)
    .bind(&attachment.file_name)
    .bind(attachment.size)
    .bind(&attachment.content_type)
    .bind(attachment.dimensions.is_some())
    .bind(attachment.dimensions.map(|d| d.0))
    .bind(attachment.dimensions.map(|d| d.1))
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}
