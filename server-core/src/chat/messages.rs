//! Messages: sending (through the message log), history pages, edits and deletes. REST and
//! WebSocket both come through here, so both broadcast exactly the same events.

use serde::Deserialize;

use super::limits::Action;
use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::{Audience, Fanout, InRoom, Origin};
use crate::model::{Caller, Message, MessageId, MessageType, RoomId};
use crate::store::{AppendOutcome, HistoryPage, NewMessage, Paging};

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// What a client sends to post a message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Draft {
    pub content: String,
    #[serde(default)]
    pub message_type: Option<MessageType>,
    #[serde(default)]
    pub client_msg_id: Option<String>,
    /// A message of the same room this one quotes.
    #[serde(default)]
    pub reply_to: Option<MessageId>,
    /// A message of the same room whose thread this one replies in.
    #[serde(default)]
    pub thread_id: Option<MessageId>,
    /// A thread reply shown in the room's timeline too.
    #[serde(default)]
    pub also_to_room: bool,
}

/// Validates a draft into a message ready for the log.
pub fn prepare(caller: &Caller, room_id: RoomId, draft: Draft) -> Result<NewMessage> {
    let message_type = draft.message_type.unwrap_or(MessageType::Text);
    let content = validate::content(&draft.content)?;
    match message_type {
        MessageType::Text | MessageType::Emoji => {}
        MessageType::Image | MessageType::File => {
            return Err(Error::invalid(
                "invalid_message_type",
                "message_type",
                "images and files are sent by uploading them",
            ));
        }
        MessageType::System => {
            return Err(Error::invalid(
                "invalid_message_type",
                "message_type",
                "system messages are made by the server",
            ));
        }
    }
    let written = super::mentions::written(&content);
    Ok(NewMessage {
        room_id,
        user_id: Some(caller.user_id),
        username: Some(caller.username.clone()),
        content,
        message_type,
        client_msg_id: validate::client_msg_id(draft.client_msg_id.as_deref())?,
        meta: None,
        attachment: None,
        mention_keys: written.keys,
        mentions_room: written.room,
        reply_to: None,
        thread_id: None,
        also_to_room: false,
    })
}

/// A stored message as its sender learns of it.
#[derive(Debug)]
pub struct Sent {
    pub message: Message,
    /// False for a retried `client_msg_id`: `message` is the one stored the first time.
    pub created: bool,
}

/// Posts a message: the sender stops typing and the message goes to the log. A REST caller
/// (`origin` is `None`) waits and gets [`Sent`]; a socket does not wait (`Ok(None)`): it is
/// answered with `new_message` or `error` carrying its `ref` once the message is stored.
pub async fn send(
    ctx: &AppContext,
    caller: &Caller,
    room_id: RoomId,
    draft: Draft,
    origin: Option<Origin<'_>>,
) -> Result<Option<Sent>> {
    let links = super::threads::Links {
        reply_to: draft.reply_to,
        thread_id: draft.thread_id,
        also_to_room: draft.also_to_room,
    };
    let mut message = prepare(caller, room_id, draft)?;
    // Here, not in the transports: REST, WebSocket and uploads share one bucket per user. Before
    // the links are looked up, so a flood of bad ones costs its sender, not the database.
    ctx.limits.take(caller.user_id, Action::Message).await?;
    super::threads::link(ctx, &mut message, links).await?;
    ctx.typing.stop(&*ctx.fanout, room_id, caller.user_id);
    match origin {
        None => ctx.log.append(message).await.map(Some),
        Some(origin) => {
            let reference = origin.reference.map(str::to_owned);
            ctx.log
                .append_from_socket(message, origin.conn, reference)
                .await?;
            Ok(None)
        }
    }
}

/// The refusal to change an archived room.
pub fn room_archived() -> Error {
    Error::forbidden(
        "room_archived",
        "this room is archived: it can be read but not changed",
    )
}

/// The one place an append's outcome becomes what people see, for REST, WebSocket and
/// uploads alike: a new message goes to its room (the sending socket's copy carries its `ref`),
/// a repeat or a refusal only to the sending socket, and the sender's answer is returned.
/// Called by the message log's writer after each commit, in id order; never touches storage.
pub(super) fn announce(
    fanout: &dyn Fanout,
    outcome: Result<AppendOutcome>,
    origin: Option<Origin<'_>>,
) -> Result<Sent> {
    let mut prev = None;
    let answer = match outcome {
        Ok(AppendOutcome::Created(message, before)) => {
            prev = before;
            Ok(Sent {
                message,
                created: true,
            })
        }
        Ok(AppendOutcome::Duplicate(message)) => Ok(Sent {
            message,
            created: false,
        }),
        Ok(AppendOutcome::NotMember) => Err(Error::forbidden(
            "not_a_member",
            "join this room before posting in it",
        )),
        // A private room is not admitted to exist.
        Ok(AppendOutcome::NoSuchRoom) => Err(Error::not_found("room")),
        Ok(AppendOutcome::Archived) => Err(room_archived()),
        Err(e) => Err(e),
    };
    match (&answer, origin) {
        (Ok(sent), _) if sent.created => fanout.publish_in_room(
            Audience::room(sent.message.room_id).from(origin),
            &events::new_message(&sent.message, None),
            InRoom::New {
                room: sent.message.room_id,
                id: sent.message.id,
                prev,
            },
        ),
        (Ok(sent), Some(origin)) => fanout.publish(
            Audience::origin(origin),
            &events::new_message(&sent.message, None),
        ),
        (Err(e), Some(origin)) => fanout.publish(Audience::origin(origin), &events::error(&e.body(), None)),
        (_, None) => {}
    }
    answer
}

