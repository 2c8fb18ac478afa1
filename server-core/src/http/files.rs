//! Routes for uploaded files: posting an upload to a room (the multipart form is parsed here,
//! the file streamed to a temporary file), and fetching a file or an image's thumbnail. Files
//! are served with headers that keep a browser from ever running them: `nosniff`, a sandboxing
//! CSP, and a download (`attachment`) for everything that is not one of the four image types.

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, header};
use tokio::io::AsyncWriteExt;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, route};
use crate::chat::uploads::{self, DownloadBody, TempFile, Upload, display_file_name};
use crate::context::AppContext;
use crate::error::{Error, ErrorResponse, Result};
use crate::model::{Caller, RoomId};

/// Multipart framing and the small text parts, on top of the file itself.
const FORM_OVERHEAD: u64 = 64 * 1024;
/// Largest text part (`caption`, `client_msg_id`).
const MAX_TEXT_PART: usize = 16 * 1024;

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let upload = endpoint!(api, __path_upload, RoomId)
        .and(authed(ctx.clone()))
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .then(
            |id: RoomId,
             ctx: AppContext,
             caller: Result<Caller>,
             content_type: Option<String>,
             length: Option<u64>,
             body| upload(id, ctx, caller, content_type, length, as_bytes(body)),
        );
    let download = endpoint!(api, __path_download, String)
        .and(authed(ctx.clone()))
        .then(download);
    let thumbnail = endpoint!(api, __path_thumbnail, String)
        .and(authed(ctx))
        .then(thumbnail);
    route(upload)
        .or(route(download))
        .unify()
        .or(route(thumbnail))
        .unify()
        .boxed()
}

/// Multipart form with a `file` part and optional `caption` and
/// `client_msg_id` parts; stores the file and posts it as an image or file message (201; 200
/// The upload form, as documented (the handler parses the multipart stream itself).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    caption: Option<String>,
    client_msg_id: Option<String>,
}

/// with the original for a repeated `client_msg_id`).
#[utoipa::path(post, path = "/api/rooms/{id}/uploads", tag = "files",
    params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = UploadForm,
        description = "A `file` part, and optional `caption` and `client_msg_id` parts."),
    responses((status = 201, description = "The image or file message, stored.", body = super::messages::MessageBody),
        (status = 200, description = "A retried `client_msg_id`: the message stored the first time.", body = super::messages::MessageBody),
        (status = 400, description = "`invalid_upload`: not a multipart form; `missing_file`, `empty_file`, `invalid_image`, `invalid_client_msg_id`.", body = ErrorResponse),
        (status = 403, description = "`not_a_member`, `room_archived`.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`: over the server's upload limit; `upload_quota_exceeded`.", body = ErrorResponse),
        (status = 507, description = "`insufficient_storage`: the server's disk is nearly full.", body = ErrorResponse)))]
async fn upload<S, E>(
    id: RoomId,
    ctx: AppContext,
    caller: Result<Caller>,
    content_type: Option<String>,
    length: Option<u64>,
    body: S,
) -> Result<Response>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let caller = caller?;
    // Refuse before reading a byte of a body that cannot be accepted.
    uploads::admit(&ctx, &caller, id).await?;
    let limit = ctx.settings.get().max_upload_bytes;
    if length.is_some_and(|length| length > limit + FORM_OVERHEAD) {
        return Err(too_large(limit));
    }
    uploads::charge(&ctx, &caller, length).await?;
    let form = read_form(&ctx, content_type.as_deref(), body, limit).await?;
    let sent = uploads::receive(&ctx, &caller, id, form).await?;
    Ok(super::messages::sent_reply(sent))
}

/// warp's body chunks as `Bytes`.
fn as_bytes<S, B>(body: S) -> impl Stream<Item = Result<Bytes, warp::Error>>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    body.map(|chunk| chunk.map(|mut buf| buf.copy_to_bytes(buf.remaining())))
}

/// The RFC 5987 `filename*=UTF-8''…` of a part, which some clients send instead of `filename`.
fn extended_file_name(headers: &http::HeaderMap) -> Option<String> {
    let disposition = headers.get(http::header::CONTENT_DISPOSITION)?.to_str().ok()?;
    let encoded = disposition
        .split(';')
        .map(str::trim)
        .find_map(|param| param.strip_prefix("filename*="))?;
    let (charset, rest) = encoded.split_once('\'')?;
    let (_language, value) = rest.split_once('\'')?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()
        .map(|name| name.into_owned())
}

