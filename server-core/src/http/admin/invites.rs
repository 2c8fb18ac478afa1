//! Routes for `/api/admin/invites`: making, listing and revoking invites.

use std::net::IpAddr;

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::super::{authed, client_ip, json, json_body, no_content, route};
use crate::chat::admin::invites::{self, Request};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Invite};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let create = warp::path!("admin" / "invites")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(warp::header::optional::<String>("host"))
        .and(json_body::<Request>())
        .then(create);
    let list = warp::path!("admin" / "invites")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .then(list);
    let revoke = warp::path!("admin" / "invites" / String)
        .and(warp::delete())
        .and(authed(ctx))
        .and(client_ip())
        .then(revoke);
    route(create)
        .or(route(list))
        .unify()
        .or(route(revoke))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct CreatedBody {
    code: String,
    /// The link to hand out, on the address the administrator used.
    url: String,
    invite: Invite,
}

#[derive(Serialize)]
struct ListBody {
    invites: Vec<Invite>,
}

/// POST /api/admin/invites `{max_uses?, expires_in_hours?}` — a new invite: `{code, url, invite}`.
async fn create(
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
    host: Option<String>,
    body: Result<Request>,
) -> Result<Response> {
    let caller = caller?;
    let invite = invites::create(&ctx, &caller, &body?, ip).await?;
    let host = host.unwrap_or_else(|| ctx.config.bind.to_string());
    let body = CreatedBody {
        code: invite.code.clone(),
        url: format!("http://{host}/#/invite/{}", invite.code),
        invite,
    };
    Ok(json(StatusCode::CREATED, &body))
}

/// GET /api/admin/invites — invites not revoked, newest first, with their use counts.
async fn list(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let invites = invites::list(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &ListBody { invites }))
}

/// DELETE /api/admin/invites/{code} — revoke an invite.
async fn revoke(
    code: String,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    invites::revoke(&ctx, &caller?, &code, ip).await?;
    Ok(no_content())
}
