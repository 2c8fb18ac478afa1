//! Routes for uploaded files: posting an upload to a room, and fetching a file or an image's
//! thumbnail. Files are served only to members of the room they were posted in, with headers
//! that keep a browser from ever running them: `nosniff`, a sandboxing CSP, and a download
//! (`attachment`) for everything that is not one of the four image types.

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, respond};
use crate::chat::{rooms, uploads};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Message, RoomId};
use crate::store::FileStore;

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    upload(ctx.clone())
        .or(download(ctx.clone()))
        .unify()
        .or(thumbnail(ctx))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct MessageBody {
    message: Message,
}

/// POST /api/rooms/{id}/uploads — multipart form with a `file` part and optional `caption` and
/// `client_msg_id` parts; stores the file and posts it as an image or file message.
fn upload(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "uploads")
        .and(warp::post())
        .and(authed(ctx))
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .then(
            |id: RoomId,
             ctx: AppContext,
             caller: Result<Caller>,
             content_type: Option<String>,
             length: Option<u64>,
             body| async move {
                respond(
                    async {
                        let caller = caller?;
                        let body = as_bytes(body);
                        let (message, created) =
                            uploads::receive(&ctx, &caller, id, content_type.as_deref(), length, body)
                                .await?;
                        let status = if created {
                            StatusCode::CREATED
                        } else {
                            StatusCode::OK
                        };
                        Ok(json(status, &MessageBody { message }))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

/// warp's body chunks as `Bytes`.
fn as_bytes<S, B>(body: S) -> impl Stream<Item = Result<Bytes, warp::Error>>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    body.map(|chunk| chunk.map(|mut buf| buf.copy_to_bytes(buf.remaining())))
}

/// GET /api/files/{id} — the uploaded file itself.
fn download(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("files" / String)
        .and(warp::get())
        .and(authed(ctx))
        .then(|id: String, ctx: AppContext, caller: Result<Caller>| async move {
            respond(serve(&ctx, caller, &id, false).await)
        })
        .boxed()
}

/// GET /api/files/{id}/thumbnail — an image's preview, at most 320 px on its longer side.
fn thumbnail(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("files" / String / "thumbnail")
        .and(warp::get())
        .and(authed(ctx))
        .then(|id: String, ctx: AppContext, caller: Result<Caller>| async move {
            respond(serve(&ctx, caller, &id, true).await)
        })
        .boxed()
}

async fn serve(ctx: &AppContext, caller: Result<Caller>, id: &str, thumbnail: bool) -> Result<Response> {
    let caller = caller?;
    if !FileStore::is_valid_id(id) {
        return Err(Error::not_found("file"));
    }
    let attachment = ctx.store.attachment(id).await?.ok_or(Error::not_found("file"))?;
    // Members only, and a room one cannot see is not admitted to hold files.
    match rooms::get(ctx, &caller, attachment.room_id).await {
        Ok(room) if room.is_member => {}
        Ok(_) | Err(Error::NotFound { .. }) => return Err(Error::not_found("file")),
        Err(e) => return Err(e),
    }
    if thumbnail && !attachment.is_image {
        return Err(Error::not_found("thumbnail"));
    }
    let missing = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found("file"),
        _ => Error::Io(e),
    };
    let (mut response, content_type, length) = if thumbnail {
        let bytes = tokio::fs::read(ctx.files.thumbnail_path(id)?)
            .await
            .map_err(missing)?;
        let content_type = uploads::ImageKind::sniff(&bytes).map_or("image/jpeg", |k| k.content_type());
        let length = bytes.len() as u64;
        (Response::new(bytes.into()), content_type.to_owned(), length)
    } else {
        let file = tokio::fs::File::open(ctx.files.path(id)?)
            .await
            .map_err(missing)?;
        let length = file.metadata().await?.len();
        let stream = tokio_util::io::ReaderStream::new(file);
        // Only the four image types are served as what they are; anything else is bytes to save.
        let content_type = if attachment.is_image {
            attachment.content_type.clone()
        } else {
            "application/octet-stream".to_owned()
        };
        (
            warp::Reply::into_response(warp::reply::stream(stream)),
            content_type,
            length,
        )
    };
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| Error::Internal(e.to_string()));
    headers.insert(header::CONTENT_TYPE, value(&content_type)?);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    let disposition = if attachment.is_image {
        "inline"
    } else {
        "attachment"
    };
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(disposition, &attachment.file_name))?,
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}

/// Everything but RFC 5987's `attr-char`s is percent-encoded in `filename*`.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `inline` or `attachment` with the file name, as ASCII fallback and as RFC 5987 UTF-8.
fn content_disposition(kind: &str, file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(file_name, ATTR_CHAR);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn dispositions_quote_safely() {
        assert_eq!(
            content_disposition("attachment", "报告 \"final\".pdf"),
            "attachment; filename=\"__ _final_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22.pdf"
        );
    }
}
