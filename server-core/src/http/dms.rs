//! Routes under `/api/dms`: opening and closing direct conversations.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, json_body, no_content, route};
use crate::chat::dms;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Room, RoomId, UserId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let open = warp::path!("dms")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(json_body::<OpenBody>())
        .then(open);
    let close = warp::path!("dms" / RoomId / "close")
        .and(warp::post())
        .and(authed(ctx))
        .then(close);
    route(open).or(route(close)).unify().boxed()
}

#[derive(Deserialize)]
struct OpenBody {
    user_ids: Vec<UserId>,
}

#[derive(Serialize)]
struct RoomBody {
    room: Room,
}

/// POST /api/dms — open the conversation with these people: 201 when it is new, 200 when it
/// already existed.
async fn open(ctx: AppContext, caller: Result<Caller>, body: Result<OpenBody>) -> Result<Response> {
    let caller = caller?;
    let opened = dms::open(&ctx, &caller, &body?.user_ids, None).await?;
    let status = if opened.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &RoomBody { room: opened.room }))
}

/// POST /api/dms/{id}/close — hide a conversation from my list until its next message.
async fn close(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    dms::close(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}
