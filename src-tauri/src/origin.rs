//! The "came from the network" mark on files saved from a chat, so the operating system warns
//! before opening or running them: the `user.xdg.origin.url` extended attribute on Linux (read
//! by file managers and browsers), `com.apple.quarantine` on macOS (Gatekeeper), and the
//! `Zone.Identifier` alternate data stream on Windows (SmartScreen, Office's protected view).

use std::io;
use std::path::Path;

/// The Linux attribute that names where a download came from.
pub const XDG_ORIGIN: &str = "user.xdg.origin.url";

/// Marks the file at `path` as downloaded from `origin` (the chat server's address). A file
/// system without extended attributes or streams is not an error worth failing a save for; the
/// caller logs it.
pub fn mark(path: &Path, origin: &str) -> io::Result<()> {
    imp::mark(path, origin)
}

#[cfg(all(unix, not(target_os = "macos")))]
mod imp {
    use super::*;

    pub fn mark(path: &Path, origin: &str) -> io::Result<()> {
        xattr::set(path, XDG_ORIGIN, origin.as_bytes())
    }
}

#[cfg(target_os = "macos")]
mod imp {
    use super::*;

    pub fn mark(path: &Path, origin: &str) -> io::Result<()> {
        let _ = origin;
        // flags;seconds since 1970 in hex;agent — 0081 is "downloaded, not yet approved".
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let value = format!("0081;{now:08x};Confab;");
        xattr::set(path, "com.apple.quarantine", value.as_bytes())
    }
}

#[cfg(windows)]
mod imp {
    use super::*;

    pub fn mark(path: &Path, origin: &str) -> io::Result<()> {
        // ZoneId 3 is the Internet zone: Windows asks before running what carries it.
        let mut stream = path.as_os_str().to_owned();
        stream.push(":Zone.Identifier");
        let host_url: String = origin.chars().filter(|c| !c.is_control()).collect();
        std::fs::write(
            Path::new(&stream),
            format!("[ZoneTransfer]\r\nZoneId=3\r\nHostUrl={host_url}\r\n"),
        )
    }
}

#[cfg(not(any(unix, windows)))]
mod imp {
    use super::*;

    pub fn mark(_path: &Path, _origin: &str) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_saved_file_names_its_origin() {
        // The temporary folder (tmpfs or ext4) keeps user attributes.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agenda.txt");
        std::fs::write(&file, "1. ship it").unwrap();
        mark(&file, "http://192.168.1.20:8080").unwrap();
        assert_eq!(
            xattr::get(&file, XDG_ORIGIN).unwrap().as_deref(),
            Some(&b"http://192.168.1.20:8080"[..])
        );
    }
}
