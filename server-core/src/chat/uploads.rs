//! Uploads: a multipart request becomes a stored file and an `image` or `file` message in one
//! step. What a file is gets decided by its bytes, never by its name or the client's
//! Content-Type; images must decode (and get a thumbnail), everything else is a plain file.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::Stream;
use tokio::io::AsyncWriteExt;

use super::limits::Action;
use super::{messages, rooms, validate};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Message, MessageType, RoomId};
use crate::store::{AppendOutcome, FileStore, NewAttachment, NewMessage};

/// Multipart framing and the small text parts, on top of the file itself.
const FORM_OVERHEAD: u64 = 64 * 1024;
/// Largest text part (`caption`, `client_msg_id`).
const MAX_TEXT_PART: usize = 16 * 1024;
/// Thumbnails fit in a square of this many pixels.
pub const THUMBNAIL_SIZE: u32 = 320;
/// Images larger than this in either dimension are refused (decompression bombs).
const MAX_IMAGE_SIDE: u32 = 16_384;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// The four image formats Confab shows inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    /// Recognizes an image by its first bytes. SVG (text) is never an image here.
    pub fn sniff(head: &[u8]) -> Option<ImageKind> {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(ImageKind::Gif)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Gif => "image/gif",
            ImageKind::Webp => "image/webp",
        }
    }

    fn format(self) -> image::ImageFormat {
        match self {
            ImageKind::Png => image::ImageFormat::Png,
            ImageKind::Jpeg => image::ImageFormat::Jpeg,
            ImageKind::Gif => image::ImageFormat::Gif,
            ImageKind::Webp => image::ImageFormat::WebP,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
            ImageKind::Gif => "GIF",
            ImageKind::Webp => "WebP",
        }
    }
}

/// The name a person gave their file, made safe to show: no directories, no control or
/// direction-changing characters, at most 200 characters. Never used as a path.
pub fn display_file_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        return "file".to_owned();
    }
    const MAX: usize = 200;
    if cleaned.chars().count() <= MAX {
        return cleaned.to_owned();
    }
    // Keep the extension so people still see what kind of file it is.
    let extension: String = match cleaned.rsplit_once('.') {
        Some((_, ext)) if ext.chars().count() <= 16 => format!(".{ext}"),
        _ => String::new(),
    };
    let stem: String = cleaned.chars().take(MAX - extension.chars().count()).collect();
    format!("{stem}{extension}")
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

/// A decoded image: its size after EXIF rotation and an encoded thumbnail.
struct Decoded {
    width: u32,
    height: u32,
    thumbnail: Vec<u8>,
}

/// Whether a JPEG's marker structure runs all the way to its end-of-image marker. The decoder
/// fills in a truncated file with grey instead of failing, which would hide a broken upload.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    loop {
        if i + 1 >= bytes.len() || bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        match marker {
            0xFF => i += 1, // fill byte
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                if i + 3 >= bytes.len() {
                    return false;
                }
                let length = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
                i += 2 + length;
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00
                    // or a restart marker.
                    loop {
                        if i + 1 >= bytes.len() {
                            return false;
                        }
                        if bytes[i] == 0xFF && bytes[i + 1] != 0 && !(0xD0..=0xD7).contains(&bytes[i + 1]) {
                            break;
                        }
                        i += 1;
                    }
                }
            }
        }
    }
}

