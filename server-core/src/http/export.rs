//! `GET /api/me/export`: my own messages as one JSON file.

use http::{HeaderValue, StatusCode, header};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, route};
use crate::chat::export;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::Caller;

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    route(endpoint!(api, __path_download).and(authed(ctx)).then(download))
}

/// Every message I sent that still exists, oldest first, as an attachment.
#[utoipa::path(get, path = "/api/me/export", operation_id = "export_my_data", tag = "auth",
    responses((status = 200, description = "`confab-export.json`.", body = crate::chat::export::Export)))]
async fn download(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let export = export::mine(&ctx, &caller?).await?;
    let mut response = json(StatusCode::OK, &export);
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"confab-export.json\""),
    );
    Ok(response)
}
