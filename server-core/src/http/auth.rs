//! Routes under `/api/auth/`: register, login, logout, me, profile, status, change-password,
//! check.

use std::net::IpAddr;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, authed_any, client_ip, json, json_body, no_content, present, route, with_ctx};
use crate::chat::accounts::{self, Issued, Login, ProfileEdit, Registration};
use crate::chat::people::{self, StatusChoice};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Me};
use crate::time::{self, Millis};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let register = endpoint!(api, __path_register)
        .and(with_ctx(ctx.clone()))
        .and(client_ip())
        .and(json_body::<RegisterBody>())
        .then(register);
    let login = endpoint!(api, __path_login)
        .and(with_ctx(ctx.clone()))
        .and(client_ip())
        .and(json_body::<LoginBody>())
        .then(login);
    let any = || authed_any(ctx.clone());
    let logout = endpoint!(api, __path_logout).and(any()).then(logout);
    let me = endpoint!(api, __path_me).and(any()).then(me);
    let profile = endpoint!(api, __path_profile)
        .and(authed())
        .and(json_body::<ProfileBody>())
        .then(profile);
    let change_password = endpoint!(api, __path_change_password)
        .and(any())
        .and(client_ip())
        .and(json_body::<ChangePasswordBody>())
        .then(change_password);
    let status = endpoint!(api, __path_status)
        .and(authed())
        .and(json_body::<StatusChoice>())
        .then(status);
    let check = endpoint!(api, __path_check).and(any()).then(check);
    route(register)
        .or(route(login))
        .unify()
        .or(route(logout))
        .unify()
        .or(route(me))
        .unify()
        .or(route(profile))
        .unify()
        .or(route(change_password))
        .unify()
        .or(route(check))
        .unify()
        .or(route(status))
        .unify()
        .boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
struct SessionBody {
    token: String,
    user: Me,
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    expires_at: Millis,
    device_token: String,
    /// Only present (and `true`) after signing in with a temporary password.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    password_change_required: bool,
}

impl From<Issued> for SessionBody {
    fn from(issued: Issued) -> Self {
        SessionBody {
            token: issued.token,
            user: issued.user,
            expires_at: issued.expires_at,
            device_token: issued.device_token,
            password_change_required: issued.password_change_required,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MeBody)]
struct UserBody {
    user: Me,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RegisterBody {
    #[schema(min_length = 3, max_length = 32)]
    username: String,
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    setup_code: Option<String>,
    #[serde(default)]
    invite: Option<String>,
}

/// Create an account (member of the default rooms) and log in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", security(()),
    request_body = RegisterBody,
    responses((status = 201, description = "The new account, signed in.", body = SessionBody,
        links(("GetUser" = (operation_id = "user_profile", parameters(("id" = "$response.body#/user/id")))))),
        (status = 403, description = "`registration_closed`: the server takes no new accounts (or only by invite); `invalid_invite`, `invalid_setup_code`.", body = crate::error::ErrorResponse),
        (status = 409, description = "`username_taken`: taken, reserved, or too like an existing name.", body = crate::error::ErrorResponse)))]
async fn register(ctx: AppContext, ip: Option<IpAddr>, body: Result<RegisterBody>) -> Result<Response> {
    let body = body?;
    let input = Registration {
        username: &body.username,
        password: &body.password,
        email: body.email.as_deref(),
        addr: ip,
        setup_code: body.setup_code.as_deref(),
        invite: body.invite.as_deref(),
    };
    let issued = accounts::register(&ctx, input).await?;
    Ok(json(StatusCode::CREATED, &SessionBody::from(issued)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBody {
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    device_token: Option<String>,
}

/// Exchange a username and password for a session token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", security(()),
    request_body = LoginBody,
    responses((status = 200, description = "Signed in.", body = SessionBody),
        (status = 401, description = "`invalid_credentials`: no such account, or the wrong password (deliberately alike).", body = crate::error::ErrorResponse),
        (status = 403, description = "`account_deactivated`.", body = crate::error::ErrorResponse)))]
async fn login(ctx: AppContext, ip: Option<IpAddr>, body: Result<LoginBody>) -> Result<Response> {
    let body = body?;
    let input = Login {
        username: &body.username,
        password: &body.password,
        remember: body.remember,
        device_token: body.device_token.as_deref(),
        addr: ip,
    };
    let issued = accounts::login(&ctx, input).await?;
    Ok(json(StatusCode::OK, &SessionBody::from(issued)))
}

/// Revoke this session (its sockets are closed).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Done.")))]
async fn logout(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    accounts::logout(&ctx, &caller?).await?;
    Ok(no_content())
}

/// The logged-in account, with its email.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, description = "My account.", body = UserBody)))]
async fn me(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let user = accounts::me(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

/// Set my status (`online`, `away`, `dnd`) and its text; everyone
/// connected hears `user_status_update`.
#[utoipa::path(put, path = "/api/auth/status", tag = "auth",
    request_body = StatusChoice,
    responses((status = 200, description = "My account as changed.", body = UserBody)))]
async fn status(ctx: AppContext, caller: Result<Caller>, body: Result<StatusChoice>) -> Result<Response> {
    let caller = caller?;
    people::set_status(&ctx, &caller, body?, None).await?;
    let user = accounts::me(&ctx, &caller).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ProfileBody {
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    avatar_url: Option<Option<String>>,
}

/// Change email and/or avatar URL (`null` or `""` clears).
#[utoipa::path(put, path = "/api/auth/profile", operation_id = "edit_profile", tag = "auth",
    request_body = ProfileBody,
    responses((status = 200, description = "My account with the chosen status.", body = UserBody)))]
async fn profile(ctx: AppContext, caller: Result<Caller>, body: Result<ProfileBody>) -> Result<Response> {
    let caller = caller?;
    let body = body?;
    let edit = ProfileEdit {
        email: body.email.as_ref().map(Option::as_deref),
        avatar_url: body.avatar_url.as_ref().map(Option::as_deref),
    };
    let user = accounts::update_profile(&ctx, &caller, edit).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ChangePasswordBody {
    current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// Set a new password; every other session is revoked.
#[utoipa::path(put, path = "/api/auth/change-password", tag = "auth",
    request_body = ChangePasswordBody,
    responses((status = 204, description = "Done.")))]
async fn change_password(
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
    body: Result<ChangePasswordBody>,
) -> Result<Response> {
    let caller = caller?;
    let body = body?;
    accounts::change_password(&ctx, &caller, &body.current_password, &body.new_password, ip).await?;
    Ok(no_content())
}

#[derive(Serialize, utoipa::ToSchema)]
struct CheckBody {
    authenticated: bool,
    user: Option<Me>,
}

/// Whether the request's token is valid; never 401.
#[utoipa::path(get, path = "/api/auth/check", tag = "auth",
    security((), ("bearer" = [])),
    responses((status = 200, description = "Whether the token is valid, and whose it is.", body = CheckBody)))]
async fn check(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let user = match caller {
        Ok(caller) => Some(accounts::me(&ctx, &caller).await?),
        Err(_) => None,
    };
    let body = CheckBody {
        authenticated: user.is_some(),
        user,
    };
    Ok(json(StatusCode::OK, &body))
}
