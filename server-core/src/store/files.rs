//! Uploaded files on disk, under `<data-dir>/uploads/`. Every name is made here from 128 random
//! bits; nothing a client sends ever becomes part of a path. A file is written to `tmp/`,
//! flushed, then renamed into place, so a crash leaves either nothing or a complete file.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// Where uploads live; cheap to clone.
#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
}

/// A stored file found on disk by [`FileStore::list`].
#[derive(Debug)]
pub struct StoredFile {
    pub id: String,
    pub path: PathBuf,
    pub modified: SystemTime,
}

const THUMBNAIL_SUFFIX: &str = ".thumb";

impl FileStore {
    /// Opens (creating if missing) the uploads folder `root`.
    pub async fn open(root: PathBuf) -> Result<FileStore> {
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        Ok(FileStore { root })
    }

    /// A new random id: 16 bytes as 32 lowercase hex characters.
    pub fn new_id() -> Result<String> {
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("random: {e}")))?;
        Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Whether `id` has the shape of an id this store made (and so is safe in a path).
    pub fn is_valid_id(id: &str) -> bool {
        id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    fn dir_of(&self, id: &str) -> Result<PathBuf> {
        if !Self::is_valid_id(id) {
            return Err(Error::not_found("file"));
        }
        Ok(self.root.join(&id[..2]))
    }

    /// Path of file `id`; 404 for anything that is not a well-formed id.
    pub fn path(&self, id: &str) -> Result<PathBuf> {
        Ok(self.dir_of(id)?.join(id))
    }

    /// Path of the thumbnail of image `id`.
    pub fn thumbnail_path(&self, id: &str) -> Result<PathBuf> {
        Ok(self.dir_of(id)?.join(format!("{id}{THUMBNAIL_SUFFIX}")))
    }

    /// A fresh temporary file for an incoming upload.
    pub async fn temp_file(&self) -> Result<(PathBuf, tokio::fs::File)> {
        let path = self.root.join("tmp").join(format!("{}.part", Self::new_id()?));
        let file = tokio::fs::File::create_new(&path).await?;
        Ok((path, file))
    }

    /// Moves a finished upload at `temp` into place as `id`, with its `thumbnail`, both flushed
    /// to disk before this returns, so a database row can safely point at them.
    pub async fn commit(&self, temp: &Path, id: &str, thumbnail: Option<&[u8]>) -> Result<()> {
        let dir = self.dir_of(id)?;
        tokio::fs::create_dir_all(&dir).await?;
        if let Some(bytes) = thumbnail {
            let (thumb_temp, mut file) = self.temp_file().await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&thumb_temp, self.thumbnail_path(id)?).await?;
        }
        tokio::fs::File::open(temp).await?.sync_all().await?;
        tokio::fs::rename(temp, self.path(id)?).await?;
        sync_dir(&dir).await;
        Ok(())
    }

    /// Deletes file `id` and its thumbnail; returns the bytes freed. Missing files are fine.
    pub async fn remove(&self, id: &str) -> Result<u64> {
        let mut freed = 0;
        for path in [self.path(id)?, self.thumbnail_path(id)?] {
            let size = tokio::fs::metadata(&path).await.map(|m| m.len()).unwrap_or(0);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => freed += size,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(freed)
    }

    /// Every stored file (thumbnails under their image's id) and every temporary file (id
    /// empty), for the sweep of files nothing references.
    pub async fn list(&self) -> Result<Vec<StoredFile>> {
        let mut found = Vec::new();
        let mut dirs = tokio::fs::read_dir(&self.root).await?;
        while let Some(dir) = dirs.next_entry().await? {
            if !dir.file_type().await?.is_dir() {
                continue;
            }
            let is_tmp = dir.file_name() == "tmp";
            let mut files = tokio::fs::read_dir(dir.path()).await?;
            while let Some(file) = files.next_entry().await? {
                let meta = file.metadata().await?;
                if !meta.is_file() {
                    continue;
                }
                let name = file.file_name().to_string_lossy().into_owned();
                let id = if is_tmp {
                    String::new()
                } else {
                    let id = name.strip_suffix(THUMBNAIL_SUFFIX).unwrap_or(&name).to_owned();
                    if !Self::is_valid_id(&id) {
                        continue;
                    }
                    id
                };
                found.push(StoredFile {
                    id,
                    path: file.path(),
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                });
            }
        }
        Ok(found)
    }
}

/// Makes a rename in `dir` durable (a no-op where directories cannot be opened, e.g. Windows).
async fn sync_dir(dir: &Path) {
    if let Ok(handle) = tokio::fs::File::open(dir).await {
        let _ = handle.sync_all().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_validated() {
        let id = FileStore::new_id().unwrap();
        assert!(FileStore::is_valid_id(&id), "{id}");
        assert_ne!(id, FileStore::new_id().unwrap());
        for bad in [
            "",
            "../etc/passwd",
            &"A".repeat(32),
            &"a".repeat(31),
            &format!("{}/", &id[..31]),
        ] {
            assert!(!FileStore::is_valid_id(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn commit_list_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("uploads")).await.unwrap();
        let (temp, mut file) = store.temp_file().await.unwrap();
        file.write_all(b"hello").await.unwrap();
        drop(file);
        let id = FileStore::new_id().unwrap();
        store.commit(&temp, &id, Some(b"thumb")).await.unwrap();
        assert_eq!(std::fs::read(store.path(&id).unwrap()).unwrap(), b"hello");
        let listed = store.list().await.unwrap();
        assert_eq!(listed.iter().filter(|f| f.id == id).count(), 2);
        assert_eq!(store.remove(&id).await.unwrap(), 10);
        assert_eq!(store.remove(&id).await.unwrap(), 0);
        assert!(store.path("../../etc/passwd").is_err());
    }
}
