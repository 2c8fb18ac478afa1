//! Routes for search: `GET /api/search`.

use std::collections::HashMap;

use http::StatusCode;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, route};
use crate::chat::search::{self, Request, Sort};
use crate::context::AppContext;
use crate::error::{Error, ErrorResponse, Result};
use crate::model::Caller;

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    route(
        endpoint!(api, __path_find)
            .and(warp::query::<HashMap<String, String>>())
            .and(authed(ctx))
            .then(find),
    )
}

/// Messages in my rooms and
/// conversations that match `q`, with the matched ranges of their text.
#[utoipa::path(get, path = "/api/search", operation_id = "search_messages", tag = "search",
    params(("q" = String, Query, description = "Words, `\"phrases\"`, `-excluded`, and filters: `from:NAME`, `in:ROOM`, `before:`/`after:`/`on:YYYY-MM-DD`, `has:file|image|link`, `is:pinned`."),
        ("room_id" = Option<i64>, Query, description = "Only this room."),
        ("sort" = Option<String>, Query, description = "`relevance` (default) or `newest`."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "At most this many results (default 20)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page.")),
    responses((status = 400, description = "`invalid_query` names the part of `q` at fault; `invalid_limit`.", body = ErrorResponse),
        (status = 200, description = "Matching messages with their rooms and matched ranges.", body = crate::chat::search::Page)))]
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
