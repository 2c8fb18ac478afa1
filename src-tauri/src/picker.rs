//! Images chosen with the native file dialog. The webview never names a file: Rust opens the
//! dialog, reads the chosen file, checks it (size, real image by content), and keeps the bytes
//! under an opaque id until the web client takes them for upload.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};

/// Default size limit; the web client passes the server's real one.
pub const DEFAULT_LIMIT: u64 = 10 * 1024 * 1024;
/// Picks held at once; older ones are dropped.
const HELD: usize = 4;

/// A checked image waiting for upload.
pub struct Picked {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// What the web client learns about a pick.
#[derive(Clone, Debug, Serialize)]
pub struct PickedInfo {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: &'static str,
}

/// Checks that `bytes` are a PNG, JPEG, GIF or WebP image no larger than `limit`.
pub fn check_image(name: String, bytes: Vec<u8>, limit: u64) -> Result<Picked> {
    if bytes.is_empty() {
        return Err(Error::EmptyFile);
    }
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            limit_mb: limit.div_ceil(1024 * 1024),
        });
    }
    let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return Err(Error::NotAnImage);
    };
    Ok(Picked {
        name,
        content_type,
        bytes,
    })
}

/// Picks waiting to be taken, by opaque id, oldest first.
#[derive(Default)]
pub struct Picks {
    held: Mutex<VecDeque<(String, Picked)>>,
}

impl Picks {
    /// Keeps `picked` and returns its description with a fresh id.
    pub fn hold(&self, picked: Picked) -> PickedInfo {
        let mut raw = [0u8; 12];
        let _ = getrandom::fill(&mut raw);
        let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let info = PickedInfo {
            id: id.clone(),
            name: picked.name.clone(),
            size: picked.bytes.len() as u64,
            content_type: picked.content_type,
        };
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.push_back((id, picked));
        while held.len() > HELD {
            held.pop_front();
        }
        info
    }

    /// Hands over (and forgets) the bytes of pick `id`.
    pub fn take(&self, id: &str) -> Result<Picked> {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = held.iter().position(|(held_id, _)| held_id == id);
        at.and_then(|at| held.remove(at))
            .map(|(_, picked)| picked)
            .ok_or(Error::UnknownPick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_images_within_the_limit_pass() {
        let png = b"\x89PNG\r\n\x1a\n....".to_vec();
        assert_eq!(
            check_image("a.png".into(), png.clone(), 100)
                .unwrap()
                .content_type,
            "image/png"
        );
        assert!(matches!(
            check_image("a.png".into(), png, 5),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            check_image("x.png".into(), b"<svg/>".to_vec(), 100),
            Err(Error::NotAnImage)
        ));
        assert!(matches!(
            check_image("e.png".into(), Vec::new(), 100),
            Err(Error::EmptyFile)
        ));
        let webp = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
        assert_eq!(
            check_image("w".into(), webp, 100).unwrap().content_type,
            "image/webp"
        );
    }

    #[test]
    fn picks_are_taken_once_and_bounded() {
        let picks = Picks::default();
        let infos: Vec<PickedInfo> = (0..6)
            .map(|i| picks.hold(check_image(format!("{i}.gif"), b"GIF89a..".to_vec(), 100).unwrap()))
            .collect();
        assert!(
            matches!(picks.take(&infos[0].id), Err(Error::UnknownPick)),
            "the oldest were dropped"
        );
        let taken = picks.take(&infos[5].id).unwrap();
        assert_eq!(taken.name, "5.gif");
        assert!(picks.take(&infos[5].id).is_err(), "taken once");
        assert!(picks.take("../../etc/passwd").is_err());
    }
}
