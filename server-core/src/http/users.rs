//! Routes under `/api/users`: who is online, finding people and a person's profile.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, route};
use crate::chat::{people, presence};
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{Caller, User, UserId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let online = endpoint!(api, __path_online)
        .and(authed(ctx.clone()))
        .then(online);
    let search = endpoint!(api, __path_search)
        .and(authed(ctx.clone()))
        .and(warp::query::<SearchQuery>())
        .then(search);
    let profile = endpoint!(api, __path_profile, UserId)
        .and(authed(ctx))
        .then(profile);
    route(online)
        .or(route(search))
        .unify()
        .or(route(profile))
        .unify()
        .boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
struct UsersBody {
    users: Vec<User>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct UserBody {
    user: User,
}

/// Everyone with a live connection.
#[utoipa::path(get, path = "/api/users/online", tag = "users",
    responses((status = 200, description = "People online now.", body = UsersBody)))]
async fn online(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    caller?;
    let users = presence::online_users(&ctx).await?;
    Ok(json(StatusCode::OK, &UsersBody { users }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
}

/// People whose name starts with `q`, ignoring case.
#[utoipa::path(get, path = "/api/users", operation_id = "search_people", tag = "users",
    params(SearchQuery),
    responses((status = 200, description = "People whose names match.", body = UsersBody),
        (status = 400, description = "`invalid_limit`, `invalid_query`.", body = crate::error::ErrorResponse)))]
async fn search(ctx: AppContext, caller: Result<Caller>, query: SearchQuery) -> Result<Response> {
    caller?;
    let users = people::search(&ctx, &query.q, query.limit).await?;
    Ok(json(StatusCode::OK, &UsersBody { users }))
}

/// One person's profile.
#[utoipa::path(get, path = "/api/users/{id}", operation_id = "user_profile", tag = "users",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The person.", body = UserBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn profile(id: UserId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    caller?;
    let user = people::profile(&ctx, id).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}
