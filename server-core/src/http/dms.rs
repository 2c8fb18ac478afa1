//! Routes under `/api/dms`: opening and closing direct conversations.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, json_body, no_content, route};
use crate::chat::dms;
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{Caller, Room, RoomId, UserId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let open = endpoint!(api, __path_open)
        .and(authed(ctx.clone()))
        .and(json_body::<OpenBody>())
        .then(open);
    let close = endpoint!(api, __path_close, RoomId).and(authed(ctx)).then(close);
    route(open).or(route(close)).unify().boxed()
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OpenBody {
    #[schema(min_items = 1, max_items = 7)]
    user_ids: Vec<UserId>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomBody {
    room: Room,
}

/// Open the conversation with these people: 201 when it is new, 200 when it
/// already existed.
#[utoipa::path(post, path = "/api/dms", tag = "dms",
    request_body = OpenBody,
    responses((status = 201, description = "Created.", body = RoomBody,
        links(("CloseConversation" = (operation_id = "close", parameters(("id" = "$response.body#/room/id")))), ("SendMessage" = (operation_id = "send", parameters(("id" = "$response.body#/room/id")))))),
        (status = 200, description = "It already existed.", body = RoomBody),
        (status = 404, description = "`not_found`: one of the people does not exist.", body = crate::error::ErrorResponse)))]
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

/// Hide a conversation from my list until its next message.
#[utoipa::path(post, path = "/api/dms/{id}/close", tag = "dms",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn close(id: RoomId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    dms::close(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}
