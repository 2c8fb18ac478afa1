//! SQLite's SQL for messages: batched appends (the single writer's transaction), edits and soft
//! deletes, each indexed for search in its own transaction. Reading history is in
//! `history.rs`.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::{Message, MessageId, MessageType, ReplyTo, RoomId, UserId};
use crate::store::messages::{AppendOutcome, MessageStore, NewAttachment, NewMessage};
use crate::store::prelude::*;
use crate::time::Millis;
use std::collections::{BTreeSet, HashMap, HashSet};

/// One message to insert: room, user, content, type, client id, system event, `@room`, the
/// quoted message, the thread's root, shown in the room too.
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
);

pub(super) use crate::store::messages::json_param;
use crate::store::messages::stored_message;

async fn insert_attachment(
    tx: &mut sqlx::SqliteConnection,
    message: MessageId,
    room: RoomId,
    attachment: &NewAttachment,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        r#"insert into attachments
               (id, message_id, room_id, file_name, size, content_type, is_image, width, height, created_at)
           values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"#,
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

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append_messages(&self, batch: &[NewMessage], now: Millis) -> Result<Vec<AppendOutcome>> {
        let mut tx = self.write.begin().await?;

        let pairs: BTreeSet<(RoomId, UserId)> = batch
            .iter()
            .filter_map(|m| Some((m.room_id, m.user_id?)))
            .collect();
        let members: HashSet<(RoomId, UserId)> = if pairs.is_empty() {
            HashSet::new()
        } else {
            // `cross join` keeps the batch as the outer loop (SQLite takes it as an order): the
            // planner, misled by statistics taken before any message had a client id, would
            // otherwise scan the table once per batch entry.
            sqlx::query_as(
                r#"select m.room_id, m.user_id from json_each(?1) j
                   cross join room_memberships m on m.room_id = j.value ->> 0 and m.user_id = j.value ->> 1"#,
            )
            .bind(json_param(&pairs))
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect()
        };

        let keys: BTreeSet<(UserId, &str)> = batch
            .iter()
            .filter_map(|m| Some((m.user_id?, m.client_msg_id.as_deref()?)))
            .collect();
        let earlier: HashMap<(UserId, String), Message> = if keys.is_empty() {
            HashMap::new()
        } else {
            let found: Vec<Message> = sqlx::query_as(select_messages!(
                from "json_each(?1) j cross join messages m"
                "where m.user_id = j.value ->> 0 and m.client_msg_id = j.value ->> 1"
            ))
            .bind(json_param(&keys))
            .fetch_all(&mut *tx)
            .await?;
            found
                .into_iter()
                .filter_map(|m| Some(((m.user_id?, m.client_msg_id.clone()?), m)))
                .collect()
        };

        // Why a refused sender was refused, looked up only when someone was: a public room
        // they are not in, or a room they cannot see.
        let refused: BTreeSet<RoomId> = batch
            .iter()
            .filter(|m| m.user_id.is_some_and(|u| !members.contains(&(m.room_id, u))))
            .map(|m| m.room_id)
            .collect();
        let public: HashSet<RoomId> = if refused.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar(
                r#"select id from rooms where id in (select value from json_each(?1)) and is_private = 0"#,
            )
            .bind(json_param(&refused))
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect()
        };

        // Archived rooms take no one's messages (system messages still record what happened).
        let sent_to: BTreeSet<RoomId> = batch
            .iter()
            .filter(|m| m.user_id.is_some())
            .map(|m| m.room_id)
            .collect();
        let archived: HashSet<RoomId> = if sent_to.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar(
                r#"select id from rooms where id in (select value from json_each(?1)) and archived_at is not null"#,
            )
            .bind(json_param(&sent_to))
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

        let rows: Vec<InsertRow<'_>> = batch
            .iter()
            .zip(&fates)
            .filter(|(_, fate)| matches!(fate, Fate::Insert))
            .map(|(new, _)| {
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
                )
            })
            .collect();
        let mut ids: Vec<MessageId> = if rows.is_empty() {
            Vec::new()
        } else {
            sqlx::query_scalar(
                r#"insert into messages (room_id, user_id, content, message_type, timestamp, client_msg_id, meta,
                                         mentions_room, reply_to_id, thread_id, also_to_room)
                   select j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, ?2, j.value ->> 4, j.value ->> 5,
                          j.value ->> 6, j.value ->> 7, j.value ->> 8, j.value ->> 9
                   from json_each(?1) j order by j.key
                   returning id"#,
            )
            .bind(json_param(&rows))
            .bind(now)
            .fetch_all(&mut *tx)
            .await?
        };
        // Rows go in in batch order and AUTOINCREMENT ids only grow, so sorted ids line up
        // with the rows (RETURNING itself promises no order).
        ids.sort_unstable();
        if ids.len() != rows.len() {
            return Err(crate::error::Error::Internal(format!(
                "stored {} of {} messages",
                ids.len(),
                rows.len()
            )));
        }

        let inserted: Vec<(MessageId, &NewMessage)> = ids
            .iter()
            .copied()
            .zip(
                batch
                    .iter()
                    .zip(&fates)
                    .filter(|(_, f)| matches!(f, Fate::Insert))
                    .map(|(n, _)| n),
            )
            .collect();
        let searchable: Vec<(MessageId, &str, MessageType)> = inserted
            .iter()
            .map(|(id, n)| (*id, n.content.as_str(), n.message_type))
            .collect();
        super::search::index(&mut tx, &searchable).await?;
        let mut mentioned = super::mentions::record(&mut tx, &inserted).await?;
        super::dms::reopen(&mut tx, inserted.iter().map(|(_, n)| n.room_id)).await?;
        super::threads::record_replies(&mut tx, &inserted, &mentioned).await?;

        let mut ids = ids.into_iter();
        let mut outcomes: Vec<AppendOutcome> = Vec::with_capacity(batch.len());
        for (new, fate) in batch.iter().zip(fates) {
            let outcome = match fate {
                Fate::Done(outcome) => *outcome,
                Fate::Insert => {
                    let id = ids
                        .next()
                        .ok_or_else(|| crate::error::Error::Internal("missing id".into()))?;
                    if let Some(attachment) = &new.attachment {
                        insert_attachment(&mut tx, id, new.room_id, attachment, now).await?;
                    }
                    let mut message = stored_message(id, new, now);
                    message.mentions = mentioned.remove(&id).unwrap_or_default();
                    AppendOutcome::Created(message, None)
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
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn edit_message(
        &self,
        id: MessageId,
        content: &str,
        mention_keys: &[String],
        mentions_room: bool,
        now: Millis,
    ) -> Result<Option<Message>> {
        let mut tx = self.write.begin().await?;
        let updated: Option<MessageType> = sqlx::query_scalar(concat!(
            next_rev!(),
            "update messages set content = ?2, edited_at = ?3, mentions_room = ?4, ",
            "rev = (select rev from next) where id = ?1 and is_deleted = 0 returning message_type"
        ))
        .bind(id)
        .bind(content)
        .bind(now)
        .bind(mentions_room)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(kind) = updated else {
            return Ok(None);
        };
        super::mentions::replace(&mut tx, id, mention_keys).await?;
        super::search::reindex(&mut tx, id, content, kind).await?;
        tx.commit().await?;
        self.message(id).await
    }

    async fn delete_message(&self, id: MessageId) -> Result<Option<Vec<String>>> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(concat!(
            next_rev!(),
            "update messages set is_deleted = 1, content = '', rev = (select rev from next) ",
            "where id = ?1 and is_deleted = 0"
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        super::mentions::replace(&mut tx, id, &[]).await?;
        sqlx::query(r#"update messages set mentions_room = 0 where id = ?1"#)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let files: Vec<String> =
            sqlx::query_scalar(r#"delete from attachments where message_id = ?1 returning id"#)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Some(files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewUser, Paging};

    fn text(room: RoomId, user: Option<UserId>, content: &str, client_msg_id: Option<&str>) -> NewMessage {
        NewMessage {
            room_id: room,
            user_id: user,
            username: None,
            content: content.to_owned(),
            message_type: if user.is_some() {
                MessageType::Text
            } else {
                MessageType::System
            },
            client_msg_id: client_msg_id.map(str::to_owned),
            meta: user.is_none().then(|| r#"{"kind":"room_created"}"#.to_owned()),
            attachment: None,
            mention_keys: Vec::new(),
            mentions_room: false,
            reply_to: None,
            thread_id: None,
            also_to_room: false,
        }
    }

    /// One batch with every kind of entry: new messages, a system message, a message from a
    /// non-member, a client id sent before, and one repeated within the batch.
    #[tokio::test]
    async fn a_batch_stores_in_order_and_once_per_client_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        store.ensure_room("a", "a", "", 0).await.unwrap();
        store.ensure_room("b", "b", "", 0).await.unwrap();
        let user = NewUser {
            username: "alice",
            username_key: "alice",
            username_skeleton: "alice",
            email: None,
            password_hash: "x",
            is_admin: false,
        };
        // New accounts join every public room; leave room 2 to be a non-member there.
        let (me, _) = store.create_user(&user, 0).await.unwrap();
        let alice = me.user.id;
        store.remove_member(2, alice).await.unwrap();

        let first = store
            .append_messages(&[text(1, Some(alice), "before", Some("c-0"))], 1)
            .await
            .unwrap();
        let AppendOutcome::Created(before, _) = &first[0] else {
            panic!("{first:?}")
        };

        let batch = [
            text(1, Some(alice), "one", Some("c-1")),
            text(1, None, "系统 \"quoted\" \\ ☃", None),
            text(2, Some(alice), "not a member", Some("c-2")),
            text(1, Some(alice), "retry", Some("c-0")),
            text(1, Some(alice), "two", None),
            text(1, Some(alice), "one again", Some("c-1")),
        ];
        let outcomes = store.append_messages(&batch, 2).await.unwrap();
        let created: Vec<&Message> = outcomes
            .iter()
            .filter_map(|o| match o {
                AppendOutcome::Created(m, _) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(created.len(), 3, "{outcomes:?}");
        assert!(created.windows(2).all(|w| w[0].id < w[1].id));
        assert!(matches!(outcomes[2], AppendOutcome::NotMember));
        assert!(
            matches!(&outcomes[3], AppendOutcome::Duplicate(m) if m.id == before.id && m.content == "before")
        );
        assert!(matches!(&outcomes[5], AppendOutcome::Duplicate(m) if m.id == created[0].id));

        // What was stored is exactly what was sent, ids and all.
        let page = store
            .history(
                1,
                Paging {
                    before: None,
                    after: None,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        let stored: Vec<(MessageId, &str)> =
            page.messages.iter().map(|m| (m.id, m.content.as_str())).collect();
        let expected: Vec<(MessageId, &str)> = std::iter::once((before.id, "before"))
            .chain(created.iter().map(|m| (m.id, m.content.as_str())))
            .collect();
        assert_eq!(stored, expected);
        assert_eq!(page.messages[2].content, "系统 \"quoted\" \\ ☃");
        assert_eq!(
            page.messages[2].system.as_deref(),
            Some(r#"{"kind":"room_created"}"#)
        );
        assert_eq!(page.messages[2].message_type, MessageType::System);
        assert_eq!(page.messages[2].user_id, None);
        // A cluster node's check: the newest id of each room it asks about that has messages.
        let latest = store.latest_ids(&[99, 1]).await.unwrap();
        assert_eq!(latest, [(1, created[2].id)]);
        store.close().await;
    }
}
