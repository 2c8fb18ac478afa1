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

use super::{authed, client_ip, json, json_body, no_content, route};
use crate::chat::admin::{self, setup};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{AuditRecord, Caller};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let claim = warp::path!("admin" / "claim")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<ClaimBody>())
        .then(claim);
    let audit = warp::path!("admin" / "audit")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .and(warp::query::<AuditQuery>())
        .then(audit);
    let stats = warp::path!("admin" / "stats")
        .and(warp::get())
        .and(authed(ctx.clone()))
        .then(stats);
    route(claim)
        .or(route(audit))
        .unify()
        .or(route(stats))
        .unify()
        .or(users::routes(ctx.clone()))
        .unify()
        .or(settings::routes(ctx.clone()))
        .unify()
        .or(invites::routes(ctx.clone()))
        .unify()
        .or(rooms::routes(ctx.clone()))
        .unify()
        .or(backup::routes(ctx))
        .unify()
        .boxed()
}

#[derive(Deserialize)]
struct ClaimBody {
    setup_code: String,
}

/// POST /api/admin/claim — become the server's first administrator with the setup code the
/// server printed at start.
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

/// GET /api/admin/stats — people, activity, messages per day for 30 days, sizes on disk.
async fn stats(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let stats = admin::stats::get(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &stats))
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct AuditBody {
    entries: Vec<AuditRecord>,
}

/// GET /api/admin/audit?before=&limit= — administrative actions, newest first; `before` is the
/// id of the oldest entry already shown.
async fn audit(ctx: AppContext, caller: Result<Caller>, query: AuditQuery) -> Result<Response> {
    let entries = admin::audit_log(&ctx, &caller?, query.before, query.limit).await?;
    Ok(json(StatusCode::OK, &AuditBody { entries }))
}
