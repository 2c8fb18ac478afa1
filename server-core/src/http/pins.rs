//! Routes for pins: `/api/messages/{id}/pin` pins or unpins, `/api/rooms/{id}/pins` lists.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, route};
use crate::chat::pins;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Message, MessageId, RoomId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let pin = warp::path!("messages" / MessageId / "pin")
        .and(warp::put())
        .and(authed())
        .then(pin);
    let unpin = warp::path!("messages" / MessageId / "pin")
        .and(warp::delete())
        .and(authed())
        .then(unpin);
    let list = warp::path!("rooms" / RoomId / "pins")
        .and(warp::get())
        .and(authed())
        .then(list);
    route(pin)
        .or(route(unpin))
        .unify()
        .or(route(list))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct MessageBody {
    message: Message,
}

#[derive(Serialize)]
struct PinsBody {
    messages: Vec<Message>,
}

/// PUT /api/messages/{id}/pin — pin a message of a room I am in; idempotent.
async fn pin(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let message = pins::set(&ctx, &caller?, id, true, None).await?;
    Ok(json(StatusCode::OK, &MessageBody { message }))
}

/// DELETE /api/messages/{id}/pin — unpin it; idempotent.
async fn unpin(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let message = pins::set(&ctx, &caller?, id, false, None).await?;
    Ok(json(StatusCode::OK, &MessageBody { message }))
}

/// GET /api/rooms/{id}/pins — the room's pinned messages, most recently pinned first.
async fn list(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let messages = pins::list(&ctx, &caller?, id).await?;
    Ok(json(StatusCode::OK, &PinsBody { messages }))
}
