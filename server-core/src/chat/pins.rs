//! Pins: any member may pin or unpin a room's message; the room hears `message_updated`, and a
//! pin also posts a system message saying who pinned what.

use crate::context::AppContext;
use crate::error::Result;
use crate::events;
use crate::fanout::{Audience, Origin};
use crate::model::{Caller, Message, MessageId, RoomId, SystemEvent};

/// Pins (or unpins) message `id` in a room the caller belongs to. Doing it twice changes
/// nothing the second time. Returns the message as it now is.
pub async fn set(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
    pinned: bool,
    origin: Option<Origin<'_>>,
) -> Result<Message> {
    let (message, room) = super::messages::member_message(ctx, caller, id).await?;
    let changed = ctx
        .store
        .set_pinned(id, caller.user_id, pinned, ctx.clock.now())
        .await?
        .ok_or(crate::error::Error::not_found("message"))?;
    let updated = ctx
        .store
        .message(id)
        .await?
        .ok_or(crate::error::Error::not_found("message"))?;
    if changed {
        ctx.fanout.publish(
            Audience::room(message.room_id).from(origin),
            &events::message_updated(&updated, None),
        );
        if pinned {
            let event = SystemEvent::MessagePinned {
                message_id: id,
                by_id: caller.user_id,
                by_username: caller.username.clone(),
            };
            ctx.log.post_system(room.id, &room.name, &event).await;
        }
    } else if let Some(origin) = origin {
        ctx.fanout
            .publish(Audience::origin(origin), &events::message_updated(&updated, None));
    }
    Ok(updated)
}

/// The pinned messages of a room visible to the caller, the most recently pinned first.
pub async fn list(ctx: &AppContext, caller: &Caller, room: RoomId) -> Result<Vec<Message>> {
    super::rooms::get(ctx, caller, room).await?;
    ctx.store.pins(room).await
}
