//! How much memory decoding images may take. An image is judged by the size its header
//! declares before any pixel is decoded: more than [`MAX_PIXELS`] is refused outright (a
//! 345 KB PNG can declare 11000×11000 pixels and cost 374 MB to decode). Accepted images then
//! share one budget of decoded bytes, so however many uploads arrive at once, decoding holds at
//! most [`BUDGET_BYTES`] of pixels.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// Largest image accepted, in pixels: 48 megapixels covers 8000×6000 and the 48 MP photos of
/// current phones.
pub const MAX_PIXELS: u64 = 48_000_000;
/// Largest decoded buffer of one image: an 8-bit RGBA image of [`MAX_PIXELS`]. A 16-bit image
/// of that many pixels is twice this and is refused.
pub const MAX_IMAGE_BYTES: u64 = MAX_PIXELS * 4;
/// All decodes in flight together hold at most this many bytes of pixels: one image of the
/// largest kind and some smaller ones beside it.
pub const BUDGET_BYTES: u64 = MAX_IMAGE_BYTES + 64 * 1024 * 1024;
/// The budget is counted in units of this many bytes (a semaphore counts in `u32`s).
const UNIT: u64 = 64 * 1024;

/// The shared budget; cheap to clone.
#[derive(Clone, Debug)]
pub struct DecodeBudget {
    units: Arc<Semaphore>,
}

impl Default for DecodeBudget {
    fn default() -> Self {
        DecodeBudget {
            units: Arc::new(Semaphore::new(units(BUDGET_BYTES) as usize)),
        }
    }
}

/// A reservation of decoding memory, returned to the budget when dropped.
#[derive(Debug)]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl DecodeBudget {
    /// Reserves memory to decode an image of `width`×`height` whose decoded buffer is `bytes`
    /// long, waiting while other decodes hold the budget. Errors with `400 image_too_large`
    /// for an image over [`MAX_PIXELS`] or [`MAX_IMAGE_BYTES`]; such an image never waits.
    pub async fn reserve(&self, width: u32, height: u32, bytes: u64) -> Result<Reservation> {
        check_size(width, height, bytes)?;
        let permit = self
            .units
            .clone()
            .acquire_many_owned(units(bytes).max(1))
            .await
            .map_err(|_| Error::Internal("the image decoding budget is closed".into()))?;
        Ok(Reservation { _permit: permit })
    }
}

/// Refuses an image too large to decode, judged by its declared size.
pub fn check_size(width: u32, height: u32, bytes: u64) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS || bytes > MAX_IMAGE_BYTES {
        return Err(Error::invalid(
            "image_too_large",
            "file",
            format!(
                "this image is {width}×{height} pixels; images may have at most {} megapixels",
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// What an image's header declares, read without decoding a pixel.
#[derive(Clone, Copy, Debug)]
pub struct Declared {
    pub width: u32,
    pub height: u32,
    /// The length of the decoded buffer.
    pub bytes: u64,
}

/// Reads the declared size of the image at `path` in `format`. Blocking: run it on the
/// decoding threads.
pub fn declared(path: &std::path::Path, format: image::ImageFormat) -> std::result::Result<Declared, String> {
    use image::ImageDecoder;
    let mut reader = image::ImageReader::open(path).map_err(|e| e.to_string())?;
    reader.set_format(format);
    let decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (width, height) = decoder.dimensions();
    Ok(Declared {
        width,
        height,
        bytes: decoder.total_bytes(),
    })
}

fn units(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn images_over_the_pixel_cap_are_refused() {
        assert!(check_size(8000, 6000, 8000 * 6000 * 4).is_ok());
        let err = check_size(11_000, 11_000, 11_000 * 11_000).unwrap_err();
        assert_eq!(err.code(), "image_too_large");
        assert!(
            check_size(8000, 6000, 8000 * 6000 * 8).is_err(),
            "16-bit RGBA is twice as big"
        );
    }

    #[tokio::test]
    async fn a_second_large_decode_waits_for_the_first() {
        let budget = DecodeBudget::default();
        let first = budget.reserve(8000, 6000, MAX_IMAGE_BYTES).await.unwrap();
        let small = budget.reserve(1000, 1000, 4_000_000).await.unwrap();
        let second = budget.reserve(8000, 6000, MAX_IMAGE_BYTES);
        tokio::pin!(second);
        assert!(second.as_mut().now_or_never().is_none(), "the budget is spent");
        drop(first);
        assert!(
            second.as_mut().now_or_never().is_some(),
            "the first decode gave it back"
        );
        drop(small);
    }
}
