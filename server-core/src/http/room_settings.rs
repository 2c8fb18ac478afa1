//! Routes for room admins: `PATCH /api/rooms/{id}` and `PUT|DELETE /api/rooms/{id}/admins/{user_id}`.

use std::net::IpAddr;

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, client_ip, json, json_body, no_content, route};
use crate::chat::room_settings::{self, Patch};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Room, RoomId, UserId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let patch = warp::path!("rooms" / RoomId)
        .and(warp::patch())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<Patch>())
        .then(patch);
    let promote = warp::path!("rooms" / RoomId / "admins" / UserId)
        .and(warp::put())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(promote);
    let demote = warp::path!("rooms" / RoomId / "admins" / UserId)
        .and(warp::delete())
        .and(authed(ctx))
        .and(client_ip())
        .then(demote);
    route(patch)
        .or(route(promote))
        .unify()
        .or(route(demote))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct RoomBody {
    room: Room,
}

/// PATCH /api/rooms/{id} `{name?, description?, is_private?}` — a room admin changes the room.
async fn patch(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
    body: Result<Patch>,
) -> Result<Response> {
    let caller = caller?;
    let room = room_settings::update(&ctx, &caller, id, body?, ip).await?;
    Ok(json(StatusCode::OK, &RoomBody { room }))
}

/// PUT /api/rooms/{id}/admins/{user_id} — make a member a room admin.
async fn promote(
    id: RoomId,
    user: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    room_settings::set_admin(&ctx, &caller?, id, user, true, ip).await?;
    Ok(no_content())
}

/// DELETE /api/rooms/{id}/admins/{user_id} — a room admin is one no more (never the last).
async fn demote(
    id: RoomId,
    user: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    room_settings::set_admin(&ctx, &caller?, id, user, false, ip).await?;
    Ok(no_content())
}
