//! Backups: one tar archive of the whole server — a consistent snapshot of the database
//! (SQLite's `VACUUM INTO`, taken while the server runs) followed by the uploads and avatars —
//! and restoring one into an empty data dir. Used by `confab-server backup|restore` and
//! `GET /api/admin/backup` (streamed as it is written).
//!
//! The snapshot is taken first, so every file a snapshotted message refers to is already on
//! disk (uploads are written before their message). Files written after the snapshot may
//! ride along unreferenced; the retention job removes them after a restore.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::config::{Config, create_private_dir};
use crate::error::{Error, Result};
use crate::store::Store;

/// The first entry of every archive, so a restore knows what it is reading.
const MARKER: &str = "CONFAB-BACKUP";
const DATABASE: &str = "confab.db";
const FOLDERS: [&str; 2] = ["uploads", "avatars"];
/// Bytes handed to the HTTP body at a time.
const CHUNK: usize = 256 * 1024;

/// How far an archive has got: files written and their bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub files: u64,
    pub bytes: u64,
}

/// A database snapshot in the data dir, removed when dropped.
pub struct Snapshot {
    path: PathBuf,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes a consistent copy of the database next to it.
pub async fn snapshot(store: &Store, config: &Config) -> Result<Snapshot> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let name = format!(".backup-{}.db", u64::from_le_bytes(raw));
    let snapshot = Snapshot {
        path: config.data_dir.join(name),
    };
    store.snapshot_into(&snapshot.path).await?;
    Ok(snapshot)
}

/// Writes the archive of `snapshot` and `config`'s folders to `out`, calling `progress` after
/// each file. Blocking: run it off the async workers.
pub fn write_archive<W: Write>(
    out: W,
    snapshot: &Snapshot,
    config: &Config,
    mut progress: impl FnMut(Progress),
) -> io::Result<W> {
    let mut tar = tar::Builder::new(out);
    tar.mode(tar::HeaderMode::Deterministic);
    let marker = format!("confab {}\n", crate::VERSION);
    let mut header = tar::Header::new_gnu();
    header.set_size(marker.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, MARKER, marker.as_bytes())?;
    let mut done = Progress::default();
    let mut add = |tar: &mut tar::Builder<W>, path: &Path, name: &Path| -> io::Result<()> {
        let mut file = File::open(path)?;
        tar.append_file(name, &mut file)?;
        done.files += 1;
        done.bytes += file.metadata()?.len();
        progress(done);
        Ok(())
    };
    add(&mut tar, &snapshot.path, Path::new(DATABASE))?;
    for folder in FOLDERS {
        let root = config.data_dir.join(folder);
        for path in files_under(&root)? {
            let Ok(relative) = path.strip_prefix(&config.data_dir) else {
                continue;
            };
            match add(&mut tar, &path, relative) {
                Ok(()) => {}
                // Removed since it was listed (retention, a deleted room): nothing to keep.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    tar.into_inner()
}

/// `confab-server backup --out FILE`: the archive of `config`'s data dir, whether or not a
/// server is running on it.
pub async fn backup_to_file(
    config: &Config,
    out: &Path,
    progress: impl FnMut(Progress) + Send + 'static,
) -> Result<Progress> {
    let store = crate::server::open_store(config).await?;
    let snapshot = snapshot(&store, config).await;
    store.close().await;
    let snapshot = snapshot?;
    let config = config.clone();
    let out = out.to_owned();
    let mut last = Progress::default();
    tokio::task::spawn_blocking(move || -> io::Result<Progress> {
        let partial = out.with_extension("partial");
        let file = io::BufWriter::new(File::create(&partial)?);
        let mut progress = progress;
        let file = write_archive(file, &snapshot, &config, |p| {
            last = p;
            progress(p);
        })?;
        file.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()?;
        std::fs::rename(&partial, &out)?;
        Ok(last)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(Error::Io)
}

/// Streams the archive as it is written, for an HTTP body. A reader that goes away stops it.
pub fn stream(snapshot: Snapshot, config: Config) -> mpsc::Receiver<io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter {
            tx: tx.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        let result = write_archive(out, &snapshot, &config, |_| {}).and_then(|mut out| out.flush());
        if let Err(e) = result {
            tracing::warn!(error = %e, "a backup download stopped");
            let _ = tx.blocking_send(Err(e));
        }
    });
    rx
}

/// `Write` into a channel of chunks.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download was cancelled"))
    }
}

/// `confab-server restore FILE --data-dir DIR`: unpacks an archive into `data_dir`, which must
/// be empty or missing, and checks that the database opens. Returns the files restored.
pub async fn restore(archive: &Path, data_dir: &Path) -> Result<u64> {
    if std::fs::read_dir(data_dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Error::bad_request(
            "data_dir_not_empty",
            format!(
                "{} is not empty: restore only into an empty or new directory",
                data_dir.display()
            ),
        ));
    }
    create_private_dir(data_dir)?;
    let (archive, target) = (archive.to_owned(), data_dir.to_owned());
    let result = async {
        let files = tokio::task::spawn_blocking(move || unpack(&archive, &target))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        // Opening runs the migrations an older backup needs, and proves the database is whole.
        let store = Store::open(&data_dir.join(DATABASE)).await?;
        store.close().await;
        Ok(files)
    }
    .await;
    if result.is_err() {
        // The directory was empty or missing: leave it as it was, not half restored.
        let _ = std::fs::remove_dir_all(data_dir);
    }
    result
}

fn unpack(archive: &Path, target: &Path) -> Result<u64> {
    let not_a_backup = || Error::bad_request("invalid_backup", "this file is not a Confab backup");
    let mut archive = tar::Archive::new(io::BufReader::new(File::open(archive)?));
    let mut files = 0;
    // Unreadable archive structure means "not a backup"; failing to write is an I/O error.
    let mut entries = archive.entries().map_err(|_| not_a_backup())?;
    let first = entries
        .next()
        .ok_or_else(not_a_backup)?
        .map_err(|_| not_a_backup())?;
    if first.path().map_err(|_| not_a_backup())?.as_ref() != Path::new(MARKER) {
        return Err(not_a_backup());
    }
    for entry in entries {
        let mut entry = entry.map_err(|_| not_a_backup())?;
        let path = entry.path().map_err(|_| not_a_backup())?.into_owned();
        let allowed = path == Path::new(DATABASE) || FOLDERS.iter().any(|folder| path.starts_with(folder));
        if !allowed || entry.header().entry_type() != tar::EntryType::Regular {
            return Err(not_a_backup());
        }
        // `unpack_in` refuses paths that would leave `target`.
        if !entry.unpack_in(target)? {
            return Err(not_a_backup());
        }
        files += 1;
    }
    if !target.join(DATABASE).is_file() {
        return Err(not_a_backup());
    }
    Ok(files)
}

/// Every file under `root` (none if it does not exist), sorted.
fn files_under(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}
