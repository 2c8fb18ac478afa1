//! Routes under `/api/rooms`: listing, creating, joining and leaving rooms, members, and read
//! markers.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, json_body, no_content, route};
use crate::chat::rooms::{self, NewRoom};
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{Caller, Member, MessageId, Room, RoomId, UserId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let list = endpoint!(api, __path_list).and(authed()).then(list);
    let create = endpoint!(api, __path_create)
        .and(authed())
        .and(json_body::<CreateBody>())
        .then(create);
    let get = endpoint!(api, __path_get, RoomId).and(authed()).then(get);
    let join = endpoint!(api, __path_join, RoomId).and(authed()).then(join);
    let leave = endpoint!(api, __path_leave, RoomId).and(authed()).then(leave);
    let members = endpoint!(api, __path_members, RoomId).and(authed()).then(members);
    let add_member = endpoint!(api, __path_add_member, RoomId)
        .and(authed())
        .and(json_body::<AddMemberBody>())
        .then(add_member);
    let remove_member = endpoint!(api, __path_remove_member, RoomId, UserId)
        .and(authed())
        .then(remove_member);
    let mark_read = endpoint!(api, __path_mark_read, RoomId)
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

#[derive(Serialize, utoipa::ToSchema)]
struct RoomBody {
    room: Room,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomsBody {
    rooms: Vec<Room>,
}

/// Public rooms and my private rooms, with membership and unread counts.
#[utoipa::path(get, path = "/api/rooms", operation_id = "list_rooms", tag = "rooms",
    responses((status = 200, description = "The rooms.", body = RoomsBody)))]
async fn list(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let rooms = rooms::list(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &RoomsBody { rooms }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = NewRoomBody)]
struct CreateBody {
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    description: Option<String>,
    #[serde(default)]
    is_private: bool,
}

/// Create a room; its creator becomes its admin.
#[utoipa::path(post, path = "/api/rooms", operation_id = "create_room", tag = "rooms",
    request_body = CreateBody,
    responses((status = 201, description = "The new room.", body = RoomBody,
            links(("GetRoom" = (operation_id = "get_room", parameters(("id" = "$response.body#/room/id")))), ("SendMessage" = (operation_id = "send", parameters(("id" = "$response.body#/room/id")))), ("ListMembers" = (operation_id = "members", parameters(("id" = "$response.body#/room/id")))), ("EditRoom" = (operation_id = "edit_room", parameters(("id" = "$response.body#/room/id")))), ("DeleteRoom" = (operation_id = "delete_room", parameters(("id" = "$response.body#/room/id")))))),
        (status = 400, description = "`invalid_room_name`, `invalid_description`.", body = ErrorResponse),
        (status = 409, description = "`room_name_taken`.", body = ErrorResponse)))]
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

/// One room as I see it.
#[utoipa::path(get, path = "/api/rooms/{id}", operation_id = "get_room", tag = "rooms",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The room.", body = RoomBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn get(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let room = rooms::get(&ctx, &caller?, id).await?;
    Ok(json(StatusCode::OK, &RoomBody { room }))
}

/// Join a public room.
#[utoipa::path(post, path = "/api/rooms/{id}/join", tag = "rooms",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The room, joined.", body = RoomBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn join(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let room = rooms::join(&ctx, &caller?, id, None).await?;
    Ok(json(StatusCode::OK, &RoomBody { room }))
}

/// Leave a room.
#[utoipa::path(post, path = "/api/rooms/{id}/leave", tag = "rooms",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 409, description = "`not_a_member`.", body = ErrorResponse)))]
async fn leave(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    rooms::leave(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}

#[derive(Serialize, utoipa::ToSchema)]
struct MembersBody {
    members: Vec<Member>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct MemberBody {
    member: Member,
}

/// The room's members, with admin and online flags.
#[utoipa::path(get, path = "/api/rooms/{id}/members", tag = "rooms",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The members.", body = MembersBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn members(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let members = rooms::members(&ctx, &caller?, id).await?;
    Ok(json(StatusCode::OK, &MembersBody { members }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AddMemberBody {
    username: String,
}

/// Add a user to a room I administer.
#[utoipa::path(post, path = "/api/rooms/{id}/members", tag = "rooms",
    params(("id" = i64, Path)),
    request_body = AddMemberBody,
    responses((status = 201, description = "The added member.", body = MemberBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 409, description = "`already_member`.", body = ErrorResponse)))]
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

/// Remove a member from a room I administer.
#[utoipa::path(delete, path = "/api/rooms/{id}/members/{user}", tag = "rooms",
    params(("id" = i64, Path), ("user" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 400, description = "`use_leave`: to remove oneself, leave the room.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn remove_member(
    id: RoomId,
    user: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
) -> Result<Response> {
    rooms::remove_member(&ctx, &caller?, id, user).await?;
    Ok(no_content())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ReadBody {
    message_id: MessageId,
}

/// Move my read marker forward; unread counts follow.
#[utoipa::path(post, path = "/api/rooms/{id}/read", tag = "rooms",
    params(("id" = i64, Path)),
    request_body = ReadBody,
    responses((status = 200, description = "My read marker and unread counts now.", body = crate::chat::rooms::ReadMarker),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 409, description = "`not_a_member`.", body = ErrorResponse)))]
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
