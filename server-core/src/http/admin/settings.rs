//! Routes for `/api/admin/settings`: the server's settings at run time.

use std::net::IpAddr;

use http::StatusCode;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::super::{authed, client_ip, json, json_body, route};
use crate::chat::admin::settings::{self, Edit};
use crate::context::AppContext;
use crate::error::Result;
use crate::http::api::{Api, endpoint};
use crate::model::Caller;

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let get = endpoint!(api, __path_get).and(authed(ctx.clone())).then(get);
    let put = endpoint!(api, __path_put)
        .and(authed(ctx))
        .and(client_ip())
        .and(json_body::<Edit>())
        .then(put);
    route(get).or(route(put)).unify().boxed()
}

/// `{server_name, registration, retention_days, max_upload_mb,
/// default_room_ids}`.
#[utoipa::path(get, path = "/api/admin/settings", operation_id = "get_settings", tag = "admin",
    responses((status = 200, description = "The settings.", body = crate::chat::admin::settings::View)))]
async fn get(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let view = settings::view(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &view))
}

/// Change any of them (absent fields stay); answers them all.
#[utoipa::path(put, path = "/api/admin/settings", operation_id = "edit_settings", tag = "admin",
    request_body = Edit,
    responses((status = 200, description = "The settings now.", body = crate::chat::admin::settings::View)))]
async fn put(
    ctx: AppContext,
    caller: Result<Caller>,
    ip: Option<IpAddr>,
    body: Result<Edit>,
) -> Result<Response> {
    let caller = caller?;
    let view = settings::update(&ctx, &caller, body?, ip).await?;
    Ok(json(StatusCode::OK, &view))
}
