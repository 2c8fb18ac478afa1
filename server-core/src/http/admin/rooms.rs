//! Routes for rooms as server administrators manage them: `GET /api/admin/rooms`,
//! `POST /api/rooms/{id}/archive|unarchive` and `DELETE /api/rooms/{id}`.

use std::net::IpAddr;

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::super::{authed, client_ip, json, no_content, route};
use crate::chat::admin::rooms;
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::http::api::{Api, endpoint};
use crate::model::{AdminRoom, Caller, RoomId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let list = endpoint!(api, __path_list).and(authed(ctx.clone())).then(list);
    let archive = endpoint!(api, __path_archive, RoomId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(archive);
    let unarchive = endpoint!(api, __path_unarchive, RoomId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(unarchive);
    let delete = endpoint!(api, __path_delete, RoomId)
        .and(authed(ctx))
        .and(client_ip())
        .then(delete);
    route(list)
        .or(route(archive))
        .unify()
        .or(route(unarchive))
        .unify()
        .or(route(delete))
        .unify()
        .boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AdminRoomsBody)]
struct RoomsBody {
    rooms: Vec<AdminRoom>,
}

/// Every room with kind, privacy, members, creator and last activity.
#[utoipa::path(get, path = "/api/admin/rooms", operation_id = "admin_list_rooms", tag = "admin",
    responses((status = 200, description = "Every room, without the content of private rooms or conversations.", body = RoomsBody)))]
async fn list(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let rooms = rooms::list(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &RoomsBody { rooms }))
}

/// Make a room read-only for everyone.
#[utoipa::path(post, path = "/api/rooms/{id}/archive", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn archive(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    rooms::set_archived(&ctx, &caller?, id, true, ip).await?;
    Ok(no_content())
}

/// Let a room take messages again.
#[utoipa::path(post, path = "/api/rooms/{id}/unarchive", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn unarchive(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    rooms::set_archived(&ctx, &caller?, id, false, ip).await?;
    Ok(no_content())
}

/// Delete a room with its messages and files.
#[utoipa::path(delete, path = "/api/rooms/{id}", operation_id = "delete_room", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn delete(id: RoomId, ctx: AppContext, caller: Result<Caller>, ip: Option<IpAddr>) -> Result<Response> {
    rooms::delete(&ctx, &caller?, id, ip).await?;
    Ok(no_content())
}
