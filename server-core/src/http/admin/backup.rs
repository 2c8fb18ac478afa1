//! `GET /api/admin/backup`: the whole server as one tar archive, streamed.

use std::net::IpAddr;

use http::{HeaderValue, header};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::super::{authed, client_ip, route};
use crate::backup;
use crate::chat::admin::backup as admin_backup;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::http::api::{Api, endpoint};
use crate::model::Caller;

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    route(
        endpoint!(api, __path_download)
            .and(authed(ctx))
            .and(client_ip())
            .then(download),
    )
}

/// A consistent archive of the database and every file, written while
/// the server keeps serving.
#[utoipa::path(get, path = "/api/admin/backup", operation_id = "download_backup", tag = "admin",
    responses((status = 200, description = "The whole server as one tar archive (database snapshot, uploads, avatars), streamed.", content_type = "application/x-tar", body = Vec<u8>),
        (status = 501, description = "`backup_not_supported`: the server stores its data in PostgreSQL; back the database up with pg_dump.", body = crate::error::ErrorResponse)))]
async fn download(ctx: AppContext, caller: Result<Caller>, ip: Option<IpAddr>) -> Result<Response> {
    let snapshot = admin_backup::start(&ctx, &caller?, ip).await?;
    let mut chunks = backup::stream(snapshot, (*ctx.config).clone());
    let body = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx));
    let mut response = warp::Reply::into_response(warp::reply::stream(body));
    let date = crate::time::rfc3339(ctx.clock.now());
    let name = format!("confab-backup-{}.tar", &date[..10]);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .map_err(|e| Error::Internal(e.to_string()))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
