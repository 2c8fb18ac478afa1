//! Routes for room admins: `PATCH /api/rooms/{id}` and `PUT|DELETE /api/rooms/{id}/admins/{user_id}`.

use std::net::IpAddr;

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, client_ip, json, json_body, no_content, route};
use crate::chat::room_settings::{self, Patch};
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{Caller, Room, RoomId, UserId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let patch = endpoint!(api, __path_patch, RoomId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<Patch>())
        .then(patch);
    let promote = endpoint!(api, __path_promote, RoomId, UserId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(promote);
    let demote = endpoint!(api, __path_demote, RoomId, UserId)
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

#[derive(Serialize, utoipa::ToSchema)]
struct RoomBody {
    room: Room,
}

/// `{name?, description?, is_private?}` — a room admin changes the room.
#[utoipa::path(patch, path = "/api/rooms/{id}", operation_id = "edit_room", tag = "rooms",
    params(("id" = i64, Path)),
    request_body = Patch,
    responses((status = 200, description = "The room as changed.", body = RoomBody),
        (status = 400, description = "`invalid_room_name`, `invalid_description`.", body = ErrorResponse),
        (status = 403, description = "`not_room_admin`.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 409, description = "`room_name_taken`.", body = ErrorResponse)))]
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

/// Make a member a room admin.
#[utoipa::path(put, path = "/api/rooms/{id}/admins/{user}", operation_id = "make_room_admin", tag = "rooms",
    params(("id" = i64, Path), ("user" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 403, description = "`not_room_admin`.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 409, description = "`not_a_member`: only members can be room admins.", body = ErrorResponse)))]
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

/// A room admin is one no more (never the last).
#[utoipa::path(delete, path = "/api/rooms/{id}/admins/{user}", operation_id = "remove_room_admin", tag = "rooms",
    params(("id" = i64, Path), ("user" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 403, description = "`not_room_admin`.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 409, description = "`last_room_admin`: a room keeps at least one admin; `not_a_member`.", body = ErrorResponse)))]
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
