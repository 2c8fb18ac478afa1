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
use crate::error::{ErrorResponse, Result};
use crate::http::api::{Api, endpoint};
use crate::model::{AdminUser, Caller, UserId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let list = endpoint!(api, __path_list)
        .and(authed(ctx.clone()))
        .and(warp::query::<ListQuery>())
        .then(list);
    let deactivate = endpoint!(api, __path_deactivate, UserId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(deactivate);
    let reactivate = endpoint!(api, __path_reactivate, UserId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(reactivate);
    let promote = endpoint!(api, __path_promote, UserId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(promote);
    let demote = endpoint!(api, __path_demote, UserId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(demote);
    let reset = endpoint!(api, __path_reset_password, UserId)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .then(reset_password);
    let create = endpoint!(api, __path_create)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<CreateBody>())
        .then(create);
    route(list)
        .or(route(deactivate))
        .unify()
        .or(route(reactivate))
        .unify()
        .or(route(promote))
        .unify()
        .or(route(demote))
        .unify()
        .or(route(reset))
        .unify()
        .or(route(create))
        .unify()
        .boxed()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AdminUsersBody)]
struct UsersBody {
    users: Vec<AdminUser>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AdminUserBody)]
struct UserBody {
    user: AdminUser,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = NewAccountBody)]
struct CreateBody {
    username: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    is_server_admin: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NewAccount)]
struct CreatedBody {
    user: AdminUser,
    temporary_password: String,
}

/// `{username, email?, is_server_admin?}` — create an account (under any
/// registration policy); answers it with a temporary password to pass on, which must be
/// changed at first sign-in.
#[utoipa::path(post, path = "/api/admin/users", operation_id = "admin_create_user", tag = "admin",
    request_body = CreateBody,
    responses((status = 201, description = "The account, with its temporary password to pass on.", body = CreatedBody,
            links(("PromoteUser" = (operation_id = "promote_user", parameters(("id" = "$response.body#/user/id")))), ("DemoteUser" = (operation_id = "demote_user", parameters(("id" = "$response.body#/user/id")))), ("DeactivateUser" = (operation_id = "deactivate", parameters(("id" = "$response.body#/user/id")))), ("ReactivateUser" = (operation_id = "reactivate", parameters(("id" = "$response.body#/user/id")))), ("ResetPassword" = (operation_id = "reset_password", parameters(("id" = "$response.body#/user/id")))))),
        (status = 400, description = "`invalid_username`, `invalid_email`.", body = ErrorResponse),
        (status = 409, description = "`username_taken`: taken, reserved, or too like an existing name.", body = ErrorResponse)))]
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

#[derive(Serialize, utoipa::ToSchema)]
struct ResetBody {
    temporary_password: String,
}

/// Every account (or those whose name contains `q`), with role and
/// status.
#[utoipa::path(get, path = "/api/admin/users", operation_id = "admin_list_users", tag = "admin",
    params(ListQuery),
    responses((status = 200, description = "The accounts.", body = UsersBody)))]
async fn list(ctx: AppContext, caller: Result<Caller>, query: ListQuery) -> Result<Response> {
    let users = users::list(&ctx, &caller?, &query.q).await?;
    Ok(json(StatusCode::OK, &UsersBody { users }))
}

/// The account as it is after an action on it.
fn account(user: AdminUser) -> Response {
    json(StatusCode::OK, &UserBody { user })
}

/// Deactivates an account: its sessions end and its sockets close at once; sign-in is refused
/// with `403 account_deactivated`; its messages stay.
#[utoipa::path(post, path = "/api/admin/users/{id}/deactivate", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The account as it is now.", body = UserBody),
        (status = 404, description = "`not_found`: no such account.", body = ErrorResponse),
        (status = 409, description = "`last_admin`: the last active administrator stays; `own_account`: not one's own.", body = ErrorResponse)))]
async fn deactivate(
    id: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    Ok(account(users::deactivate(&ctx, &caller?, id, ip).await?))
}

/// Reactivates a deactivated account.
#[utoipa::path(post, path = "/api/admin/users/{id}/reactivate", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The account as it is now.", body = UserBody),
        (status = 404, description = "`not_found`: no such account.", body = ErrorResponse)))]
async fn reactivate(
    id: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    Ok(account(users::reactivate(&ctx, &caller?, id, ip).await?))
}

/// Makes an account a server administrator.
#[utoipa::path(post, path = "/api/admin/users/{id}/promote", operation_id = "promote_user", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The account as it is now.", body = UserBody),
        (status = 404, description = "`not_found`: no such account.", body = ErrorResponse)))]
async fn promote(
    id: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    Ok(account(users::promote(&ctx, &caller?, id, ip).await?))
}

/// Takes the administrator role away, never from the last active administrator.
#[utoipa::path(post, path = "/api/admin/users/{id}/demote", operation_id = "demote_user", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The account as it is now.", body = UserBody),
        (status = 404, description = "`not_found`: no such account.", body = ErrorResponse),
        (status = 409, description = "`last_admin`: the last active administrator stays.", body = ErrorResponse)))]
async fn demote(id: UserId, ctx: AppContext, caller: Result<Caller>, ip: Option<IpAddr>) -> Result<Response> {
    Ok(account(users::demote(&ctx, &caller?, id, ip).await?))
}

/// Replaces the account's password with a temporary one, ending its sessions; the temporary
/// password signs in only to choose a new one. Pass it on to its owner.
#[utoipa::path(post, path = "/api/admin/users/{id}/reset-password", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The temporary password, shown this once.", body = ResetBody),
        (status = 404, description = "`not_found`: no such account.", body = ErrorResponse),
        (status = 409, description = "`own_account`: one's own password is changed with `PUT /api/auth/change-password`.", body = ErrorResponse)))]
async fn reset_password(
    id: UserId,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    let temporary_password = users::reset_password(&ctx, &caller?, id, ip).await?;
    Ok(json(StatusCode::OK, &ResetBody { temporary_password }))
}