fn multipart_error(e: multer::Error, limit: u64) -> Error {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large(limit)
        }
        other => Error::bad_request("invalid_upload", format!("the upload could not be read: {other}")),
    }
}

fn too_large(limit: u64) -> Error {
    Error::PayloadTooLarge {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    }
}

/// Reads an upload form: the `file` part straight into a temporary file (at most `limit`
/// bytes), the small text parts into memory, anything else skipped.
async fn read_form<S, E>(ctx: &AppContext, content_type: Option<&str>, body: S, limit: u64) -> Result<Upload>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let boundary = content_type
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| Error::bad_request("invalid_upload", "an upload must be multipart/form-data"))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limit + FORM_OVERHEAD)
            .per_field(limit),
    );
    let mut multipart = multer::Multipart::with_constraints(body, boundary, constraints);
    let mut form = Upload {
        file: None,
        caption: None,
        client_msg_id: None,
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        match field.name() {
            Some("file") => {
                if form.file.is_some() {
                    return Err(Error::invalid(
                        "too_many_files",
                        "file",
                        "send one file per upload",
                    ));
                }
                let name = match field.file_name() {
                    Some(name) => display_file_name(Some(name)),
                    None => display_file_name(extended_file_name(field.headers()).as_deref()),
                };
                let (mut temp, mut out) = TempFile::create(ctx, name).await?;
                let mut size: u64 = 0;
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                    size += chunk.len() as u64;
                    if size > limit {
                        return Err(too_large(limit));
                    }
                    out.write_all(&chunk).await?;
                }
                out.flush().await?;
                temp.size = size;
                form.file = Some(temp);
            }
            Some(name @ ("caption" | "client_msg_id")) => {
                let name = name.to_owned();
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                    text.extend_from_slice(&chunk);
                    if text.len() > MAX_TEXT_PART {
                        return Err(Error::invalid(
                            "invalid_content",
                            "caption",
                            "caption is too long",
                        ));
                    }
                }
                let text = String::from_utf8(text).map_err(|_| {
                    Error::bad_request("invalid_upload", format!("{name} must be UTF-8 text"))
                })?;
                if name == "caption" {
                    form.caption = Some(text);
                } else {
                    form.client_msg_id = Some(text);
                }
            }
            // Parts Confab does not know are skipped, not stored.
            _ => {
                while field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(e, limit))?
                    .is_some()
                {}
            }
        }
    }
    Ok(form)
}

/// The uploaded file itself.
#[utoipa::path(get, path = "/api/files/{id}", operation_id = "download_file", tag = "files",
    params(("id" = String, Path)),
    responses((status = 200, description = "The file, as uploaded, with its name in `Content-Disposition`.", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn download(id: String, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    serve(&ctx, &caller?, &id, false).await
}

/// An image's preview, at most 320 px on its longer side.
#[utoipa::path(get, path = "/api/files/{id}/thumbnail", tag = "files",
    params(("id" = String, Path)),
    responses((status = 200, description = "An image's thumbnail.", content_type = "image/*", body = Vec<u8>),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn thumbnail(id: String, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    serve(&ctx, &caller?, &id, true).await
}

async fn serve(ctx: &AppContext, caller: &Caller, id: &str, thumbnail: bool) -> Result<Response> {
    let download = uploads::open(ctx, caller, id, thumbnail).await?;
    let (mut response, length) = match download.body {
        DownloadBody::Bytes(bytes) => {
            let length = bytes.len() as u64;
            (Response::new(bytes.into()), length)
        }
        DownloadBody::File { file, length } => {
            let stream = tokio_util::io::ReaderStream::new(file);
            (warp::Reply::into_response(warp::reply::stream(stream)), length)
        }
    };
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| Error::Internal(e.to_string()));
    headers.insert(header::CONTENT_TYPE, value(&download.content_type)?);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    let disposition = if download.is_image { "inline" } else { "attachment" };
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(disposition, &download.file_name))?,
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
    use super::{content_disposition, extended_file_name};

    #[test]
    fn dispositions_quote_safely() {
        assert_eq!(
            content_disposition("attachment", "报告 \"final\".pdf"),
            "attachment; filename=\"__ _final_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22.pdf"
        );
    }

    #[test]
    fn extended_file_names_are_decoded() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_DISPOSITION,
            "form-data; name=\"file\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
                .parse()
                .unwrap(),
        );
        assert_eq!(extended_file_name(&headers).as_deref(), Some("报告.pdf"));
        headers.insert(
            http::header::CONTENT_DISPOSITION,
            "form-data; name=\"file\"".parse().unwrap(),
        );
        assert_eq!(extended_file_name(&headers), None);
    }
}
