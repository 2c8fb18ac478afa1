//! The HTTP side: assembles the REST API (one module per resource), the WebSocket endpoint and
//! the embedded web client into one warp filter, with the filters they share and the single
//! rejection handler that turns unmatched requests into JSON errors.

mod admin;
pub(crate) mod api;
mod assets;
mod auth;
mod avatars;
mod body;
mod dms;
mod docs;
mod export;
mod files;
mod health;
mod mentions;
mod messages;
mod pins;
mod reactions;
mod room_settings;
mod rooms;
mod search;
mod threads;
mod users;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::chat::accounts;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::Caller;
use api::Api;
pub use body::json_body;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;

/// The client's address, put in each request's extensions by the server.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub SocketAddr);

/// Every route of the server.
pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    assemble(ctx).0
}

/// The OpenAPI document of [`routes`], as it serves it at `/api/openapi.json`.
pub fn openapi(ctx: AppContext) -> String {
    assemble(ctx).1
}

fn assemble(ctx: AppContext) -> (BoxedFilter<(Response,)>, String) {
    let mut api = Api::default();
    let doc = docs::routes(&mut api);
    let resources = [
        health::routes(ctx.clone(), &mut api),
        auth::routes(ctx.clone(), &mut api),
        rooms::routes(ctx.clone(), &mut api),
        messages::routes(ctx.clone(), &mut api),
        users::routes(ctx.clone(), &mut api),
        dms::routes(ctx.clone(), &mut api),
        mentions::routes(ctx.clone(), &mut api),
        files::routes(ctx.clone(), &mut api),
        avatars::routes(ctx.clone(), &mut api),
        reactions::routes(ctx.clone(), &mut api),
        pins::routes(ctx.clone(), &mut api),
        threads::routes(ctx.clone(), &mut api),
        search::routes(ctx.clone(), &mut api),
        admin::routes(ctx.clone(), &mut api),
        export::routes(ctx.clone(), &mut api),
        room_settings::routes(ctx.clone(), &mut api),
    ];
    let fallback = api.fallback();
    let (doc_route, document) = doc(api);
    let api = warp::path("api").and(
        resources
            .into_iter()
            .fold(doc_route, |all, resource| all.or(resource).unify().boxed())
            .or(fallback)
            .unify(),
    );
    // Any origin may call the API: the desktop app's pages are not same-origin with a remote
    // server. This is safe because authentication is only ever the explicit Authorization
    // header: no cookie or other ambient credential exists for another site to ride on.
    let cors = warp::cors()
        .allow_any_origin()
        .allow_headers(["authorization", "content-type"])
        .allow_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .max_age(600);
    let api = api.with(cors).map(Reply::into_response);
    let all = api
        .or(crate::ws::route(ctx))
        .unify()
        .or(assets::routes())
        .unify()
        .recover(recover)
        .unify()
        .map(secure)
        .boxed();
    (all, document)
}

fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// Turns rejections (nothing matched) into JSON errors with the right status.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let error = if rejection.is_not_found() {
        Error::not_found("endpoint")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        Error::MethodNotAllowed
    } else if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
        Error::PayloadTooLarge { limit: MAX_BODY }
    } else if let Some(e) = rejection.find::<warp::reject::InvalidQuery>() {
        Error::bad_request("invalid_query", e.to_string())
    } else if let Some(e) = rejection.find::<warp::reject::InvalidHeader>() {
        Error::bad_request("invalid_header", e.to_string())
    } else if let Some(e) = rejection.find::<warp::filters::cors::CorsForbidden>() {
        Error::forbidden("cors_forbidden", e.to_string())
    } else {
        tracing::warn!(?rejection, "unhandled rejection");
        Error::not_found("endpoint")
    };
    Ok(error.into_response())
}

/// Hands every request a clone of the context.
pub fn with_ctx(ctx: AppContext) -> impl Filter<Extract = (AppContext,), Error = Infallible> + Clone {
    warp::any().map(move || ctx.clone())
}

/// The context and the caller behind the request's bearer token (or why there is none).
/// Never rejects, so a bad token answers 401 instead of falling through to other routes.
/// A caller who must still replace a temporary password gets `403 password_change_required`.
pub fn authed(
    ctx: AppContext,
) -> impl Filter<Extract = (AppContext, Result<Caller>), Error = Infallible> + Clone {
    with_ctx(ctx)
        .and(warp::header::headers_cloned())
        .then(|ctx: AppContext, headers: http::HeaderMap| async move {
            let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            let caller = bearer(&ctx, header)
                .await
                .and_then(accounts::require_own_password);
            (ctx, caller)
        })
        .untuple_one()
}

/// [`authed`] that lets through a caller who must still replace a temporary password: for
/// changing it, signing out and reading their own account.
pub fn authed_any(
    ctx: AppContext,
) -> impl Filter<Extract = (AppContext, Result<Caller>), Error = Infallible> + Clone {
    with_ctx(ctx)
        .and(warp::header::headers_cloned())
        .then(|ctx: AppContext, headers: http::HeaderMap| async move {
            let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            let caller = bearer(&ctx, header).await;
            (ctx, caller)
        })
        .untuple_one()
}

/// The client's IP address, if the server recorded it.
pub fn client_ip() -> impl Filter<Extract = (Option<IpAddr>,), Error = Infallible> + Clone {
    warp::ext::optional::<ClientAddr>().map(|addr: Option<ClientAddr>| addr.map(|a| a.0.ip()))
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    warp::reply::with_status(warp::reply::json(value), status).into_response()
}

/// An empty 204.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The one adapter between handlers and warp: a handler's reply, or its error as JSON. A
/// handler that ran and failed must answer here, never reject (a rejection would fall through
/// to the other routes).
pub fn respond<R: Reply>(result: Result<R>) -> Response {
    match result {
        Ok(reply) => reply.into_response(),
        Err(e) => e.into_response(),
    }
}

/// A route: `filter` extracts the request's parts and calls its named handler, whose
/// `Result` becomes the response through [`respond`].
pub fn route<F, R>(filter: F) -> BoxedFilter<(Response,)>
where
    F: Filter<Extract = (Result<R>,), Error = Rejection> + Clone + Send + Sync + 'static,
    R: Reply + 'static,
{
    filter.map(respond).boxed()
}

/// The caller behind the bearer token in the `Authorization` header value; 401 for anything
/// but `Bearer <token>`.
async fn bearer(ctx: &AppContext, header: Option<&str>) -> Result<Caller> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or(Error::Unauthorized)?;
    accounts::authenticate(ctx, token).await
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