/// Validated paging parameters.
pub fn paging(before: Option<MessageId>, after: Option<MessageId>, limit: Option<u32>) -> Result<Paging> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::invalid(
            "invalid_limit",
            "limit",
            "limit must be between 1 and 200",
        ));
    }
    if let (Some(before), Some(after)) = (before, after) {
        if after >= before {
            return Err(Error::invalid(
                "invalid_range",
                "after",
                "after must be smaller than before",
            ));
        }
    }
    Ok(Paging { before, after, limit })
}

/// A page of a visible room's history. Public rooms can be read before joining them.
pub async fn history(
    ctx: &AppContext,
    caller: &Caller,
    room_id: RoomId,
    paging: Paging,
) -> Result<HistoryPage> {
    super::rooms::get(ctx, caller, room_id).await?;
    ctx.store.history(room_id, paging).await
}

/// The page of a visible room's history around message `around` (to show it in context).
pub async fn history_around(
    ctx: &AppContext,
    caller: &Caller,
    room_id: RoomId,
    around: MessageId,
    limit: Option<u32>,
) -> Result<HistoryPage> {
    let paging = paging(None, None, limit)?;
    super::rooms::get(ctx, caller, room_id).await?;
    ctx.store.history_around(room_id, around, paging.limit).await
}

/// Messages of a visible room edited or deleted after revision `after` (from an earlier page's
/// `changes_rev`), so a client that was away learns of them; at most `limit`, oldest change first.
pub async fn changes(
    ctx: &AppContext,
    caller: &Caller,
    room_id: RoomId,
    after: i64,
    limit: Option<u32>,
) -> Result<HistoryPage> {
    let paging = paging(None, None, limit)?;
    if after < 0 {
        return Err(Error::invalid(
            "invalid_query",
            "changed_after",
            "changed_after must not be negative",
        ));
    }
    super::rooms::get(ctx, caller, room_id).await?;
    ctx.store.changes(room_id, after, paging.limit).await
}

/// A message the caller can see (in a room visible to them), deleted or not.
pub(super) async fn visible(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
) -> Result<(Message, crate::model::Room)> {
    let message = ctx.store.message(id).await?.ok_or(Error::not_found("message"))?;
    let room = super::rooms::get(ctx, caller, message.room_id)
        .await
        .map_err(|e| match e {
            Error::NotFound { .. } => Error::not_found("message"),
            other => other,
        })?;
    Ok((message, room))
}

/// A live message in a room the caller belongs to: what reacting, pinning and following need.
/// Outsiders of a private room learn nothing (404); of a public one, that they must join (403).
pub(super) async fn member_message(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
) -> Result<(Message, crate::model::Room)> {
    let (message, room) = visible(ctx, caller, id).await?;
    if message.is_deleted {
        return Err(Error::not_found("message"));
    }
    if !room.is_member {
        return Err(Error::forbidden(
            "not_a_member",
            "join this room before doing that",
        ));
    }
    Ok((message, room))
}

/// Replaces the content of the caller's own text or emoji message.
pub async fn edit(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
    content: &str,
    origin: Option<Origin<'_>>,
) -> Result<Message> {
    ctx.limits.take(caller.user_id, Action::Edit).await?;
    let (message, _) = visible(ctx, caller, id).await?;
    if message.is_deleted {
        return Err(Error::not_found("message"));
    }
    if message.user_id != Some(caller.user_id) {
        return Err(Error::forbidden(
            "not_author",
            "only the author can edit a message",
        ));
    }
    if !matches!(message.message_type, MessageType::Text | MessageType::Emoji) {
        return Err(Error::invalid(
            "not_editable",
            "content",
            "only text and emoji messages can be edited",
        ));
    }
    let content = validate::content(content)?;
    let written = super::mentions::written(&content);
    let updated = ctx
        .store
        .edit_message(id, &content, &written.keys, written.room, ctx.clock.now())
        .await?
        .ok_or(Error::not_found("message"))?;
    ctx.fanout.publish(
        Audience::room(updated.room_id).from(origin),
        &events::message_updated(&updated, None),
    );
    Ok(updated)
}

/// Deletes a message: its author, the room's admins and (in public rooms) server admins may.
/// Deleting an already deleted message succeeds and changes nothing.
pub async fn delete(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
    origin: Option<Origin<'_>>,
) -> Result<()> {
    ctx.limits.take(caller.user_id, Action::Edit).await?;
    let (message, room) = visible(ctx, caller, id).await?;
    let is_author = message.user_id == Some(caller.user_id);
    if !is_author && !room.is_admin {
        return Err(Error::forbidden(
            "not_author",
            "only the author or a room admin can delete a message",
        ));
    }
    let removed_files = ctx.store.delete_message(id).await?;
    let deleted = removed_files.is_some();
    for file in removed_files.unwrap_or_default() {
        // The row is gone; a file left behind by a failure here is swept by the retention job.
        if let Err(e) = ctx.files.remove(&file).await {
            tracing::warn!(error = %e, file, "removing a deleted message's file failed");
        }
    }
    let room_id = message.room_id;
    // Already deleted: nothing to announce, but the asking socket still gets its reply.
    let audience = if deleted {
        Some(Audience::room(room_id).from(origin))
    } else {
        origin.map(Audience::origin)
    };
    if let Some(audience) = audience {
        ctx.fanout
            .publish(audience, &events::message_deleted(id, room_id, None));
    }
    // A deleted reply changes its thread's summary.
    if let (true, Some(root)) = (deleted, message.thread_id) {
        ctx.store.touch_root(root).await?;
        if let Some(root) = ctx.store.message(root).await? {
            ctx.fanout
                .publish(Audience::room(room_id), &events::message_updated(&root, None));
        }
    }
    Ok(())
}
