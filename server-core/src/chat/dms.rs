//! Direct conversations: opening the one room of a set of 2–8 people (creating it the first
//! time), and closing it in someone's list until its next message. A direct room is private:
//! to anyone outside it, every path answers 404, exactly as for a private channel.

use super::rooms;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::{Audience, Origin};
use crate::model::{Caller, Room, RoomId, RoomKind, UserId};

/// Most people a conversation has besides the one who opens it.
pub const MAX_OTHERS: usize = 7;

/// A conversation as its opener learns of it.
#[derive(Debug)]
pub struct Opened {
    pub room: Room,
    /// False when these people already had a conversation: `room` is that one.
    pub created: bool,
}

/// Opens the conversation between the caller and `user_ids` (in any order; repeats and the
/// caller's own id are ignored). A new one appears at every participant (`room_joined`); an
/// existing one is shown again on every device of the caller.
pub async fn open(
    ctx: &AppContext,
    caller: &Caller,
    user_ids: &[UserId],
    origin: Option<Origin<'_>>,
) -> Result<Opened> {
    let mut others: Vec<UserId> = user_ids
        .iter()
        .copied()
        .filter(|&id| id != caller.user_id)
        .collect();
    others.sort_unstable();
    others.dedup();
    if others.is_empty() {
        return Err(Error::invalid(
            "dm_needs_people",
            "user_ids",
            "name at least one other person to message",
        ));
    }
    if others.len() > MAX_OTHERS {
        return Err(Error::invalid(
            "too_many_people",
            "user_ids",
            format!("a conversation has at most {MAX_OTHERS} people besides you"),
        ));
    }
    let found = ctx.store.users_by_ids(&others).await?;
    if found.len() != others.len() {
        return Err(Error::not_found("user"));
    }
    let mut people = others.clone();
    people.push(caller.user_id);
    let (id, created) = ctx
        .store
        .open_dm(caller.user_id, &people, ctx.clock.now())
        .await?;
    let room = rooms::get(ctx, caller, id).await?;
    if created {
        for &user in &people {
            ctx.fanout.subscribe(user, id);
        }
        for user in found {
            if let Some(mut their_view) = ctx.store.room_for(user.id, user.is_server_admin, id).await? {
                rooms::settle_presence(ctx, std::slice::from_mut(&mut their_view));
                rooms::send_room_joined(ctx, &their_view, Audience::user(user.id)).await?;
            }
        }
    }
    rooms::send_room_joined(ctx, &room, Audience::user(caller.user_id).from(origin)).await?;
    Ok(Opened { room, created })
}

/// Hides a direct conversation from the caller's list (every device hears `dm_closed`) until
/// someone writes in it again. 404 for a room that is not one of the caller's conversations.
pub async fn close(ctx: &AppContext, caller: &Caller, id: RoomId, origin: Option<Origin<'_>>) -> Result<()> {
    let room = rooms::get(ctx, caller, id).await?;
    if room.kind != RoomKind::Direct || !ctx.store.close_dm(id, caller.user_id).await? {
        return Err(Error::not_found("conversation"));
    }
    ctx.fanout.publish(
        Audience::user(caller.user_id).from(origin),
        &events::dm_closed(id, None),
    );
    Ok(())
}
