//! Routes for pins: `/api/messages/{id}/pin` pins or unpins, `/api/rooms/{id}/pins` lists.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, route};
use crate::chat::pins;
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{Caller, Message, MessageId, RoomId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let pin = endpoint!(api, __path_pin, MessageId).and(authed()).then(pin);
    let unpin = endpoint!(api, __path_unpin, MessageId).and(authed()).then(unpin);
    let list = endpoint!(api, __path_list, RoomId).and(authed()).then(list);
    route(pin)
        .or(route(unpin))
        .unify()
        .or(route(list))
        .unify()
        .boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
struct MessageBody {
    message: Message,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PinsBody {
    messages: Vec<Message>,
}

/// Pin a message of a room I am in; idempotent.
#[utoipa::path(put, path = "/api/messages/{id}/pin", tag = "pins",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The message, now pinned.", body = MessageBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn pin(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let message = pins::set(&ctx, &caller?, id, true, None).await?;
    Ok(json(StatusCode::OK, &MessageBody { message }))
}

/// Unpin it; idempotent.
#[utoipa::path(delete, path = "/api/messages/{id}/pin", tag = "pins",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The message, no longer pinned.", body = MessageBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn unpin(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let message = pins::set(&ctx, &caller?, id, false, None).await?;
    Ok(json(StatusCode::OK, &MessageBody { message }))
}

/// The room's pinned messages, most recently pinned first.
#[utoipa::path(get, path = "/api/rooms/{id}/pins", operation_id = "list_pins", tag = "pins",
    params(("id" = i64, Path)),
    responses((status = 200, description = "Pinned messages, most recently pinned first.", body = PinsBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn list(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let messages = pins::list(&ctx, &caller?, id).await?;
    Ok(json(StatusCode::OK, &PinsBody { messages }))
}
