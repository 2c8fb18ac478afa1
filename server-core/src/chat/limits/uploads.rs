//! The upload quota (bytes per user per rolling day, in hour slots; in the database on a
//! cluster) and the free-disk floor under the uploads folder.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{DAY, DAY_MS, Limiter, MB, Shared, UPLOAD_SLOT};
use crate::chat::throttle::digest;
use crate::error::{Error, Result};
use crate::model::UserId;

impl Limiter {
    /// Checks, before reading an upload of (at most) `incoming` bytes, that `user` has that
    /// much of their quota left and that the disk under `uploads_dir` keeps its floor.
    ///
    /// # Errors
    /// `413 upload_quota_exceeded`, `507 insufficient_storage`.
    pub async fn upload_allowed(&self, user: UserId, incoming: u64, uploads_dir: &Path) -> Result<()> {
        match &self.shared {
            Some(shared) => self.quota_shared(shared, user, incoming, false).await?,
            None => self.quota_check(user, incoming, Instant::now(), false)?,
        }
        self.disk_allows(uploads_dir, incoming)
    }

    /// Counts `size` uploaded bytes against `user`'s quota, unless that would exceed it.
    ///
    /// # Errors
    /// `413 upload_quota_exceeded`.
    pub async fn record_upload(&self, user: UserId, size: u64) -> Result<()> {
        match &self.shared {
            Some(shared) => self.quota_shared(shared, user, size, true).await,
            None => self.quota_check(user, size, Instant::now(), true),
        }
    }

    /// [`Limiter::quota_check`] in the database, with the same hour slots.
    async fn quota_shared(&self, shared: &Shared, user: UserId, size: u64, record: bool) -> Result<()> {
        let quota = self.limits.upload_bytes_per_day;
        if !self.limits.rate_limits || quota == 0 {
            return Ok(());
        }
        let slot_len = i64::try_from(UPLOAD_SLOT.as_millis()).unwrap_or(i64::MAX);
        let now = shared.now();
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let key = digest(b"uploads", &user.to_le_bytes());
        let charged = shared
            .store
            .charge_upload(
                &key,
                signed(size),
                signed(quota),
                record,
                now,
                (now - DAY_MS, slot_len),
            )
            .await?;
        charged.map_err(|slots| {
            let window = slots.into_iter().map(|(slot, bytes)| {
                let ages_out = u64::try_from(slot + DAY_MS - now).unwrap_or(0);
                (Duration::from_millis(ages_out), u64::try_from(bytes).unwrap_or(0))
            });
            quota_refusal(window.collect(), size, quota)
        })
    }

    pub(super) fn quota_check(&self, user: UserId, size: u64, now: Instant, record: bool) -> Result<()> {
        let quota = self.limits.upload_bytes_per_day;
        if !self.limits.rate_limits || quota == 0 {
            return Ok(());
        }
        let mut state = self.lock();
        let window = state.uploads.entry(user).or_default();
        while window
            .front()
            .is_some_and(|(slot, _)| now.saturating_duration_since(*slot) >= DAY)
        {
            window.pop_front();
        }
        let used: u64 = window.iter().map(|(_, bytes)| bytes).sum();
        if used.saturating_add(size) > quota {
            let ages_out = window
                .iter()
                .map(|(slot, bytes)| ((*slot + DAY).saturating_duration_since(now), *bytes));
            return Err(quota_refusal(ages_out.collect(), size, quota));
        }
        if record {
            match window.back_mut() {
                Some((slot, bytes)) if now.saturating_duration_since(*slot) < UPLOAD_SLOT => {
                    *bytes += size;
                }
                _ => window.push_back((now, size)),
            }
        }
        Ok(())
    }

    /// Whether the disk under `dir` has room for `incoming` bytes above the floor. When the
    /// free space cannot be read, uploads are allowed (and a warning logged).
    fn disk_allows(&self, dir: &Path, incoming: u64) -> Result<()> {
        let floor = self.limits.min_free_disk_bytes;
        if floor == 0 {
            return Ok(());
        }
        match free_disk_bytes(dir) {
            Ok(free) if free < floor.saturating_add(incoming) => {
                tracing::warn!(
                    free_mb = free / MB,
                    floor_mb = floor / MB,
                    "refusing an upload: the disk holding uploads is nearly full"
                );
                Err(Error::InsufficientStorage)
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "cannot read free disk space");
                Ok(())
            }
        }
    }
}

