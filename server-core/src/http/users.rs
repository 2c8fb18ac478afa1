//! Routes under `/api/users/`: who is online.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, route};
use crate::chat::presence;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, User};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    route(
        warp::path!("users" / "online")
            .and(warp::get())
            .and(authed(ctx))
            .then(online),
    )
}

#[derive(Serialize)]
struct OnlineBody {
    users: Vec<User>,
}

/// GET /api/users/online — everyone with a live connection.
async fn online(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    caller?;
    let users = presence::online_users(&ctx).await?;
    Ok(json(StatusCode::OK, &OnlineBody { users }))
}
