//! Routes under `/api/users/`: who is online.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, respond};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, User};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    online(ctx)
}

#[derive(Serialize)]
struct OnlineBody {
    users: Vec<User>,
}

/// GET /api/users/online — everyone with a live connection.
fn online(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("users" / "online")
        .and(warp::get())
        .and(authed(ctx))
        .then(|ctx: AppContext, caller: Result<Caller>| async move {
            respond(
                async {
                    caller?;
                    let users = crate::chat::presence::online_users(&ctx.store, &ctx.hub).await?;
                    Ok(json(StatusCode::OK, &OnlineBody { users }))
                }
                .await,
            )
        })
        .boxed()
}
