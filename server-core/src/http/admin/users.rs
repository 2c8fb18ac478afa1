//! Routes under `/api/admin/users`: accounts as server administrators manage them.

use std::net::IpAddr;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::super::{authed, client_ip, json, json_body, route};
use crate::chat::admin::users;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{AdminUser, Caller, UserId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let list = warp::path!("admin" / "users")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .and(warp::query::<ListQuery>())
        .then(list);
    let act = warp::path!("admin" / "users" / UserId / String)
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(act);
    let create = warp::path!("admin" / "users")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<CreateBody>())
        .then(create);
    route(list)
        .or(route(act))
        .unify()
        .or(route(create))
        .unify()
        .boxed()
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct UsersBody {
    users: Vec<AdminUser>,
}

#[derive(Serialize)]
struct UserBody {
    user: AdminUser,
}

#[derive(Deserialize)]
struct CreateBody {
    username: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    is_server_admin: bool,
}

#[derive(Serialize)]
struct CreatedBody {
    user: AdminUser,
    temporary_password: String,
}

/// POST /api/admin/users `{username, email?, is_server_admin?}` — create an account (under any
/// registration policy); answers it with a temporary password to pass on, which must be
/// changed at first sign-in.
async fn create(
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
    body: Result<CreateBody>,
) -> Result<Response> {
    let caller = caller?;
    let body = body?;
    let new = users::NewAccount {
        username: &body.username,
        email: body.email.as_deref(),
        is_server_admin: body.is_server_admin,
    };
    let (user, temporary_password) = users::create(&ctx, &caller, &new, ip).await?;
    Ok(json(
        StatusCode::CREATED,
        &CreatedBody {
            user,
            temporary_password,
        },
    ))
}

#[derive(Serialize)]
struct ResetBody {
    temporary_password: String,
}

/// GET /api/admin/users?q= — every account (or those whose name contains `q`), with role and
/// status.
async fn list(ctx: AppContext, caller: Result<Caller>, query: ListQuery) -> Result<Response> {
    let users = users::list(&ctx, &caller?, &query.q).await?;
    Ok(json(StatusCode::OK, &UsersBody { users }))
}

/// POST /api/admin/users/{id}/deactivate|reactivate|reset-password|promote|demote — act on an
/// account; answers the account as it is now, or `{"temporary_password"}` for a reset.
async fn act(
    id: UserId,
    action: String,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    let caller = caller?;
    let user = match action.as_str() {
        "deactivate" => users::deactivate(&ctx, &caller, id, ip).await?,
        "reactivate" => users::reactivate(&ctx, &caller, id, ip).await?,
        "promote" => users::promote(&ctx, &caller, id, ip).await?,
        "demote" => users::demote(&ctx, &caller, id, ip).await?,
        "reset-password" => {
            let temporary_password = users::reset_password(&ctx, &caller, id, ip).await?;
            return Ok(json(StatusCode::OK, &ResetBody { temporary_password }));
        }
        _ => return Err(crate::error::Error::not_found("action")),
    };
    Ok(json(StatusCode::OK, &UserBody { user }))
}
