//! Rooms as server administrators manage them: the list (names, counts and dates, never
//! content), archiving (read-only for everyone), unarchiving and deleting (members are told,
//! its files go too). Each action is audited.

use std::net::IpAddr;

use super::{audit, require};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::Audience;
use crate::model::{AdminRoom, Caller, RoomId, RoomKind, SystemEvent};

pub async fn list(ctx: &AppContext, caller: &Caller) -> Result<Vec<AdminRoom>> {
    require(caller)?;
    ctx.store.admin_rooms().await
}

/// Archives (`true`) or unarchives room `id`: a system message says so and everyone who can
/// see the room gets `room_updated`. Direct conversations cannot be archived.
pub async fn set_archived(
    ctx: &AppContext,
    caller: &Caller,
    id: RoomId,
    archived: bool,
    addr: Option<IpAddr>,
) -> Result<()> {
    require(caller)?;
    let room = crate::chat::rooms::get(ctx, caller, id).await?;
    if room.kind == RoomKind::Direct {
        return Err(Error::bad_request(
            "direct_room",
            "a direct conversation cannot be archived",
        ));
    }
    let at = archived.then(|| ctx.clock.now());
    if !ctx.store.set_archived(id, at).await? {
        return Ok(());
    }
    let (by_id, by_username) = (caller.user_id, caller.username.clone());
    let event = if archived {
        SystemEvent::RoomArchived { by_id, by_username }
    } else {
        SystemEvent::RoomUnarchived { by_id, by_username }
    };
    ctx.log.post_system(id, &room.name, &event).await;
    let room = crate::chat::rooms::get(ctx, caller, id).await?;
    let audience = if room.is_private {
        Audience::room(id)
    } else {
        Audience::everyone()
    };
    ctx.fanout.publish(audience, &events::room_updated(&room));
    let action = if archived {
        "archive_room"
    } else {
        "unarchive_room"
    };
    audit(
        ctx,
        (caller.user_id, &caller.username),
        action,
        Some(&room.name),
        addr,
    )
    .await;
    Ok(())
}

/// Deletes room `id` with its messages and files. Its members (and, for a public room,
/// everyone) get `room_deleted`.
pub async fn delete(ctx: &AppContext, caller: &Caller, id: RoomId, addr: Option<IpAddr>) -> Result<()> {
    require(caller)?;
    let deleted = ctx.store.delete_room(id).await?.ok_or(Error::not_found("room"))?;
    let frame = events::room_deleted(id);
    if deleted.is_private {
        for member in &deleted.members {
            ctx.fanout.publish(Audience::user(*member), &frame);
        }
    } else {
        ctx.fanout.publish(Audience::everyone(), &frame);
    }
    for member in &deleted.members {
        ctx.fanout.unsubscribe(*member, id);
    }
    for file in &deleted.files {
        if let Err(e) = ctx.files.remove(file).await {
            // Unreferenced now: the retention job removes what is left.
            tracing::warn!(error = %e, file, "could not remove a deleted room's file");
        }
    }
    let target = format!("{} (#{id})", deleted.name);
    audit(
        ctx,
        (caller.user_id, &caller.username),
        "delete_room",
        Some(&target),
        addr,
    )
    .await;
    Ok(())
}
