//! Rooms and memberships: listing, creating, joining, leaving, member management and read
//! markers. A private room is invisible to non-members: every path answers 404 for it, exactly
//! as for a room that does not exist.

use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events::{self, LeftUser};
use crate::fanout::{Audience, Origin};
use crate::model::{Caller, Member, MessageId, Room, RoomId, RoomKind, SystemEvent, UserId};
use crate::store::Paging;

/// How many recent messages `room_joined` carries.
pub const JOIN_HISTORY: u32 = 50;

/// Every room the caller may see.
pub async fn list(ctx: &AppContext, caller: &Caller) -> Result<Vec<Room>> {
    let mut rooms = ctx
        .store
        .rooms_for(caller.user_id, caller.is_server_admin)
        .await?;
    settle_presence(ctx, &mut rooms);
    Ok(rooms)
}

/// Room `id` as the caller sees it, or 404.
pub async fn get(ctx: &AppContext, caller: &Caller, id: RoomId) -> Result<Room> {
    let mut room = ctx
        .store
        .room_for(caller.user_id, caller.is_server_admin, id)
        .await?
        .ok_or(Error::not_found("room"))?;
    settle_presence(ctx, std::slice::from_mut(&mut room));
    Ok(room)
}

/// Direct rooms' participants, online as the hub sees them now.
pub(super) fn settle_presence(ctx: &AppContext, rooms: &mut [Room]) {
    for users in rooms.iter_mut().filter_map(|r| r.dm_users.as_mut()) {
        for user in users {
            super::presence::settle(ctx, user);
        }
    }
}

/// Refuses membership changes in a direct conversation: its people are what it is.
fn refuse_direct(room: &Room) -> Result<()> {
    if room.kind == RoomKind::Direct {
        return Err(Error::bad_request(
            "direct_room",
            "people cannot join, leave, be added to or removed from a direct conversation; close it instead",
        ));
    }
    Ok(())
}

/// Room `id`, which the caller must administer: 404 if invisible, 400 for a direct
/// conversation (its people are what it is), 403 if not an admin.
pub(super) async fn administered(ctx: &AppContext, caller: &Caller, id: RoomId) -> Result<Room> {
    let room = get(ctx, caller, id).await?;
    refuse_direct(&room)?;
    if !room.is_admin {
        return Err(Error::forbidden(
            "not_room_admin",
            "only this room's admins may do that",
        ));
    }
    Ok(room)
}

/// Room creation input.
pub struct NewRoom<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub is_private: bool,
}

/// Creates a room with the caller as its admin. Public rooms are announced to everyone.
pub async fn create(ctx: &AppContext, caller: &Caller, input: NewRoom<'_>) -> Result<Room> {
    let (name, key) = validate::room_name(input.name)?;
    let description = validate::description(input.description)?;
    ctx.limits
        .create_room(&ctx.store, caller.user_id, ctx.clock.now())
        .await?;
    let id = ctx
        .store
        .create_room(
            &name,
            &key,
            &description,
            input.is_private,
            caller.user_id,
            ctx.clock.now(),
        )
        .await?;
    ctx.fanout.subscribe(caller.user_id, id);
    let event = SystemEvent::RoomCreated {
        user_id: caller.user_id,
        username: caller.username.clone(),
    };
    ctx.log.post_system(id, &name, &event).await;
    let room = get(ctx, caller, id).await?;
    send_room_joined(ctx, &room, Audience::user(caller.user_id)).await?;
    if !room.is_private {
        let outsider_view = Room {
            is_member: false,
            is_admin: false,
            unread_count: 0,
            last_read_message_id: 0,
            ..room.clone()
        };
        ctx.fanout.publish(
            Audience::everyone().except_user(caller.user_id),
            &events::room_created(&outsider_view),
        );
    }
    Ok(room)
}

/// Sends `room_joined` {room, members, latest messages} to `audience`.
pub(super) async fn send_room_joined(ctx: &AppContext, room: &Room, audience: Audience<'_>) -> Result<()> {
    let mut members = ctx.store.members(room.id).await?;
    super::presence::overlay(ctx, &mut members);
    let paging = Paging {
        before: None,
        after: None,
        limit: JOIN_HISTORY,
    };
    let page = ctx.store.history(room.id, paging).await?;
    let frame = events::room_joined(room, &members, &page.messages, page.changes_rev, None);
    ctx.fanout.publish(audience, &frame);
    Ok(())
}

/// Tells a room's members (but not the newcomer) that `user` joined.
pub async fn announce_member(ctx: &AppContext, room: RoomId, user: UserId) {
    match ctx.store.member(room, user).await {
        Ok(Some(mut member)) => {
            super::presence::overlay(ctx, std::slice::from_mut(&mut member));
            ctx.fanout.publish(
                Audience::room(room).except_user(user),
                &events::user_joined(room, &member),
            );
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, room, user, "announcing a new member failed"),
    }
}

/// Joins a public room (a no-op for a room the caller is already in) and returns it. Every
/// socket of a newcomer gets `room_joined`; an asking socket gets it (with its `ref`) even when
/// the caller already was a member.
pub async fn join(ctx: &AppContext, caller: &Caller, id: RoomId, origin: Option<Origin<'_>>) -> Result<Room> {
    let (room, newly) = enter(ctx, caller, id).await?;
    let audience = if newly {
        Some(Audience::user(caller.user_id).from(origin))
    } else {
        origin.map(Audience::origin)
    };
    if let Some(audience) = audience {
        send_room_joined(ctx, &room, audience).await?;
    }
    Ok(room)
}

