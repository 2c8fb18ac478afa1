//! What an uploaded file is, decided by its bytes, never by its name or the client's
//! Content-Type: one of four image types (which must decode, and get a thumbnail) or a plain
//! file whose type is sniffed. Decoding runs on the blocking pool, a few at a time, within
//! the shared memory budget of [`decode_budget`].

use std::path::Path;

use tokio::io::AsyncReadExt;

use super::decode_budget::{self, DecodeBudget};
use crate::blocking::BlockingPool;
use crate::error::{Error, Result};
use crate::model::MessageType;

/// Thumbnails fit in a square of this many pixels.
pub const THUMBNAIL_SIZE: u32 = 320;
/// Images larger than this in either dimension are refused (decompression bombs; the pixel
/// count is capped before decoding, see [`decode_budget`]).
const MAX_IMAGE_SIDE: u32 = 16_384;
/// The decoders' own allocation limit: a backstop behind the cap of [`decode_budget`], with
/// room for their working buffers beside the largest accepted picture.
const MAX_DECODE_BYTES: u64 = decode_budget::BUDGET_BYTES;

/// What a stored upload turned out to be.
pub struct Media {
    pub message_type: MessageType,
    pub content_type: String,
    /// Width and height, for images.
    pub dimensions: Option<(i64, i64)>,
    /// An encoded preview, for images.
    pub thumbnail: Option<Vec<u8>>,
}

/// Looks at the file at `path`: an image must decode (decoded on `decoders`, once `budget` has
/// room for the size its header declares), anything else is a file of the type its first bytes
/// suggest.
pub async fn inspect(decoders: &BlockingPool, budget: &DecodeBudget, path: &Path) -> Result<Media> {
    let mut head = [0u8; 64];
    let head_len = {
        let mut file = tokio::fs::File::open(path).await?;
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
    match ImageKind::sniff(head) {
        Some(kind) => {
            let unreadable = |reason: String| {
                tracing::debug!(%reason, "refusing an image that does not decode");
                Error::invalid(
                    "invalid_image",
                    "file",
                    format!("this looks like a {} image but it could not be read", kind.name()),
                )
            };
            let header_path = path.to_owned();
            let declared = decoders
                .run(move || decode_budget::declared(&header_path, kind.format()))
                .await?
                .map_err(unreadable)?;
            let _reservation = budget
                .reserve(declared.width, declared.height, declared.bytes)
                .await?;
            let path = path.to_owned();
            let decoded = decoders
                .run(move || decode(&path, kind))
                .await?
                .map_err(unreadable)?;
            Ok(Media {
                message_type: MessageType::Image,
                content_type: kind.content_type().to_owned(),
                dimensions: Some((i64::from(decoded.width), i64::from(decoded.height))),
                thumbnail: Some(decoded.thumbnail),
            })
        }
        None => {
            let detected = infer::get(head)
                .map(|t| t.mime_type())
                .unwrap_or("application/octet-stream");
            Ok(Media {
                message_type: MessageType::File,
                content_type: detected.to_owned(),
                dimensions: None,
                thumbnail: None,
            })
        }
    }
}

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

    pub(crate) fn format(self) -> image::ImageFormat {
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
    use image::metadata::Orientation;
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
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    let (mut width, mut height) = (image.width(), image.height());
    // Shrink first, then rotate the thumbnail: rotating the original would copy all its pixels.
    let mut small = if width <= THUMBNAIL_SIZE && height <= THUMBNAIL_SIZE {
        image
    } else {
        let small = image.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
        drop(image);
        small
    };
    small.apply_orientation(orientation);
    if matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    ) {
        (width, height) = (height, width);
    }
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
}