/// The refusal of `size` more bytes for a user whose window holds `window` (per slot, oldest
/// first: how long until it ages out, and its bytes). Waiting helps only if what ages out makes
/// room; for a file larger than the whole quota, the wait is a full day (the message says the
/// quota).
fn quota_refusal(window: Vec<(Duration, u64)>, size: u64, quota: u64) -> Error {
    let used: u64 = window.iter().map(|(_, bytes)| bytes).sum();
    let mut freed = 0;
    let mut wait = DAY;
    for (ages_out, bytes) in window {
        freed += bytes;
        if (used - freed).saturating_add(size) <= quota {
            wait = ages_out;
            break;
        }
    }
    Error::UploadQuota {
        quota_mb: quota.div_ceil(MB),
        retry_after: wait.as_secs().max(1),
    }
}

/// Free bytes for unprivileged users on the file system holding `dir`.
#[cfg(unix)]
pub(crate) fn free_disk_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `path` is a valid NUL-terminated string and `stats` a properly sized, writable
    // struct that statvfs only writes into.
    let stats = unsafe {
        let mut stats: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(path.as_ptr(), &mut stats) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        stats
    };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    let free = (stats.f_bavail as u64).saturating_mul(stats.f_frsize as u64);
    Ok(free)
}

#[cfg(not(unix))]
pub(crate) fn free_disk_bytes(_dir: &Path) -> std::io::Result<u64> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "free disk space is only read on Unix",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::limits::tests::limiter;

    fn retry_after(result: Result<()>) -> u64 {
        match result {
            Err(Error::UploadQuota { retry_after, .. }) => retry_after,
            other => panic!("expected the quota, got {other:?}"),
        }
    }

    #[test]
    fn the_upload_quota_rolls_over_a_day() {
        let limits = limiter(|l| l.upload_bytes_per_day = 100 * MB);
        let t0 = Instant::now();
        limits.quota_check(1, 60 * MB, t0, true).unwrap();
        let t1 = t0 + Duration::from_secs(5 * 3600);
        limits.quota_check(1, 30 * MB, t1, true).unwrap();
        // 90 MB used: 10 MB fit, 20 MB do not until the first 60 MB age out.
        assert!(limits.quota_check(1, 10 * MB, t1, false).is_ok());
        let wait = retry_after(limits.quota_check(1, 20 * MB, t1, true));
        assert_eq!(wait, 19 * 3600);
        // A refused upload is not counted.
        assert!(limits.quota_check(1, 10 * MB, t1, true).is_ok());
        // Someone else has their own quota.
        assert!(limits.quota_check(2, 100 * MB, t1, true).is_ok());
        // A day after the first upload, its bytes no longer count.
        let t2 = t0 + DAY;
        assert!(limits.quota_check(1, 60 * MB, t2, true).is_ok());
        // A file bigger than the whole quota waits a full day.
        assert_eq!(retry_after(limits.quota_check(3, 101 * MB, t2, false)), 24 * 3600);
    }

    #[tokio::test]
    async fn the_disk_floor_is_read_from_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_disk_bytes(dir.path()).unwrap();
        assert!(free > 0);
        let roomy = limiter(|l| l.min_free_disk_bytes = 1);
        assert!(roomy.upload_allowed(1, 1, dir.path()).await.is_ok());
        let full = limiter(|l| l.min_free_disk_bytes = free.saturating_mul(2));
        assert!(matches!(
            full.upload_allowed(1, 1, dir.path()).await,
            Err(Error::InsufficientStorage)
        ));
        let no_floor = limiter(|l| {
            l.min_free_disk_bytes = 0;
            l.upload_bytes_per_day = 0;
        });
        assert!(no_floor.upload_allowed(1, u64::MAX / 2, dir.path()).await.is_ok());
    }
}
