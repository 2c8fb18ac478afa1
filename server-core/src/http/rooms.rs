//! Routes under `/api/rooms`: listing, creating, joining and leaving rooms, members, and read
//! markers.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, json_body, no_content, respond};
use crate::chat::rooms::{self, NewRoom};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Member, MessageId, Room, RoomId, UserId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    list(ctx.clone())
        .or(create(ctx.clone()))
        .unify()
        .or(get(ctx.clone()))
        .unify()
        .or(join(ctx.clone()))
        .unify()
        .or(leave(ctx.clone()))
        .unify()
        .or(members(ctx.clone()))
        .unify()
        .or(add_member(ctx.clone()))
        .unify()
        .or(remove_member(ctx.clone()))
        .unify()
        .or(mark_read(ctx))
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
fn list(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms")
        .and(warp::get())
        .and(authed(ctx))
        .then(|ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    let rooms = rooms::list(&ctx, &caller?).await?;
                    Ok(json(StatusCode::OK, &RoomsBody { rooms }))
                }
                .await,
            )
        })
        .boxed()
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
fn create(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms")
        .and(warp::post())
        .and(authed(ctx))
        .and(json_body::<CreateBody>())
        .then(
            |ctx: AppContext, caller: Result<Caller>, body: Result<CreateBody>| async move {
                respond(
                    async {
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
                    .await,
                )
            },
        )
        .boxed()
}

/// GET /api/rooms/{id} — one room as I see it.
fn get(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId)
        .and(warp::get())
        .and(authed(ctx))
        .then(|id: RoomId, ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    let room = rooms::get(&ctx, &caller?, id).await?;
                    Ok(json(StatusCode::OK, &RoomBody { room }))
                }
                .await,
            )
        })
        .boxed()
}

/// POST /api/rooms/{id}/join — join a public room.
fn join(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "join")
        .and(warp::post())
        .and(authed(ctx))
        .then(|id: RoomId, ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    let caller = caller?;
                    let (room, newly) = rooms::join(&ctx, &caller, id).await?;
                    if newly {
                        rooms::send_room_joined(&ctx, &room, rooms::Audience::User(caller.user_id)).await?;
                    }
                    Ok(json(StatusCode::OK, &RoomBody { room }))
                }
                .await,
            )
        })
        .boxed()
}

/// POST /api/rooms/{id}/leave — leave a room.
fn leave(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "leave")
        .and(warp::post())
        .and(authed(ctx))
        .then(|id: RoomId, ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    rooms::leave(&ctx, &caller?, id, None).await?;
                    Ok(no_content())
                }
                .await,
            )
        })
        .boxed()
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
fn members(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "members")
        .and(warp::get())
        .and(authed(ctx))
        .then(|id: RoomId, ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    let members = rooms::members(&ctx, &caller?, id).await?;
                    Ok(json(StatusCode::OK, &MembersBody { members }))
                }
                .await,
            )
        })
        .boxed()
}

#[derive(Deserialize)]
struct AddMemberBody {
    username: String,
}

/// POST /api/rooms/{id}/members — add a user to a room I administer.
fn add_member(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "members")
        .and(warp::post())
        .and(authed(ctx))
        .and(json_body::<AddMemberBody>())
        .then(
            |id: RoomId, ctx: AppContext, caller: Result<Caller>, body: Result<AddMemberBody>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let body = body?;
                        let member = rooms::add_member(&ctx, &caller, id, &body.username).await?;
                        Ok(json(StatusCode::CREATED, &MemberBody { member }))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

/// DELETE /api/rooms/{id}/members/{user_id} — remove a member from a room I administer.
fn remove_member(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "members" / UserId)
        .and(warp::delete())
        .and(authed(ctx))
        .then(
            |id: RoomId, user: UserId, ctx: AppContext, caller: Result<Caller>| async move {
                respond(
                    async {
                        rooms::remove_member(&ctx, &caller?, id, user).await?;
                        Ok(no_content())
                    }
                    .await,
                )
            },
        )
        .boxed()
}

#[derive(Deserialize)]
struct ReadBody {
    message_id: MessageId,
}

/// POST /api/rooms/{id}/read — move my read marker forward; unread counts follow.
fn mark_read(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "read")
        .and(warp::post())
        .and(authed(ctx))
        .and(json_body::<ReadBody>())
        .then(
            |id: RoomId, ctx: AppContext, caller: Result<Caller>, body: Result<ReadBody>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let body = body?;
                        let marker = rooms::mark_read(&ctx, &caller, id, body.message_id, None).await?;
                        Ok(json(StatusCode::OK, &marker))
                    }
                    .await,
                )
            },
        )
        .boxed()
}
