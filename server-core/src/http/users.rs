//! Routes under `/api/users`: who is online, finding people and a person's profile.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, route};
use crate::chat::{people, presence};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, User, UserId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let online = warp::path!("users" / "online")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .then(online);
    let search = warp::path!("users")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .and(warp::query::<SearchQuery>())
        .then(search);
    let profile = warp::path!("users" / UserId)
        .and(warp::get())
        .and(authed(ctx))
        .then(profile);
    route(online)
        .or(route(search))
        .unify()
        .or(route(profile))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct UsersBody {
    users: Vec<User>,
}

#[derive(Serialize)]
struct UserBody {
    user: User,
}

/// GET /api/users/online — everyone with a live connection.
async fn online(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    caller?;
    let users = presence::online_users(&ctx).await?;
    Ok(json(StatusCode::OK, &UsersBody { users }))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    limit: Option<u32>,
}

/// GET /api/users?q=&limit= — people whose name starts with `q`, ignoring case.
async fn search(ctx: AppContext, caller: Result<Caller>, query: SearchQuery) -> Result<Response> {
    caller?;
    let users = people::search(&ctx, &query.q, query.limit).await?;
    Ok(json(StatusCode::OK, &UsersBody { users }))
}

/// GET /api/users/{id} — one person's profile.
async fn profile(id: UserId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    caller?;
    let user = people::profile(&ctx, id).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}
