//! Routes under `/api/mentions`: the messages that mention me.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, route};
use crate::chat::mentions;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Message, MessageId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    route(
        warp::path!("mentions")
            .and(warp::get())
            .and(authed(ctx))
            .and(warp::query::<PageQuery>())
            .then(recent),
    )
}

#[derive(Deserialize)]
struct PageQuery {
    before: Option<MessageId>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct PageBody {
    messages: Vec<Message>,
    has_more: bool,
}

/// GET /api/mentions?before=&limit= — messages mentioning me in my rooms, newest first.
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
