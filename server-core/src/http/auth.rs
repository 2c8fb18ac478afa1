//! Routes under `/api/auth/`: register, login, logout, me, profile, change-password, check.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, client_ip, json, json_body, no_content, present, respond, with_ctx};
use crate::chat::accounts::{self, Issued, Login, ProfileEdit, Registration};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Me};
use crate::time::{self, Millis};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    register(ctx.clone())
        .or(login(ctx.clone()))
        .unify()
        .or(logout(ctx.clone()))
        .unify()
        .or(me(ctx.clone()))
        .unify()
        .or(profile(ctx.clone()))
        .unify()
        .or(change_password(ctx.clone()))
        .unify()
        .or(check(ctx))
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

/// POST /api/auth/register — create an account (member of every public room) and log in.
fn register(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "register")
        .and(warp::post())
        .and(with_ctx(ctx))
        .and(json_body::<RegisterBody>())
        .then(|ctx: AppContext, body: Result<RegisterBody>| async move {
            respond(
                async {
                    let body = body?;
                    let input = Registration {
                        username: &body.username,
                        password: &body.password,
                        email: body.email.as_deref(),
                    };
                    let issued = accounts::register(&ctx, input).await?;
                    Ok(json(StatusCode::CREATED, &SessionBody::from(issued)))
                }
                .await,
            )
        })
        .boxed()
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
fn login(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "login")
        .and(warp::post())
        .and(with_ctx(ctx))
        .and(client_ip())
        .and(json_body::<LoginBody>())
        .then(|ctx: AppContext, ip, body: Result<LoginBody>| async move {
            respond(
                async {
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
                .await,
            )
        })
        .boxed()
}

/// POST /api/auth/logout — revoke this session (its sockets are closed).
fn logout(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "logout")
        .and(warp::post())
        .and(authed(ctx))
        .then(|ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    accounts::logout(&ctx, &caller?).await?;
                    Ok(no_content())
                }
                .await,
            )
        })
        .boxed()
}

/// GET /api/auth/me — the logged-in account, with its email.
fn me(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "me")
        .and(warp::get())
        .and(authed(ctx))
        .then(|ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    let user = accounts::me(&ctx, &caller?).await?;
                    Ok(json(StatusCode::OK, &UserBody { user }))
                }
                .await,
            )
        })
        .boxed()
}

#[derive(Deserialize)]
struct ProfileBody {
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    avatar_url: Option<Option<String>>,
}

/// PUT /api/auth/profile — change email and/or avatar URL (`null` or `""` clears).
fn profile(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "profile")
        .and(warp::put())
        .and(authed(ctx))
        .and(json_body::<ProfileBody>())
        .then(
            |ctx: AppContext, caller: Result<Caller>, body: Result<ProfileBody>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let body = body?;
                        let edit = ProfileEdit {
                            email: body.email.as_ref().map(Option::as_deref),
                            avatar_url: body.avatar_url.as_ref().map(Option::as_deref),
                        };
                        let user = accounts::update_profile(&ctx, &caller, edit).await?;
                        Ok(json(StatusCode::OK, &UserBody { user }))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

#[derive(Deserialize)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// PUT /api/auth/change-password — set a new password; every other session is revoked.
fn change_password(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "change-password")
        .and(warp::put())
        .and(authed(ctx))
        .and(client_ip())
        .and(json_body::<ChangePasswordBody>())
        .then(
            |ctx: AppContext, caller: Result<Caller>, ip, body: Result<ChangePasswordBody>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let body = body?;
                        accounts::change_password(
                            &ctx,
                            &caller,
                            &body.current_password,
                            &body.new_password,
                            ip,
                        )
                        .await?;
                        Ok(no_content())
                    }
                    .await,
                )
            },
        )
        .boxed()
}

#[derive(Serialize)]
struct CheckBody {
    authenticated: bool,
    user: Option<Me>,
}

/// GET /api/auth/check — whether the request's token is valid; never 401.
fn check(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("auth" / "check")
        .and(warp::get())
        .and(authed(ctx))
        .then(|ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
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
                .await,
            )
        })
        .boxed()
}
