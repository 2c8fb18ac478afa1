//! What room admins change about their room: its name, description and privacy, and who else
//! administers it. Every change is a system message in the room and a `room_updated` event
//! (to everyone for a public room, or one that just stopped being public; else to members),
//! and an entry in the server's audit log, so administrators see who changed which room.

use std::net::IpAddr;

use super::admin::audit;
use super::rooms;
use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::Audience;
use crate::model::{Caller, Room, RoomId, SystemEvent, UserId};
use crate::store::{AdminChange, RoomEdit};

/// A change: absent fields stay.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Patch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_private: Option<bool>,
}

/// Room `id`, which the caller administers and which is not archived.
async fn editable(ctx: &AppContext, caller: &Caller, id: RoomId) -> Result<Room> {
    let room = rooms::administered(ctx, caller, id).await?;
    if room.is_archived {
        return Err(super::messages::room_archived());
    }
    Ok(room)
}

/// PATCH /api/rooms/{id}: renames, describes or switches privacy; answers the room.
pub async fn update(
    ctx: &AppContext,
    caller: &Caller,
    id: RoomId,
    patch: Patch,
    addr: Option<IpAddr>,
) -> Result<Room> {
    let before = editable(ctx, caller, id).await?;
    let name = patch.name.as_deref().map(validate::room_name).transpose()?;
    let description = patch
        .description
        .as_deref()
        .map(|d| validate::description(Some(d)))
        .transpose()?;
    let edit = RoomEdit {
        name: name.filter(|(name, _)| *name != before.name),
        description: description.filter(|d| *d != before.description),
        is_private: patch.is_private.filter(|p| *p != before.is_private),
    };
    if edit.name.is_none() && edit.description.is_none() && edit.is_private.is_none() {
        return Ok(before);
    }
    ctx.store.update_room(id, &edit).await?;
    let room = rooms::get(ctx, caller, id).await?;
    let event = SystemEvent::RoomUpdated {
        by_id: caller.user_id,
        by_username: caller.username.clone(),
        name: edit.name.map(|(name, _)| name),
        description: edit.description,
        is_private: edit.is_private,
    };
    ctx.log.post_system(id, &room.name, &event).await;
    let seen_by_everyone = !room.is_private || !before.is_private;
    let audience = if seen_by_everyone {
        Audience::everyone()
    } else {
        Audience::room(id)
    };
    ctx.fanout.publish(audience, &events::room_updated(&room));
    let target = format!("{} (#{id})", room.name);
    audit(
        ctx,
        (caller.user_id, &caller.username),
        "update_room",
        Some(&target),
        addr,
    )
    .await;
    Ok(room)
}

/// PUT (`true`) or DELETE /api/rooms/{id}/admins/{user_id}: makes a member a room admin, or
/// not. The last admin stays (`409 last_room_admin`); leaving hands the room on instead.
pub async fn set_admin(
    ctx: &AppContext,
    caller: &Caller,
    id: RoomId,
    user: UserId,
    admin: bool,
    addr: Option<IpAddr>,
) -> Result<()> {
    let room = editable(ctx, caller, id).await?;
    let member = ctx
        .store
        .member(id, user)
        .await?
        .ok_or_else(|| Error::conflict("not_a_member", None, "only members can be room admins"))?;
    match ctx.store.set_room_admin(id, user, admin).await? {
        AdminChange::Unchanged => return Ok(()),
        AdminChange::NotMember => {
            return Err(Error::conflict(
                "not_a_member",
                None,
                "only members can be room admins",
            ));
        }
        AdminChange::LastAdmin => {
            return Err(Error::conflict(
                "last_room_admin",
                None,
                "this is the room's last admin; make someone else an admin first",
            ));
        }
        AdminChange::Done => {}
    }
    let target = format!("{} in {} (#{id})", member.username, room.name);
    let action = if admin {
        "add_room_admin"
    } else {
        "remove_room_admin"
    };
    audit(
        ctx,
        (caller.user_id, &caller.username),
        action,
        Some(&target),
        addr,
    )
    .await;
    let (user_id, username) = (user, member.username.clone());
    let (by_id, by_username) = (caller.user_id, caller.username.clone());
    let event = if admin {
        SystemEvent::AdminAdded {
            user_id,
            username,
            by_id,
            by_username,
        }
    } else {
        SystemEvent::AdminRemoved {
            user_id,
            username,
            by_id,
            by_username,
        }
    };
    ctx.log.post_system(id, &room.name, &event).await;
    ctx.fanout
        .publish(Audience::room(id), &events::room_updated(&room));
    Ok(())
}
