//! The store's interface for writing messages: batched appends, edits and soft deletes, each kept
//! in step with the search index in the same transaction. Reading history is in `history.rs`.

use crate::error::Result;
use crate::model::{Attachment, Message, MessageId, MessageType, ReplyTo, RoomId, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// A message waiting to be stored.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub room_id: RoomId,
    /// `None` for system messages.
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    pub content: String,
    pub message_type: MessageType,
    pub client_msg_id: Option<String>,
    /// System event JSON (see `model::SystemEvent`).
    pub meta: Option<String>,
    /// The stored upload of an image or file message.
    pub attachment: Option<NewAttachment>,
    /// Name keys written after `@`: the room's members with these keys are mentioned.
    pub mention_keys: Vec<String>,
    /// Mentions everyone in the room.
    pub mentions_room: bool,
    /// The message this one quotes, as checked when it was sent.
    pub reply_to: Option<ReplyTo>,
    /// The root of the thread this message replies in.
    pub thread_id: Option<MessageId>,
    /// A thread reply shown in the room's timeline too.
    pub also_to_room: bool,
}

/// An uploaded file already on disk, to be recorded with its message.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub id: String,
    pub file_name: String,
    pub size: i64,
    pub content_type: String,
    /// Width and height, for images.
    pub dimensions: Option<(i64, i64)>,
}

/// What became of one appended message.
#[derive(Clone, Debug)]
pub enum AppendOutcome {
    /// Stored, with the id of the message before it in its room (`Some(0)`: the first),
    /// read under the room's lock so no message of the room can commit between the two. Only
    /// PostgreSQL, where several nodes append, reads it (see `cluster/order.rs`); SQLite's one
    /// server announces in commit order and does not pay for it: `None`.
    Created(Message, Option<MessageId>),
    /// The sender already sent this `client_msg_id`; here is the stored message.
    Duplicate(Message),
    /// The sender is not a member of this public room.
    NotMember,
    /// No room the sender can see: it does not exist, or it is private and they are not in it.
    NoSuchRoom,
    /// The room is archived: read-only for everyone.
    Archived,
}

/// Which slice of a room's history to read.
#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    pub limit: u32,
}

/// A page of history, oldest first.
#[derive(Debug)]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    /// More messages exist past the page's far end: older ones for the latest page or a
    /// `before` page, newer ones for an `after` page; for changes, more changes.
    pub has_more: bool,
    /// For a page around a message (`Store::history_around`), whether newer messages exist past
    /// its newest; `has_more` then speaks of older ones.
    pub has_newer: Option<bool>,
    /// The room's edit-and-delete revision this page is current to: ask for changes after it
    /// (`Store::changes`) to learn of edits and deletes made since.
    pub changes_rev: i64,
}

/// The store for writing messages, as every backend implements it.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores a batch of messages in one transaction, in order. Each message from a user is
    /// stored only if they are a member of its room, and only once per `client_msg_id` (a
    /// repeat, even within the batch, gets the stored message back).
    ///
    /// The batch costs a handful of statements, not one per message: every statement is a
    /// round trip to SQLite's worker thread, and under a burst those round trips, not SQLite,
    /// were the writer's limit. Memberships and earlier sends are looked up for the whole
    /// batch, then every new message is inserted by one `insert … select` over the batch as a
    /// JSON parameter.
    async fn append_messages(&self, batch: &[NewMessage], now: Millis) -> Result<Vec<AppendOutcome>>;

    /// Replaces the content of a live message, stamps `edited_at` and replaces its mentions
    /// (`mention_keys`, `mentions_room` as in [`NewMessage`]); `None` if it is gone.
    async fn edit_message(
        &self,
        id: MessageId,
        content: &str,
        mention_keys: &[String],
        mentions_room: bool,
        now: Millis,
    ) -> Result<Option<Message>>;

    /// Soft-deletes a message: flags it, clears its content and forgets its attachment. Returns
    /// `None` if it already was deleted, else the ids of attachments whose files must now go.
    async fn delete_message(&self, id: MessageId) -> Result<Option<Vec<String>>>;
}

/// A batch as one JSON array parameter (its items are plain numbers and strings).
pub(super) fn json_param(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// The message `new` became once stored as `id`.
pub(super) fn stored_message(id: MessageId, new: &NewMessage, now: Millis) -> Message {
    Message {
        id,
        room_id: new.room_id,
        user_id: new.user_id,
        username: new.username.clone(),
        content: new.content.clone(),
        message_type: new.message_type,
        timestamp: now,
        edited_at: None,
        is_deleted: false,
        client_msg_id: new.client_msg_id.clone(),
        system: new.meta.clone(),
        mentions: Vec::new(),
        mentions_room: new.mentions_room,
        reply_to: new.reply_to.clone(),
        thread_id: new.thread_id,
        also_to_room: new.also_to_room,
        thread: None,
        reactions: Vec::new(),
        is_pinned: false,
        attachment: new.attachment.as_ref().map(|a| {
            Attachment::new(
                a.id.clone(),
                a.file_name.clone(),
                a.size,
                a.content_type.clone(),
                a.dimensions,
            )
        }),
    }
}
