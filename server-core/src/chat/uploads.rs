//! Uploads: a file the transport already received (parsed out of its form into a temporary
//! file) becomes a stored file and an `image` or `file` message in one step, and stored files
//! are handed out to the members of their room only. What a file is, `media` decides.

use std::path::PathBuf;

use super::limits::Action;
use super::media;
use super::messages::Sent;
use super::{rooms, validate};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, RoomId};
use crate::store::{FileStore, NewAttachment, NewMessage};

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

/// A received file waiting in the file store's temporary directory; deleted when dropped
/// unless it was committed.
pub struct TempFile {
    path: PathBuf,
    keep: bool,
    /// The name shown for it (see [`display_file_name`]).
    pub name: String,
    pub size: u64,
}

impl TempFile {
    /// A new temporary file, open for writing, to be named `name` once its `size` is known.
    pub async fn create(ctx: &AppContext, name: String) -> Result<(TempFile, tokio::fs::File)> {
        let (path, file) = ctx.files.temp_file().await?;
        let temp = TempFile {
            path,
            keep: false,
            name,
            size: 0,
        };
        Ok((temp, file))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An upload form as the transport parsed it.
pub struct Upload {
    pub file: Option<TempFile>,
    pub caption: Option<String>,
    pub client_msg_id: Option<String>,
}

/// Whether the caller may upload to `room_id` at all: checked before a byte of the body is read.
pub async fn admit(ctx: &AppContext, caller: &Caller, room_id: RoomId) -> Result<()> {
    let room = rooms::get(ctx, caller, room_id).await?;
    if !room.is_member {
        return Err(Error::forbidden(
            "not_a_member",
            "join this room before posting in it",
        ));
    }
    if room.is_archived {
        return Err(super::messages::room_archived());
    }
    Ok(())
}

/// Whether the caller's limits let them send an upload whose body is `length` bytes (unknown:
/// as large as allowed): it counts as a message, and needs that much of their quota and of the
/// disk's free space. Checked, like [`admit`], before a byte of the body is read.
pub async fn charge(ctx: &AppContext, caller: &Caller, length: Option<u64>) -> Result<()> {
    ctx.limits.take(caller.user_id, Action::Message).await?;
    let limit = ctx.settings.get().max_upload_bytes;
    let incoming = length.unwrap_or(limit).min(limit);
    ctx.limits
        .upload_allowed(caller.user_id, incoming, &ctx.config.uploads_dir())
        .await
}

/// An optional caption: at most 4000 characters after trimming, no NUL.
fn caption(raw: Option<&str>) -> Result<String> {
    let caption = raw.unwrap_or_default().trim();
    if caption.is_empty() {
        return Ok(String::new());
    }
    validate::content(caption)
}

/// Stores an upload to `room_id` (already [`admit`]ted) and posts its message; a retried
/// `client_msg_id` is answered with the original.
pub async fn receive(ctx: &AppContext, caller: &Caller, room_id: RoomId, upload: Upload) -> Result<Sent> {
    let client_msg_id = validate::client_msg_id(upload.client_msg_id.as_deref())?;
    let caption = caption(upload.caption.as_deref())?;
    let mut temp = upload
        .file
        .ok_or_else(|| Error::invalid("missing_file", "file", "choose a file to upload"))?;
    if temp.size == 0 {
        return Err(Error::invalid("empty_file", "file", "that file is empty"));
    }
    if let Some(id) = &client_msg_id {
        if let Some(existing) = ctx.store.message_by_client_id(caller.user_id, id).await? {
            return Ok(Sent {
                message: existing,
                created: false,
            });
        }
    }
    ctx.limits.record_upload(caller.user_id, temp.size).await?;
    let media = media::inspect(&ctx.decoders, &ctx.decode_budget, &temp.path).await?;

    let id = FileStore::new_id()?;
    ctx.files
        .commit(&temp.path, &id, media.thumbnail.as_deref())
        .await?;
    temp.keep = true;
    let written = super::mentions::written(&caption);
    let message = NewMessage {
        room_id,
        user_id: Some(caller.user_id),
        username: Some(caller.username.clone()),
        content: caption,
        message_type: media.message_type,
        client_msg_id,
        meta: None,
        attachment: Some(NewAttachment {
            id: id.clone(),
            file_name: std::mem::take(&mut temp.name),
            size: i64::try_from(temp.size).unwrap_or(i64::MAX),
            content_type: media.content_type,
            dimensions: media.dimensions,
        }),
        mention_keys: written.keys,
        mentions_room: written.room,
        reply_to: None,
        thread_id: None,
        also_to_room: false,
    };
    let answer = ctx.log.append(message).await;
    if answer.as_ref().is_ok_and(|sent| sent.created) {
        return answer;
    }
    // Nothing refers to the file we just stored.
    if let Err(e) = ctx.files.remove(&id).await {
        tracing::warn!(error = %e, "removing an unused upload failed; the next sweep will");
    }
    answer
}

/// A stored file (or an image's thumbnail) ready to be served.
pub struct Download {
    pub body: DownloadBody,
    /// One of the four image types: served inline as what it is; anything else is bytes to
    /// save.
    pub is_image: bool,
    pub content_type: String,
    pub file_name: String,
}

pub enum DownloadBody {
    Bytes(Vec<u8>),
    File { file: tokio::fs::File, length: u64 },
}

/// Stored file `id` (or its thumbnail) for the caller: members of its room only, and a room one
/// cannot see is not admitted to hold files (404 either way).
pub async fn open(ctx: &AppContext, caller: &Caller, id: &str, thumbnail: bool) -> Result<Download> {
    if !FileStore::is_valid_id(id) {
        return Err(Error::not_found("file"));
    }
    let attachment = ctx.store.attachment(id).await?.ok_or(Error::not_found("file"))?;
    match rooms::get(ctx, caller, attachment.room_id).await {
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
    let (body, content_type) = if thumbnail {
        let bytes = tokio::fs::read(ctx.files.thumbnail_path(id)?)
            .await
            .map_err(missing)?;
        let content_type = media::ImageKind::sniff(&bytes).map_or("image/jpeg", |k| k.content_type());
        (DownloadBody::Bytes(bytes), content_type.to_owned())
    } else {
        let file = tokio::fs::File::open(ctx.files.path(id)?)
            .await
            .map_err(missing)?;
        let length = file.metadata().await?.len();
        let content_type = if attachment.is_image {
            attachment.content_type.clone()
        } else {
            "application/octet-stream".to_owned()
        };
        (DownloadBody::File { file, length }, content_type)
    };
    Ok(Download {
        body,
        is_image: attachment.is_image,
        content_type,
        file_name: attachment.file_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
