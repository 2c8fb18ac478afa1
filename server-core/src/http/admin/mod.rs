//! Routes under `/api/admin/`: server administration. Everyone but server administrators gets
//! `403 not_server_admin` (decided in `chat::admin`). Accounts, settings and invites
//! have their own modules.

mod backup;
mod invites;
mod rooms;
mod settings;
mod users;

use std::net::IpAddr;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, client_ip, json, json_body, no_content, route};
use crate::chat::admin::{self, setup};
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{AuditRecord, Caller};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let claim = endpoint!(api, __path_claim)
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<ClaimBody>())
        .then(claim);
    let audit = endpoint!(api, __path_audit)
        .and(authed(ctx.clone()))
        .and(warp::query::<AuditQuery>())
        .then(audit);
    let stats = endpoint!(api, __path_stats).and(authed(ctx.clone())).then(stats);
    route(claim)
        .or(route(audit))
        .unify()
        .or(route(stats))
        .unify()
        .or(users::routes(ctx.clone(), api))
        .unify()
        .or(settings::routes(ctx.clone(), api))
        .unify()
        .or(invites::routes(ctx.clone(), api))
        .unify()
        .or(rooms::routes(ctx.clone(), api))
        .unify()
        .or(backup::routes(ctx, api))
        .unify()
        .boxed()
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ClaimBody {
    setup_code: String,
}

/// Become the server's first administrator with the setup code the
/// server printed at start.
#[utoipa::path(post, path = "/api/admin/claim", tag = "admin",
    request_body = ClaimBody,
    responses((status = 204, description = "I am now a server administrator."),
        (status = 403, description = "`invalid_setup_code`: wrong, already used, or an administrator exists.", body = ErrorResponse)))]
async fn claim(
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
    body: Result<ClaimBody>,
) -> Result<Response> {
    let caller = caller?;
    setup::claim(&ctx, &caller, &body?.setup_code, ip).await?;
    Ok(no_content())
}

/// People, activity, messages per day for 30 days, sizes on disk.
#[utoipa::path(get, path = "/api/admin/stats", tag = "admin",
    responses((status = 200, description = "The figures.", body = crate::chat::admin::stats::Stats)))]
async fn stats(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let stats = admin::stats::get(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &stats))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    before: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct AuditBody {
    entries: Vec<AuditRecord>,
}

/// Administrative actions, newest first; `before` is the
/// id of the oldest entry already shown.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin",
    params(AuditQuery),
    responses((status = 200, description = "A page of the log, newest first.", body = AuditBody),
        (status = 400, description = "`invalid_limit`, `invalid_query`.", body = crate::error::ErrorResponse)))]
async fn audit(ctx: AppContext, caller: Result<Caller>, query: AuditQuery) -> Result<Response> {
    let entries = admin::audit_log(&ctx, &caller?, query.before, query.limit).await?;
    Ok(json(StatusCode::OK, &AuditBody { entries }))
}
