//! A WebSocket connection as the chat sees it: it joins the hub subscribed to its user's rooms
//! (who may thereby come online; on a cluster within the sockets per user every node holds), gets the `ready` snapshot, types in rooms it is subscribed to,
//! and leaves (stopping its typing, and maybe going offline).

use super::limits::Action;
use super::{accounts, retention, rooms};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events::{self, Frame};
use crate::hub::{ConnId, Registration};
use crate::model::{Caller, RoomId};

/// Registers an authenticated connection, subscribed to every room of its user.
pub async fn connect(ctx: &AppContext, caller: &Caller) -> Result<Registration> {
    let room_ids = ctx.store.member_room_ids(caller.user_id).await?;
    // On a cluster the cap counts the user's sockets on every node.
    let registration = match ctx.limits.cluster() {
        Some(shared) => {
            let cap = ctx.hub.sockets_cap();
            shared.register_socket(&ctx.hub, caller, room_ids, cap).await?
        }
        None => ctx.hub.register(caller.user_id, caller.session_id, room_ids),
    };
    if registration.came_online {
        ctx.presence.changed(caller.user_id, true);
    } else {
        ctx.presence.active(caller.user_id);
    }
    Ok(registration)
}

/// The `ready` event: the caller's account, their rooms and where history starts.
pub async fn ready(ctx: &AppContext, caller: &Caller, reference: Option<&str>) -> Result<Frame> {
    let me = accounts::me(ctx, caller).await?;
    let rooms = rooms::list(ctx, caller).await?;
    let starts = retention::history_starts(&ctx.store, ctx.settings.get().retention_days).await?;
    Ok(events::ready(&me, &rooms, starts, reference))
}

/// Unregisters connection `conn`: its user stops typing, and presence learns if this was
/// their last connection.
pub fn disconnect(ctx: &AppContext, conn: ConnId) {
    if let Some(departure) = ctx.hub.unregister(conn) {
        if let Some(shared) = ctx.limits.cluster() {
            shared.socket_closed(&ctx.hub, departure.user_id);
        }
        ctx.typing.stop_everywhere(&*ctx.fanout, departure.user_id);
        if departure.went_offline {
            ctx.presence.changed(departure.user_id, false);
        }
    }
}

/// The caller started (`true`) or stopped typing in `room` on connection `conn`. The hub knows
/// which rooms the connection is in (any other room is 404); only on a cluster does the typing
/// bucket cost a database trip.
pub async fn typing(
    ctx: &AppContext,
    caller: &Caller,
    conn: ConnId,
    room: RoomId,
    is_typing: bool,
) -> Result<()> {
    if !ctx.hub.is_subscribed(conn, room) {
        return Err(Error::not_found("room"));
    }
    ctx.limits.take(caller.user_id, Action::Typing).await?;
    if is_typing {
        ctx.typing
            .start(&*ctx.fanout, room, caller.user_id, &caller.username);
    } else {
        ctx.typing.stop(&*ctx.fanout, room, caller.user_id);
    }
    Ok(())
}
