//! Facts about the server anyone may ask for, without authentication: `GET /api/health` (is it
//! up, which version) and `GET /api/info` (limits and retention a client should tell people).

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::json;
use crate::config::RegistrationPolicy;
use crate::context::AppContext;

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    version: &'static str,
    /// Lets clients (the desktop app's server check) tell a Confab server from anything else.
    service: &'static str,
}

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let health = endpoint!(api, __path_health).map(health);
    let info = endpoint!(api, __path_info).map(move || info(&ctx));
    health.or(info).unify().boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
struct Info {
    version: &'static str,
    /// The name administrators gave the server, for the sign-in page.
    server_name: String,
    /// `open`, `invite` or `closed`: whether the sign-in page offers registration.
    registration: RegistrationPolicy,
    /// Messages are deleted after this many days; 0: never.
    retention_days: u32,
    max_upload_bytes: u64,
    /// The server's stable id, generated once: what clients pin its certificate to.
    id: String,
    /// SHA-256 of the certificate, colon-separated upper-case hex; null over plain HTTP.
    tls_fingerprint: Option<String>,
}

/// Limits and retention a client should tell people, the server's name, and its identity.
#[utoipa::path(get, path = "/api/info", tag = "meta", security(()),
    responses((status = 200, description = "What a client shows before and after sign-in, and what it pins.", body = Info)))]
fn info(ctx: &AppContext) -> Response {
    let settings = ctx.settings.get();
    json(
        StatusCode::OK,
        &Info {
            version: crate::VERSION,
            server_name: settings.server_name,
            registration: settings.registration,
            retention_days: settings.retention_days,
            max_upload_bytes: settings.max_upload_bytes,
            id: ctx.server_id.clone(),
            tls_fingerprint: ctx.tls_fingerprint.clone(),
        },
    )
}

/// Whether the server is up, and which version.
#[utoipa::path(get, path = "/api/health", tag = "meta", security(()),
    responses((status = 200, description = "`{status: \"ok\", version, service: \"confab\"}`.", body = Health)))]
fn health() -> Response {
    json(
        StatusCode::OK,
        &Health {
            status: "ok",
            version: crate::VERSION,
            service: "confab",
        },
    )
}
