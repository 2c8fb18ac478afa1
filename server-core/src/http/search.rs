//! Routes for search: `GET /api/search`.

use std::collections::HashMap;

use http::StatusCode;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, route};
use crate::chat::search::{self, Request, Sort};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::Caller;

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    route(
        warp::path!("search")
            .and(warp::get())
            .and(warp::query::<HashMap<String, String>>())
            .and(authed(ctx))
            .then(find),
    )
}

/// GET /api/search?q=&limit=&cursor=&room_id=&sort=relevance|newest — messages in my rooms and
/// conversations that match `q`, with the matched ranges of their text.
async fn find(query: HashMap<String, String>, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let caller = caller?;
    let number = |key: &'static str| -> Result<Option<i64>> {
        query
            .get(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| Error::invalid("invalid_query", key, format!("{key} must be a number")))
            })
            .transpose()
    };
    let sort = match query.get("sort").map(String::as_str) {
        None | Some("relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some(other) => {
            return Err(Error::invalid(
                "invalid_query",
                "sort",
                format!("sort={other}: use relevance or newest"),
            ));
        }
    };
    let request = Request {
        q: query.get("q").cloned().unwrap_or_default(),
        limit: number("limit")?.map(|l| u32::try_from(l).unwrap_or(0)),
        cursor: query.get("cursor").cloned(),
        room_id: number("room_id")?,
        sort,
    };
    let page = search::search(&ctx, &caller, request).await?;
    Ok(json(StatusCode::OK, &page))
}
