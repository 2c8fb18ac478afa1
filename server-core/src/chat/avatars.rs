//! Profile pictures. An avatar is a picture uploaded to this server, never a link: a link to
//! another site was fetched by every viewer's browser, telling that site who was online and
//! when, and could make every client request an address on the office LAN. The upload is
//! decoded like an attachment (within the shared decoding budget), cut to a centred square and
//! re-encoded as a 256×256 PNG, so no metadata of the original (EXIF location, camera) survives.
//! Avatars live in their own folder, apart from attachments, so the retention sweep of
//! unreferenced uploads never sees them.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use super::decode_budget;
use super::media::ImageKind;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Me};
use crate::store::FileStore;

/// Side of the stored square, in pixels.
pub const AVATAR_SIDE: u32 = 256;
/// Largest picture accepted as an avatar, in bytes.
pub const MAX_AVATAR_BYTES: usize = 8 * 1024 * 1024;
/// Where avatar files are served; `avatar_url` is always this followed by the file's id.
pub const URL_PREFIX: &str = "/api/avatars/";

/// The avatar files; cheap to clone.
#[derive(Clone, Debug)]
pub struct Avatars {
    files: FileStore,
}

impl Avatars {
    /// Opens (creating if missing) the avatar folder `root`.
    pub async fn open(root: std::path::PathBuf) -> Result<Avatars> {
        Ok(Avatars {
            files: FileStore::open(root).await?,
        })
    }

    /// Path of avatar `id`; 404 for anything that is not a well-formed id.
    pub fn path(&self, id: &str) -> Result<std::path::PathBuf> {
        self.files.path(id)
    }
}

/// The id inside one of our avatar URLs.
pub fn id_of(url: &str) -> Option<&str> {
    url.strip_prefix(URL_PREFIX)
        .filter(|id| FileStore::is_valid_id(id))
}

/// Makes `picture` (PNG, JPEG, GIF or WebP bytes) the caller's avatar and deletes the previous
/// one. `400 invalid_image` for anything else, `400 image_too_large` past the decoding cap.
pub async fn set(ctx: &AppContext, caller: &Caller, picture: bytes::Bytes) -> Result<Me> {
    let kind = ImageKind::sniff(&picture).ok_or_else(|| {
        Error::invalid(
            "invalid_image",
            "file",
            "an avatar must be a PNG, JPEG, GIF or WebP picture",
        )
    })?;
    let unreadable = |reason: String| {
        tracing::debug!(%reason, "refusing an avatar that does not decode");
        Error::invalid("invalid_image", "file", "this picture could not be read")
    };
    let files = &ctx.avatars.files;
    let (original, mut file) = files.temp_file().await?;
    let original = TempFile(original);
    file.write_all(&picture).await?;
    file.flush().await?;
    drop((file, picture));

    let path = original.0.clone();
    let declared = ctx
        .decoders
        .run(move || decode_budget::declared(&path, kind.format()))
        .await?
        .map_err(unreadable)?;
    let reservation = ctx
        .decode_budget
        .reserve(declared.width, declared.height, declared.bytes)
        .await?;
    let path = original.0.clone();
    let png = ctx
        .decoders
        .run(move || square_png(&path, kind))
        .await?
        .map_err(unreadable)?;
    drop(reservation);

    let id = FileStore::new_id()?;
    let (encoded, mut file) = files.temp_file().await?;
    let encoded = TempFile(encoded);
    file.write_all(&png).await?;
    file.flush().await?;
    drop(file);
    files.commit(&encoded.0, &id, None).await?;
    let previous = ctx
        .store
        .set_avatar(caller.user_id, Some(&format!("{URL_PREFIX}{id}")))
        .await?;
    forget_file(ctx, previous.as_deref()).await;
    super::accounts::me(ctx, caller).await
}

/// Removes the caller's avatar (a no-op without one).
pub async fn remove(ctx: &AppContext, caller: &Caller) -> Result<Me> {
    let previous = ctx.store.set_avatar(caller.user_id, None).await?;
    forget_file(ctx, previous.as_deref()).await;
    super::accounts::me(ctx, caller).await
}

/// `avatar_url` in a profile edit: empty or `null` removes the avatar, the caller's current
/// avatar URL changes nothing, and anything else (a link to another site) is refused with
/// `400 external_avatar_url`.
pub async fn from_profile(ctx: &AppContext, caller: &Caller, url: Option<&str>) -> Result<()> {
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    let Some(url) = url else {
        remove(ctx, caller).await?;
        return Ok(());
    };
    let current = ctx.store.me(caller.user_id).await?.ok_or(Error::Unauthorized)?;
    if current.user.avatar_url.as_deref() == Some(url) {
        return Ok(());
    }
    Err(Error::invalid(
        "external_avatar_url",
        "avatar_url",
        "avatars are pictures uploaded with PUT /api/auth/avatar; links to other sites are not accepted",
    ))
}

/// Whether `id` is somebody's current avatar (only those are served).
pub async fn in_use(ctx: &AppContext, id: &str) -> Result<bool> {
    ctx.store.avatar_in_use(&format!("{URL_PREFIX}{id}")).await
}

async fn forget_file(ctx: &AppContext, url: Option<&str>) {
    if let Some(id) = url.and_then(id_of)
        && let Err(e) = ctx.avatars.files.remove(id).await
    {
        tracing::warn!(error = %e, "removing a replaced avatar failed");
    }
}

/// Deletes a temporary file when dropped.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Decodes the picture at `path`, shrinks it so its shorter side is [`AVATAR_SIDE`], cuts the
/// centred square, turns it upright (EXIF orientation) and encodes it as PNG.
fn square_png(path: &Path, kind: ImageKind) -> std::result::Result<Vec<u8>, String> {
    use image::ImageDecoder;
    let mut reader = image::ImageReader::open(path).map_err(|e| e.to_string())?;
    reader.set_format(kind.format());
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(decode_budget::BUDGET_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    let (width, height) = (image.width().max(1), image.height().max(1));
    let short = width.min(height);
    let scaled = |side: u32| (u64::from(side) * u64::from(AVATAR_SIDE)).div_ceil(u64::from(short)) as u32;
    let small = image.thumbnail_exact(scaled(width).max(AVATAR_SIDE), scaled(height).max(AVATAR_SIDE));
    drop(image);
    let x = (small.width() - AVATAR_SIDE) / 2;
    let y = (small.height() - AVATAR_SIDE) / 2;
    let mut square = small.crop_imm(x, y, AVATAR_SIDE, AVATAR_SIDE);
    square.apply_orientation(orientation);
    let mut png = Vec::new();
    square
        .to_rgba8()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(png)
}
