//! Routes for profile pictures: uploading and removing one's own, and fetching anyone's.
//! Served like attachments (signed-in people only, `nosniff`, a sandboxing CSP), as PNGs this
//! server encoded itself.

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, respond};
use crate::chat::avatars::{self, MAX_AVATAR_BYTES};
use crate::context::AppContext;
use crate::error::{Error, ErrorResponse, Result};
use crate::model::{Caller, Me};
use crate::store::FileStore;

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    upload(ctx.clone(), api)
        .or(remove(ctx.clone(), api))
        .unify()
        .or(fetch(ctx, api))
        .unify()
        .boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MeBody)]
struct UserBody {
    user: Me,
}

fn upload(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    endpoint!(api, __path_upload_avatar)
        .and(authed(ctx))
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .then(
            |ctx: AppContext, caller: Result<Caller>, length: Option<u64>, body| async move {
                respond(upload_avatar(ctx, caller, length, body).await)
            },
        )
        .boxed()
}

/// Sets my avatar: the body is the picture itself (PNG, JPEG, GIF or WebP, at most 8 MiB); it
/// becomes a 256×256 PNG and my `avatar_url`.
#[utoipa::path(put, path = "/api/auth/avatar", tag = "auth",
    request_body(content = Vec<u8>, content_type = "image/*", description = "The picture."),
    responses((status = 200, description = "My account with the new `avatar_url`.", body = UserBody),
        (status = 400, description = "`invalid_image`: not a picture this server can read.", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`: over 8 MiB.", body = ErrorResponse)))]
async fn upload_avatar<S, B>(
    ctx: AppContext,
    caller: Result<Caller>,
    length: Option<u64>,
    body: S,
) -> Result<Response>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let caller = caller?;
    let picture = read_picture(length, body).await?;
    let user = avatars::set(&ctx, &caller, picture).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

fn remove(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    endpoint!(api, __path_remove_avatar)
        .and(authed(ctx))
        .then(|ctx: AppContext, caller: Result<Caller>| async move {
            respond(remove_avatar(ctx, caller).await)
        })
        .boxed()
}

/// Removes my avatar.
#[utoipa::path(delete, path = "/api/auth/avatar", tag = "auth",
    responses((status = 200, description = "My account without `avatar_url`.", body = UserBody)))]
async fn remove_avatar(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let user = avatars::remove(&ctx, &caller?).await?;
    Ok(json(StatusCode::OK, &UserBody { user }))
}

fn fetch(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    endpoint!(api, __path_serve, String)
        .and(authed(ctx))
        .then(|id: String, ctx: AppContext, caller: Result<Caller>| async move {
            respond(serve(ctx, caller, id).await)
        })
        .boxed()
}

/// Somebody's current avatar, as PNG (the id is the last part of their `avatar_url`).
#[utoipa::path(get, path = "/api/avatars/{id}", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, description = "The picture.", content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "`not_found`: no such avatar in use.", body = ErrorResponse)))]
async fn serve(ctx: AppContext, caller: Result<Caller>, id: String) -> Result<Response> {
    caller?;
    if !FileStore::is_valid_id(&id) || !avatars::in_use(&ctx, &id).await? {
        return Err(Error::not_found("avatar"));
    }
    let bytes = tokio::fs::read(ctx.avatars.path(&id)?)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::not_found("avatar"),
            _ => Error::Io(e),
        })?;
    let mut response = Response::new(bytes.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    // A new picture gets a new id, so a fetched one never changes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// The request body, refused with `413 payload_too_large` past [`MAX_AVATAR_BYTES`].
async fn read_picture<S, B>(length: Option<u64>, body: S) -> Result<Bytes>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let too_large = || Error::PayloadTooLarge {
        limit: MAX_AVATAR_BYTES,
    };
    if length.is_some_and(|l| l > MAX_AVATAR_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = std::pin::pin!(body);
    let mut buffer = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|e| Error::bad_request("invalid_body", format!("reading the body failed: {e}")))?;
        if buffer.len() + chunk.remaining() > MAX_AVATAR_BYTES {
            return Err(too_large());
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            buffer.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    if buffer.is_empty() {
        return Err(Error::bad_request("empty_file", "the picture is empty"));
    }
    Ok(buffer.freeze())
}
