//! Routes for reactions: `/api/messages/{id}/reactions/{emoji}` adds or removes mine.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, route};
use crate::chat::reactions;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, MessageId, Reaction};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let add = warp::path!("messages" / MessageId / "reactions" / String)
        .and(warp::put())
        .and(authed())
        .then(add);
    let remove = warp::path!("messages" / MessageId / "reactions" / String)
        .and(warp::delete())
        .and(authed())
        .then(remove);
    route(add).or(route(remove)).unify().boxed()
}

#[derive(Serialize)]
struct ReactionsBody {
    message_id: MessageId,
    reactions: Vec<Reaction>,
}

/// PUT /api/messages/{id}/reactions/{emoji} — add my reaction (URL-encoded emoji); idempotent.
async fn add(id: MessageId, emoji: String, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    change(id, &emoji, ctx, caller, true).await
}

/// DELETE /api/messages/{id}/reactions/{emoji} — remove my reaction; idempotent.
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
