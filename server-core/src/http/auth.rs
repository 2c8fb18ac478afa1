//! Routes under `/api/auth/`: register, login, logout, me, profile, status, change-password,
//! check.

use std::net::IpAddr;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, client_ip, json, json_body, no_content, present, route, with_ctx};
use crate::chat::accounts::{self, Issued, Login, ProfileEdit, Registration};
use crate::chat::people::{self, StatusChoice};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Me};
use crate::time::{self, Millis};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let register = warp::path!("auth" / "register")
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(client_ip())
        .and(json_body::<RegisterBody>())
        .then(register);
    let login = warp::path!("auth" / "login")
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(client_ip())
        .and(json_body::<LoginBody>())
        .then(login);
    let logout = warp::path!("auth" / "logout")
        .and(warp::post())
        .and(authed())
        .then(logout);
    let me = warp::path!("auth" / "me").and(warp::get()).and(authed()).then(me);
    let profile = warp::path!("auth" / "profile")
        .and(warp::put())
        .and(authed())
        .and(json_body::<ProfileBody>())
        .then(profile);
    let change_password = warp::path!("auth" / "change-password")
        .and(warp::put())
        .and(authed())
        .and(client_ip())
        .and(json_body::<ChangePasswordBody>())
        .then(change_password);
    let status = warp::path!("auth" / "status")
        .and(warp::put())
        .and(authed())
        .and(json_body::<StatusChoice>())
        .then(status);
    let check = warp::path!("auth" / "check")
        .and(warp::get())
        .and(authed())
        .then(check);
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

#[derive(Serialize)]
struct SessionBody {
    token: String,
    user: Me,
    #[serde(serialize_with = "time::ser")]
    expires_at: Millis,
    device_token: String,
}

impl From<Issued> for SessionBody {
    fn from(issued: Issued) -> Self {
        SessionBody {
            token: issued.token,
            user: issued.user,
            expires_at: issued.expires_at,
            device_token: issued.device_token,
        }
    }
}

#[derive(Serialize)]
struct UserBody {
    user: Me,
}

#[derive(Deserialize)]
struct RegisterBody {
    username: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
}

/// POST /api/auth/register — create an account (member of the default rooms) and log in.
async fn register(ctx: AppContext, ip: Option<IpAddr>, body: Result<RegisterBody>) -> Result<Response> {
    let body = body?;
    let input = Registration {
        username: &body.username,
        password: &body.password,
        email: body.email.as_deref(),
        addr: ip,
    };
    let issued = accounts::register(&ctx, input).await?;
    Ok(json(StatusCode::CREATED, &SessionBody::from(issued)))
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    device_token: Option<String>,
}

/// POST /api/auth/login — exchange a username and password for a session token.
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

/// POST /api/auth/logout — revoke this session (its sockets are closed).
async fn logout(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    accounts::logout(&ctx, &caller?).await?;
    Ok(no_content())
}

/// GET /api/auth/me — the logged-in account, with its email.
async fn me(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let user = accounts::me(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

/// PUT /api/auth/status — set my status (`online`, `away`, `dnd`) and its text; everyone
/// connected hears `user_status_update`.
async fn status(ctx: AppContext, caller: Result<Caller>, body: Result<StatusChoice>) -> Result<Response> {
    let caller = caller?;
    people::set_status(&ctx, &caller, body?, None).await?;
    let user = accounts::me(&ctx, &caller).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

#[derive(Deserialize)]
struct ProfileBody {
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    avatar_url: Option<Option<String>>,
}

/// PUT /api/auth/profile — change email and/or avatar URL (`null` or `""` clears).
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

#[derive(Deserialize)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// PUT /api/auth/change-password — set a new password; every other session is revoked.
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

#[derive(Serialize)]
struct CheckBody {
    authenticated: bool,
    user: Option<Me>,
}

/// GET /api/auth/check — whether the request's token is valid; never 401.
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
