//! Replies and threads: checking what a new message quotes or replies in, announcing a reply's
//! effect on its thread (the root's summary to the room, the reply to the thread's followers),
//! a thread's pages, and following threads.

use std::collections::BTreeSet;

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::{Audience, Fanout, InRoom, Origin};
use crate::model::{Caller, Message, MessageId, MessageType, ReplyTo};
use crate::store::{FollowedThread, NewMessage, Store};

/// Most followed threads listed at once.
pub const MAX_FOLLOWED: u32 = 100;

/// What a draft says it answers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Links {
    pub reply_to: Option<MessageId>,
    pub thread_id: Option<MessageId>,
    pub also_to_room: bool,
}

/// Checks `links` against `message`'s room and records them on it: a quoted message must be a
/// live message of the same room; a thread's root too, and a reply to a thread reply goes to
/// that reply's root.
pub(super) async fn link(ctx: &AppContext, message: &mut NewMessage, links: Links) -> Result<()> {
    if let Some(id) = links.reply_to {
        let quoted = in_room(ctx, id, message.room_id).await?.ok_or_else(|| {
            Error::invalid(
                "invalid_reply_to",
                "reply_to",
                "reply_to must be a message of this room",
            )
        })?;
        if quoted.is_deleted {
            return Err(Error::invalid(
                "reply_to_deleted",
                "reply_to",
                "the message replied to was deleted",
            ));
        }
        message.reply_to = Some(ReplyTo::Live {
            id,
            user_id: quoted.user_id,
            username: quoted.username,
            excerpt: crate::excerpt::excerpt(&quoted.content, Some(quoted.message_type)),
        });
    }
    if let Some(id) = links.thread_id {
        let invalid = || {
            Error::invalid(
                "invalid_thread_id",
                "thread_id",
                "thread_id must be a message of this room",
            )
        };
        let mut root = in_room(ctx, id, message.room_id).await?.ok_or_else(invalid)?;
        if let Some(root_id) = root.thread_id {
            root = in_room(ctx, root_id, message.room_id)
                .await?
                .ok_or_else(invalid)?;
        }
        if root.is_deleted {
            return Err(Error::invalid(
                "thread_root_deleted",
                "thread_id",
                "the thread's first message was deleted",
            ));
        }
        if root.message_type == MessageType::System {
            return Err(Error::invalid(
                "invalid_thread_id",
                "thread_id",
                "messages from the server have no threads",
            ));
        }
        message.thread_id = Some(root.id);
        message.also_to_room = links.also_to_room;
    }
    Ok(())
}

/// Message `id` if it is in `room`.
async fn in_room(ctx: &AppContext, id: MessageId, room: crate::model::RoomId) -> Result<Option<Message>> {
    Ok(ctx.store.message(id).await?.filter(|m| m.room_id == room))
}

/// After new thread replies were stored and announced: each root's new summary goes to its
/// room as `message_updated`, and each reply to its thread's followers (but its author) as
/// `thread_reply`, so they can be notified. Failures are logged: the replies are stored.
pub(super) async fn announce_replies(store: &Store, fanout: &dyn Fanout, replies: &[Message]) {
    let roots: Vec<MessageId> = replies
        .iter()
        .filter_map(|m| m.thread_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    match store.messages_by_ids(&roots).await {
        Ok(roots) => {
            for root in roots {
                fanout.publish(
                    Audience::room(root.room_id),
                    &events::message_updated(&root, None),
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading thread roots after replies failed"),
    }
    for reply in replies {
        let Some(root) = reply.thread_id else { continue };
        let followers = match store.thread_followers(root).await {
            Ok(followers) => followers,
            Err(e) => {
                tracing::warn!(error = %e, root, "reading a thread's followers failed");
                continue;
            }
        };
        let frame = events::thread_reply(reply);
        let about = InRoom::About {
            room: reply.room_id,
            id: reply.id,
        };
        for follower in followers.into_iter().filter(|f| Some(*f) != reply.user_id) {
            fanout.publish_in_room(Audience::user(follower), &frame, about);
        }
    }
}

/// A thread: its root and a page of replies.
#[derive(Debug)]
pub struct ThreadPage {
    pub root: Message,
    pub replies: Vec<Message>,
    pub has_more: bool,
}

/// The replies after `after` in the thread of message `id` (or of its root, for a reply), in a
/// room visible to the caller, oldest first.
pub async fn replies(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
    after: Option<MessageId>,
    limit: Option<u32>,
) -> Result<ThreadPage> {
    let paging = super::messages::paging(None, None, limit)?;
    let root = root_of(ctx, caller, id).await?;
    let (replies, has_more) = ctx
        .store
        .thread_replies(root.id, after.unwrap_or(0), paging.limit)
        .await?;
    Ok(ThreadPage {
        root,
        replies,
        has_more,
    })
}

/// The root of the thread message `id` is in (itself if it is not a reply), if visible.
async fn root_of(ctx: &AppContext, caller: &Caller, id: MessageId) -> Result<Message> {
    let (message, _) = super::messages::visible(ctx, caller, id).await?;
    match message.thread_id {
        Some(root) => Ok(super::messages::visible(ctx, caller, root).await?.0),
        None => Ok(message),
    }
}

/// The threads the caller follows in their rooms, most recently active first.
pub async fn followed(ctx: &AppContext, caller: &Caller) -> Result<Vec<FollowedThread>> {
    ctx.store.followed_threads(caller.user_id, MAX_FOLLOWED).await
}

/// Follows or unfollows the thread of message `id` (a root, or a reply standing for its root)
/// in a room the caller belongs to.
pub async fn follow(ctx: &AppContext, caller: &Caller, id: MessageId, following: bool) -> Result<MessageId> {
    let (message, _) = super::messages::member_message(ctx, caller, id).await?;
    let root = message.thread_id.unwrap_or(message.id);
    ctx.store.set_following(caller.user_id, root, following).await?;
    Ok(root)
}

/// Marks the thread of message `id` read up to its newest reply; the caller's other devices
/// hear `thread_read`.
pub async fn mark_read(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
    origin: Option<Origin<'_>>,
) -> Result<()> {
    let root = root_of(ctx, caller, id).await?;
    ctx.store.mark_thread_read(caller.user_id, root.id, None).await?;
    ctx.fanout.publish(
        Audience::user(caller.user_id).from(origin),
        &events::thread_read(root.room_id, root.id),
    );
    Ok(())
}
