//! Routes under `/api/mentions`: the messages that mention me.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, route};
use crate::chat::mentions;
use crate::context::AppContext;
use crate::error::ErrorResponse;
use crate::error::Result;
use crate::model::{Caller, Message, MessageId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    route(
        endpoint!(api, __path_recent)
            .and(authed(ctx))
            .and(warp::query::<PageQuery>())
            .then(recent),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Only messages older than this id.
    before: Option<MessageId>,
    /// At most this many (default 30).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PageBody {
    messages: Vec<Message>,
    has_more: bool,
}

/// Messages mentioning me in my rooms, newest first.
#[utoipa::path(get, path = "/api/mentions", tag = "messages", params(PageQuery),
    responses((status = 200, description = "A page of messages, newest first.", body = PageBody),
        (status = 400, description = "`invalid_query`.", body = ErrorResponse)))]
async fn recent(ctx: AppContext, caller: Result<Caller>, query: PageQuery) -> Result<Response> {
    let page = mentions::recent(&ctx, &caller?, query.before, query.limit).await?;
    Ok(json(
        StatusCode::OK,
        &PageBody {
            messages: page.messages,
            has_more: page.has_more,
        },
    ))
}
