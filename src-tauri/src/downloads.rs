//! Where files the person downloads from a chat are saved: their Downloads folder, under the
//! file's own name, never overwriting what is already there.

use std::path::{Path, PathBuf};

/// Decodes the percent-encoded file name the web client sends in a header.
pub fn decode_name(encoded: &str) -> Option<String> {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()
        .map(|name| name.into_owned())
}

/// A path in `dir` for a download the web client named `suggested`: only the last path
/// component is used, and `name (1).ext`, `name (2).ext`, … avoid existing files.
pub fn destination(dir: &Path, suggested: Option<&str>) -> PathBuf {
    let name = suggested
        .and_then(|s| s.rsplit(['/', '\\']).next())
        .map(|s| s.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|s| s.trim().trim_start_matches('.').to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "download".to_owned());
    let candidate = dir.join(&name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_owned(), format!(".{ext}")),
        _ => (name.clone(), String::new()),
    };
    (1..)
        .map(|n| dir.join(format!("{stem} ({n}){extension}")))
        .find(|path| !path.exists())
        .unwrap_or(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_percent_decoded() {
        assert_eq!(
            decode_name("%E6%8A%A5%E5%91%8A%20final.pdf").as_deref(),
            Some("报告 final.pdf")
        );
        assert_eq!(decode_name("plain.txt").as_deref(), Some("plain.txt"));
        assert_eq!(
            decode_name("100%zz").as_deref(),
            Some("100%zz"),
            "not an escape: kept as is"
        );
        assert_eq!(decode_name("cut%E6%8A"), None);
    }

    #[test]
    fn names_stay_inside_the_folder_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            destination(dir.path(), Some("report.pdf")),
            dir.path().join("report.pdf")
        );
        assert_eq!(
            destination(dir.path(), Some("../../etc/passwd")),
            dir.path().join("passwd")
        );
        assert_eq!(
            destination(dir.path(), Some("C:\\x\\y.txt")),
            dir.path().join("y.txt")
        );
        assert_eq!(
            destination(dir.path(), Some(".bashrc")),
            dir.path().join("bashrc")
        );
        assert_eq!(destination(dir.path(), None), dir.path().join("download"));
        std::fs::write(dir.path().join("report.pdf"), "1").unwrap();
        std::fs::write(dir.path().join("report (1).pdf"), "2").unwrap();
        assert_eq!(
            destination(dir.path(), Some("report.pdf")),
            dir.path().join("report (2).pdf")
        );
    }
}
