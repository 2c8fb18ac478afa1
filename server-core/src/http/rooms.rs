//! Routes under `/api/rooms`: listing, creating, joining and leaving rooms, members, and read
//! markers.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, json_body, no_content, route};
use crate::chat::rooms::{self, NewRoom};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Member, MessageId, Room, RoomId, UserId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let list = warp::path!("rooms").and(warp::get()).and(authed()).then(list);
    let create = warp::path!("rooms")
        .and(warp::post())
        .and(authed())
        .and(json_body::<CreateBody>())
        .then(create);
    let get = warp::path!("rooms" / RoomId)
        .and(warp::get())
        .and(authed())
        .then(get);
    let join = warp::path!("rooms" / RoomId / "join")
        .and(warp::post())
        .and(authed())
        .then(join);
    let leave = warp::path!("rooms" / RoomId / "leave")
        .and(warp::post())
        .and(authed())
        .then(leave);
    let members = warp::path!("rooms" / RoomId / "members")
        .and(warp::get())
        .and(authed())
        .then(members);
    let add_member = warp::path!("rooms" / RoomId / "members")
        .and(warp::post())
        .and(authed())
        .and(json_body::<AddMemberBody>())
        .then(add_member);
    let remove_member = warp::path!("rooms" / RoomId / "members" / UserId)
        .and(warp::delete())
        .and(authed())
        .then(remove_member);
    let mark_read = warp::path!("rooms" / RoomId / "read")
        .and(warp::post())
        .and(authed())
        .and(json_body::<ReadBody>())
        .then(mark_read);
    route(list)
        .or(route(create))
        .unify()
        .or(route(get))
        .unify()
        .or(route(join))
        .unify()
        .or(route(leave))
        .unify()
        .or(route(members))
        .unify()
        .or(route(add_member))
        .unify()
        .or(route(remove_member))
        .unify()
        .or(route(mark_read))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct RoomBody {
    room: Room,
}

#[derive(Serialize)]
struct RoomsBody {
    rooms: Vec<Room>,
}

/// GET /api/rooms — public rooms and my private rooms, with membership and unread counts.
async fn list(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let rooms = rooms::list(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &RoomsBody { rooms }))
}

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    is_private: bool,
}

/// POST /api/rooms — create a room; its creator becomes its admin.
async fn create(ctx: AppContext, caller: Result<Caller>, body: Result<CreateBody>) -> Result<Response> {
    let caller = caller?;
    let body = body?;
    let input = NewRoom {
        name: &body.name,
        description: body.description.as_deref(),
        is_private: body.is_private,
    };
    let room = rooms::create(&ctx, &caller, input).await?;
    Ok(json(StatusCode::CREATED, &RoomBody { room }))
}

/// GET /api/rooms/{id} — one room as I see it.
async fn get(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let room = rooms::get(&ctx, &caller?, id).await?;
    Ok(json(StatusCode::OK, &RoomBody { room }))
}

/// POST /api/rooms/{id}/join — join a public room.
async fn join(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let room = rooms::join(&ctx, &caller?, id, None).await?;
    Ok(json(StatusCode::OK, &RoomBody { room }))
}

/// POST /api/rooms/{id}/leave — leave a room.
async fn leave(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    rooms::leave(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}

#[derive(Serialize)]
struct MembersBody {
    members: Vec<Member>,
}

#[derive(Serialize)]
struct MemberBody {
    member: Member,
}

/// GET /api/rooms/{id}/members — the room's members, with admin and online flags.
async fn members(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let members = rooms::members(&ctx, &caller?, id).await?;
    Ok(json(StatusCode::OK, &MembersBody { members }))
}

#[derive(Deserialize)]
struct AddMemberBody {
    username: String,
}

/// POST /api/rooms/{id}/members — add a user to a room I administer.
async fn add_member(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    body: Result<AddMemberBody>,
) -> Result<Response> {
    let caller = caller?;
    let member = rooms::add_member(&ctx, &caller, id, &body?.username).await?;
    Ok(json(StatusCode::CREATED, &MemberBody { member }))
}

/// DELETE /api/rooms/{id}/members/{user_id} — remove a member from a room I administer.
async fn remove_member(
    id: RoomId,
    user: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
) -> Result<Response> {
    rooms::remove_member(&ctx, &caller?, id, user).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct ReadBody {
    message_id: MessageId,
}

/// POST /api/rooms/{id}/read — move my read marker forward; unread counts follow.
async fn mark_read(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    body: Result<ReadBody>,
) -> Result<Response> {
    let caller = caller?;
    let marker = rooms::mark_read(&ctx, &caller, id, body?.message_id, None).await?;
    Ok(json(StatusCode::OK, &marker))
}
