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
use crate::error::{ErrorResponse, Result};
use crate::http::api::{Api, endpoint};
use crate::model::{Caller, Invite};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let create = endpoint!(api, __path_create)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(warp::header::optional::<String>("host"))
        .and(json_body::<Request>())
        .then(create);
    let list = endpoint!(api, __path_list).and(authed(ctx.clone())).then(list);
    let revoke = endpoint!(api, __path_revoke, String)
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

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NewInvite)]
struct CreatedBody {
    code: String,
    /// The link to hand out, on the address the administrator used.
    url: String,
    invite: Invite,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ListBody {
    invites: Vec<Invite>,
}

/// `{max_uses?, expires_in_hours?}` — a new invite: `{code, url, invite}`.
#[utoipa::path(post, path = "/api/admin/invites", operation_id = "create_invite", tag = "admin",
    request_body = Request,
    responses((status = 201, description = "The invite, with its link.", body = CreatedBody,
        links(("RevokeInvite" = (operation_id = "revoke", parameters(("code" = "$response.body#/code"))))))))]
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

/// Invites not revoked, newest first, with their use counts.
#[utoipa::path(get, path = "/api/admin/invites", operation_id = "list_invites", tag = "admin",
    responses((status = 200, description = "The invites, with their uses.", body = ListBody)))]
async fn list(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let invites = invites::list(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &ListBody { invites }))
}

/// Revoke an invite.
#[utoipa::path(delete, path = "/api/admin/invites/{code}", tag = "admin",
    params(("code" = String, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn revoke(
    code: String,
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
) -> Result<Response> {
    invites::revoke(&ctx, &caller?, &code, ip).await?;
    Ok(no_content())
}
