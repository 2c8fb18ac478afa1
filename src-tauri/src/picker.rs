//! Files chosen with the native file dialog. The webview never names a file: Rust opens the
//! dialog. An image is read and checked (size, real image by content) and its bytes kept under
//! an opaque id until the web client takes them; any other file stays on disk, its path kept
//! under an opaque id, and is streamed from there when the web client uploads it
//! ([`crate::transfers`]).

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
        let id = fresh_id();
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

/// Files picked for upload, held at once; older ones are forgotten.
const FILES_HELD: usize = 64;

/// A file chosen for upload, as the web client learns of it.
#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: &'static str,
}

/// Paths of files picked for upload, by opaque id. Unlike images they are not taken once: a
/// failed upload is retried from the same file.
#[derive(Default)]
pub struct Files {
    held: Mutex<VecDeque<(String, crate::transfers::Outgoing)>>,
}

impl Files {
    /// Keeps the file at `path` (read now for its size) and describes it with a fresh id.
    pub fn hold(&self, path: std::path::PathBuf) -> Result<FileInfo> {
        let size = std::fs::metadata(&path)?.len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let content_type = content_type_of(&name);
        let id = fresh_id();
        let outgoing = crate::transfers::Outgoing {
            path,
            name: name.clone(),
            content_type: content_type.to_owned(),
        };
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.push_back((id.clone(), outgoing));
        while held.len() > FILES_HELD {
            held.pop_front();
        }
        Ok(FileInfo {
            id,
            name,
            size,
            content_type,
        })
    }

    /// The file picked as `id`.
    pub fn get(&self, id: &str) -> Result<crate::transfers::Outgoing> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.iter()
            .find(|(held_id, _)| held_id == id)
            .map(|(_, outgoing)| outgoing.clone())
            .ok_or(Error::UnknownPick)
    }

    /// Forgets the file picked as `id` (its upload is done or discarded).
    pub fn release(&self, id: &str) {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(held_id, _)| held_id != id);
    }
}

/// The type a browser would give a file by its name: what the web client shows and the server
/// starts from (it checks images by content itself).
pub fn content_type_of(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

fn fresh_id() -> String {
    let mut raw = [0u8; 12];
    let _ = getrandom::fill(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
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

    #[test]
    fn picked_files_are_kept_by_id_for_retries_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Report.PDF");
        std::fs::write(&path, b"%PDF-1.7").unwrap();
        let files = Files::default();
        let info = files.hold(path.clone()).unwrap();
        assert_eq!(
            (info.name.as_str(), info.size, info.content_type),
            ("Report.PDF", 8, "application/pdf")
        );
        assert_eq!(files.get(&info.id).unwrap().path, path);
        assert_eq!(files.get(&info.id).unwrap().path, path, "not taken once");
        files.release(&info.id);
        assert!(matches!(files.get(&info.id), Err(Error::UnknownPick)));
        assert!(files.get("../../etc/passwd").is_err());
        assert!(files.hold(dir.path().join("gone")).is_err());
    }
}