fn decode(path: &Path, kind: ImageKind) -> std::result::Result<Decoded, String> {
    use image::ImageDecoder;
    if kind == ImageKind::Jpeg {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        if !jpeg_is_complete(&bytes) {
            return Err("the JPEG data ends before its end-of-image marker".into());
        }
    }
    let mut reader = image::ImageReader::open(path).map_err(|e| e.to_string())?;
    reader.set_format(kind.format());
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let small = if width <= THUMBNAIL_SIZE && height <= THUMBNAIL_SIZE {
        image
    } else {
        image.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
    };
    let mut thumbnail = Vec::new();
    let mut out = std::io::Cursor::new(&mut thumbnail);
    // Transparency needs PNG; photos are far smaller as JPEG.
    if small.color().has_alpha() {
        small
            .write_to(&mut out, image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
        small
            .to_rgb8()
            .write_with_encoder(encoder)
            .map_err(|e| e.to_string())?;
    }
    Ok(Decoded {
        width,
        height,
        thumbnail,
    })
}

/// Deletes a temporary upload unless it was committed.
struct TempUpload {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What the form carried.
struct Form {
    file: Option<(TempUpload, String, u64)>,
    caption: Option<String>,
    client_msg_id: Option<String>,
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

async fn read_form<S, E>(files: &FileStore, content_type: Option<&str>, body: S, limit: u64) -> Result<Form>
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
    let mut form = Form {
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
                let (path, mut out) = files.temp_file().await?;
                let temp = TempUpload { path, keep: false };
                let mut size: u64 = 0;
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                    size += chunk.len() as u64;
                    if size > limit {
                        return Err(too_large(limit));
                    }
                    out.write_all(&chunk).await?;
                }
                out.flush().await?;
                form.file = Some((temp, name, size));
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

/// An optional caption: at most 4000 characters after trimming, no NUL.
fn caption(raw: Option<&str>) -> Result<String> {
    let caption = raw.unwrap_or_default().trim();
    if caption.is_empty() {
        return Ok(String::new());
    }
    validate::content(caption)
}

/// Stores an upload to `room_id` and posts its message. Returns the message and whether it is
/// new (false: a retried `client_msg_id`, answered with the original).
pub async fn receive<S, E>(
    ctx: &AppContext,
    caller: &Caller,
    room_id: RoomId,
    content_type: Option<&str>,
    content_length: Option<u64>,
    body: S,
) -> Result<(Message, bool)>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    // Refuse before reading a byte of a body that cannot be accepted.
    let room = rooms::get(ctx, caller, room_id).await?;
    if !room.is_member {
        return Err(Error::forbidden(
            "not_a_member",
            "join this room before posting in it",
        ));
    }
    let limit = ctx.config.max_upload_bytes;
    if content_length.is_some_and(|length| length > limit + FORM_OVERHEAD) {
        return Err(too_large(limit));
    }
    ctx.limits.take(caller.user_id, Action::Message)?;
    let incoming = content_length.unwrap_or(limit).min(limit);
    ctx.limits
        .upload_allowed(caller.user_id, incoming, &ctx.config.uploads_dir())?;
    let form = read_form(&ctx.files, content_type, body, limit).await?;
    let client_msg_id = validate::client_msg_id(form.client_msg_id.as_deref())?;
    let caption = caption(form.caption.as_deref())?;
    let (mut temp, file_name, size) = form
        .file
        .ok_or_else(|| Error::invalid("missing_file", "file", "choose a file to upload"))?;
    if size == 0 {
        return Err(Error::invalid("empty_file", "file", "that file is empty"));
    }
    if let Some(id) = &client_msg_id {
        if let Some(existing) = ctx.store.message_by_client_id(caller.user_id, id).await? {
            return Ok((existing, false));
        }
    }
    ctx.limits.record_upload(caller.user_id, size)?;

    let mut head = [0u8; 64];
    let head_len = {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(&temp.path).await?;
        let mut filled = 0;
        while filled < head.len() {
            let n = file.read(&mut head[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        filled
    };
    let head = &head[..head_len];
    let (message_type, content_type, dimensions, thumbnail) = match ImageKind::sniff(head) {
        Some(kind) => {
            let path = temp.path.clone();
            let decoded = ctx
                .decoders
                .run(move || decode(&path, kind))
                .await?
                .map_err(|reason| {
                    tracing::debug!(%reason, "refusing an image that does not decode");
                    Error::invalid(
                        "invalid_image",
                        "file",
                        format!("this looks like a {} image but it could not be read", kind.name()),
                    )
                })?;
            (
                MessageType::Image,
                kind.content_type().to_owned(),
                Some((i64::from(decoded.width), i64::from(decoded.height))),
                Some(decoded.thumbnail),
            )
        }
        None => {
            let detected = infer::get(head)
                .map(|t| t.mime_type())
                .unwrap_or("application/octet-stream");
            (MessageType::File, detected.to_owned(), None, None)
        }
    };

    let id = FileStore::new_id()?;
    ctx.files.commit(&temp.path, &id, thumbnail.as_deref()).await?;
    temp.keep = true;
    let message = NewMessage {
        room_id,
        user_id: Some(caller.user_id),
        username: Some(caller.username.clone()),
        content: caption,
        message_type,
        client_msg_id,
        meta: None,
        attachment: Some(NewAttachment {
            id: id.clone(),
            file_name,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            content_type,
            dimensions,
        }),
    };
    let outcome = ctx.log.append(message).await;
    let answer = match outcome {
        Ok(AppendOutcome::Created(message)) => return Ok((message, true)),
        Ok(AppendOutcome::Duplicate(message)) => Ok((message, false)),
        Ok(AppendOutcome::NotMember) => Err(messages::not_member_error(&ctx.store, room_id).await),
        Err(e) => Err(e),
    };
    // Nothing refers to the file we just stored.
    if let Err(e) = ctx.files.remove(&id).await {
        tracing::warn!(error = %e, "removing an unused upload failed; the next sweep will");
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_four_image_formats_only() {
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"GIF89a..."), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(
            ImageKind::sniff(b"<svg xmlns='http://www.w3.org/2000/svg'>"),
            None
        );
        assert_eq!(ImageKind::sniff(b"<!doctype html>"), None);
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn truncated_jpegs_are_incomplete() {
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 48, image::Rgb([1, 2, 3])))
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
            .unwrap();
        assert!(jpeg_is_complete(&bytes));
        for cut in [bytes.len() - 1, bytes.len() / 2, 10, 3] {
            assert!(!jpeg_is_complete(&bytes[..cut]), "cut at {cut}");
        }
        let mut padded = bytes.clone();
        padded.extend_from_slice(b"trailing bytes after EOI are common");
        assert!(jpeg_is_complete(&padded));
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

    #[test]
    fn file_names_are_cleaned_for_display() {
        assert_eq!(display_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(display_file_name(Some("C:\\Users\\me\\photo.jpg")), "photo.jpg");
        assert_eq!(display_file_name(Some("/abs/path/report.pdf")), "report.pdf");
        assert_eq!(display_file_name(Some("a\0b\nc.txt")), "abc.txt");
        assert_eq!(
            display_file_name(Some("invoice\u{202E}fdp.exe")),
            "invoicefdp.exe"
        );
        assert_eq!(display_file_name(Some("..")), "file");
        assert_eq!(display_file_name(None), "file");
        assert_eq!(display_file_name(Some("   ")), "file");
        let long = format!("{}.png", "长".repeat(500));
        let shown = display_file_name(Some(&long));
        assert_eq!(shown.chars().count(), 200);
        assert!(shown.ends_with(".png"));
    }
}
