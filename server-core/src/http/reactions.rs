//! Routes for reactions: `/api/messages/{id}/reactions/{emoji}` adds or removes mine.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, route};
use crate::chat::reactions;
use crate::context::AppContext;
use crate::error::ErrorResponse;
use crate::error::{Error, Result};
use crate::model::{Caller, MessageId, Reaction};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let add = endpoint!(api, __path_add, MessageId, String)
        .and(authed())
        .then(add);
    let remove = endpoint!(api, __path_remove, MessageId, String)
        .and(authed())
        .then(remove);
    route(add).or(route(remove)).unify().boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
struct ReactionsBody {
    message_id: MessageId,
    reactions: Vec<Reaction>,
}

/// Adds my reaction; idempotent.
#[utoipa::path(put, path = "/api/messages/{id}/reactions/{emoji}", operation_id = "react", tag = "reactions",
    params(("id" = i64, Path), ("emoji" = String, Path, description = "One emoji, or a `:shortcode:` of the picker's set; URL-encoded.")),
    responses(
        (status = 200, description = "The message's reactions now.", body = ReactionsBody),
        (status = 400, description = "`invalid_emoji`, `too_many_reactions` (20 distinct at most).", body = ErrorResponse),
        (status = 404, description = "`not_found`: no such message here.", body = ErrorResponse),
    ))]
async fn add(id: MessageId, emoji: String, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    change(id, &emoji, ctx, caller, true).await
}

/// Removes my reaction; idempotent.
#[utoipa::path(delete, path = "/api/messages/{id}/reactions/{emoji}", operation_id = "unreact", tag = "reactions",
    params(("id" = i64, Path), ("emoji" = String, Path, description = "URL-encoded.")),
    responses(
        (status = 200, description = "The message's reactions now.", body = ReactionsBody),
        (status = 400, description = "`invalid_emoji`.", body = ErrorResponse),
        (status = 404, description = "`not_found`: no such message here.", body = ErrorResponse),
    ))]
async fn remove(id: MessageId, emoji: String, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    change(id, &emoji, ctx, caller, false).await
}

async fn change(
    id: MessageId,
    emoji: &str,
    ctx: AppContext,
    caller: Result<Caller>,
    add: bool,
) -> Result<Response> {
    let caller = caller?;
    let emoji = percent_encoding::percent_decode_str(emoji)
        .decode_utf8()
        .map_err(|_| Error::invalid("invalid_emoji", "emoji", "the emoji is not valid UTF-8"))?;
    let reactions = reactions::react(&ctx, &caller, id, &emoji, add, None).await?;
    Ok(json(
        StatusCode::OK,
        &ReactionsBody {
            message_id: id,
            reactions,
        },
    ))
}
