//! Routes under `/api/admin/`: server administration.

use std::net::IpAddr;

use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, client_ip, json_body, no_content, route};
use crate::chat::admin::setup;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::Caller;

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let claim = warp::path!("admin" / "claim")
        .and(warp::post())
        .and(authed(ctx.clone()))
        .and(client_ip())
        .and(json_body::<ClaimBody>())
        .then(claim);
    route(claim).boxed()
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
