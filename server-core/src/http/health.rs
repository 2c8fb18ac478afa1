//! `GET /api/health`: liveness and version, without authentication.

use http::StatusCode;
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::json;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    /// Lets clients (the desktop app's server check) tell a Confab server from anything else.
    service: &'static str,
}

/// GET /api/health — `{status: "ok", version, service: "confab"}`.
pub fn routes() -> BoxedFilter<(Response,)> {
    warp::path!("health")
        .and(warp::get())
        .map(|| {
            json(
                StatusCode::OK,
                &Health {
                    status: "ok",
                    version: crate::VERSION,
                    service: "confab",
                },
            )
        })
        .boxed()
}