/// Makes the caller a member of a public room; returns the room and whether they newly joined.
async fn enter(ctx: &AppContext, caller: &Caller, id: RoomId) -> Result<(Room, bool)> {
    let room = get(ctx, caller, id).await?;
    if room.is_member {
        return Ok((room, false));
    }
    // `get` only shows private rooms to members, so this room is public.
    if !ctx.store.add_member(id, caller.user_id, ctx.clock.now()).await? {
        return Ok((get(ctx, caller, id).await?, false));
    }
    ctx.fanout.subscribe(caller.user_id, id);
    announce_member(ctx, id, caller.user_id).await;
    let event = SystemEvent::MemberJoined {
        user_id: caller.user_id,
        username: caller.username.clone(),
    };
    ctx.log.post_system(id, &room.name, &event).await;
    Ok((get(ctx, caller, id).await?, true))
}

/// Leaves a room. The caller's other sockets and the remaining members hear `user_left`.
pub async fn leave(ctx: &AppContext, caller: &Caller, id: RoomId, origin: Option<Origin<'_>>) -> Result<()> {
    let room = get(ctx, caller, id).await?;
    refuse_direct(&room)?;
    if !ctx.store.remove_member(id, caller.user_id).await? {
        return Err(Error::conflict(
            "not_a_member",
            None,
            "you are not a member of this room",
        ));
    }
    depart(ctx, id, caller.user_id, &caller.username, origin);
    let event = SystemEvent::MemberLeft {
        user_id: caller.user_id,
        username: caller.username.clone(),
    };
    ctx.log.post_system(id, &room.name, &event).await;
    Ok(())
}

fn depart(ctx: &AppContext, room: RoomId, user: UserId, username: &str, origin: Option<Origin<'_>>) {
    let left = LeftUser {
        id: user,
        username: username.to_owned(),
    };
    ctx.fanout.unsubscribe(user, room);
    let frame = events::user_left(room, &left, None);
    ctx.fanout.publish(Audience::user(user).from(origin), &frame);
    ctx.fanout.publish(Audience::room(room), &frame);
    ctx.typing.stop(&*ctx.fanout, room, user);
}

/// The members of a room the caller can see.
pub async fn members(ctx: &AppContext, caller: &Caller, id: RoomId) -> Result<Vec<Member>> {
    get(ctx, caller, id).await?;
    let mut members = ctx.store.members(id).await?;
    super::presence::overlay(ctx, &mut members);
    Ok(members)
}

/// Adds the user called `username` to a room the caller administers.
pub async fn add_member(ctx: &AppContext, caller: &Caller, id: RoomId, username: &str) -> Result<Member> {
    let room = administered(ctx, caller, id).await?;
    let user = ctx
        .store
        .user_by_key(&validate::name_key(username.trim()))
        .await?
        .ok_or_else(|| Error::invalid("user_not_found", "username", "no user has that name"))?;
    if !ctx.store.add_member(id, user.id, ctx.clock.now()).await? {
        return Err(Error::conflict(
            "already_member",
            Some("username"),
            "that user is already a member of this room",
        ));
    }
    ctx.fanout.subscribe(user.id, id);
    announce_member(ctx, id, user.id).await;
    if let Some(their_view) = ctx.store.room_for(user.id, user.is_server_admin, id).await? {
        send_room_joined(ctx, &their_view, Audience::user(user.id)).await?;
    }
    let event = SystemEvent::MemberAdded {
        user_id: user.id,
        username: user.username.clone(),
        by_id: caller.user_id,
        by_username: caller.username.clone(),
    };
    ctx.log.post_system(id, &room.name, &event).await;
    ctx.store
        .member(id, user.id)
        .await?
        .ok_or(Error::not_found("member"))
}

/// Removes member `user` from a room the caller administers.
pub async fn remove_member(ctx: &AppContext, caller: &Caller, id: RoomId, user: UserId) -> Result<()> {
    let room = administered(ctx, caller, id).await?;
    if user == caller.user_id {
        return Err(Error::bad_request(
            "use_leave",
            "to leave a room yourself, use leave",
        ));
    }
    let member = ctx
        .store
        .member(id, user)
        .await?
        .ok_or(Error::not_found("member"))?;
    if !ctx.store.remove_member(id, user).await? {
        return Err(Error::not_found("member"));
    }
    depart(ctx, id, user, &member.username, None);
    let event = SystemEvent::MemberRemoved {
        user_id: user,
        username: member.username,
        by_id: caller.user_id,
        by_username: caller.username.clone(),
    };
    ctx.log.post_system(id, &room.name, &event).await;
    Ok(())
}

/// The caller's read marker after [`mark_read`].
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReadMarker {
    pub room_id: RoomId,
    pub last_read_message_id: MessageId,
    pub unread_count: i64,
    /// Unread messages mentioning the caller (every unread one in a direct room).
    pub mention_count: i64,
}

/// Moves the caller's read marker forward and tells their other devices.
pub async fn mark_read(
    ctx: &AppContext,
    caller: &Caller,
    id: RoomId,
    message: MessageId,
    origin: Option<Origin<'_>>,
) -> Result<ReadMarker> {
    get(ctx, caller, id).await?;
    let (marker, unread, mentions) = ctx
        .store
        .mark_read(id, caller.user_id, message)
        .await?
        .ok_or_else(|| Error::conflict("not_a_member", None, "you are not a member of this room"))?;
    ctx.fanout.publish(
        Audience::user(caller.user_id).from(origin),
        &events::room_read(id, marker, unread, mentions, None),
    );
    Ok(ReadMarker {
        room_id: id,
        last_read_message_id: marker,
        unread_count: unread,
        mention_count: mentions,
    })
}
