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
use crate::error::Result;
use crate::model::{AdminRoom, Caller, RoomId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let list = warp::path!("admin" / "rooms")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .then(list);
    let archive = warp::path!("rooms" / RoomId / "archive")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(archive);
    let unarchive = warp::path!("rooms" / RoomId / "unarchive")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(unarchive);
    let delete = warp::path!("rooms" / RoomId)
        .and(warp::delete())
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

#[derive(Serialize)]
struct RoomsBody {
    rooms: Vec<AdminRoom>,
}

/// GET /api/admin/rooms — every room with kind, privacy, members, creator and last activity.
async fn list(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let rooms = rooms::list(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &RoomsBody { rooms }))
}

/// POST /api/rooms/{id}/archive — make a room read-only for everyone.
async fn archive(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    rooms::set_archived(&ctx, &caller?, id, true, ip).await?;
    Ok(no_content())
}

/// POST /api/rooms/{id}/unarchive — let a room take messages again.
async fn unarchive(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    rooms::set_archived(&ctx, &caller?, id, false, ip).await?;
    Ok(no_content())
}

/// DELETE /api/rooms/{id} — delete a room with its messages and files.
async fn delete(id: RoomId, ctx: AppContext, caller: Result<Caller>, ip: Option<IpAddr>) -> Result<Response> {
    rooms::delete(&ctx, &caller?, id, ip).await?;
    Ok(no_content())
}
