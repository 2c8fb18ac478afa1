//! Rate limits and quotas as configured: the `Rate` of a token bucket, how a `--*-rate` flag is
//! written, and the defaults for an office of a few hundred people.

use std::time::Duration;

/// A token bucket: up to `burst` actions at once, refilled at `burst` per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn new(burst: u32, period: Duration) -> Rate {
        Rate { burst, period }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}s", self.burst, self.period.as_secs())
    }
}

/// Parses a `--*-rate` value: `BURST/PERIOD` with the period in seconds, minutes or hours
/// (`30/30s`, `30/1m`, `20/1h`; a bare unit means one of it: `60/min`).
///
/// # Errors
/// A message saying what is wrong, for clap to show.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let bad = || format!("`{text}` is not BURST/PERIOD, e.g. 30/30s, 30/1m or 20/1h");
    let (burst, period) = text.trim().split_once('/').ok_or_else(bad)?;
    let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
    let period = period.trim();
    let split = period.find(|c: char| !c.is_ascii_digit()).unwrap_or(period.len());
    let (count, unit) = period.split_at(split);
    let count: u64 = if count.is_empty() {
        1
    } else {
        count.parse().map_err(|_| bad())?
    };
    let unit_secs = match unit {
        "s" | "sec" => 1,
        "m" | "min" => 60,
        "h" | "hour" => 3600,
        _ => return Err(bad()),
    };
    if burst == 0 || count == 0 {
        return Err(format!("`{text}`: the burst and the period must be at least 1"));
    }
    Ok(Rate::new(burst, Duration::from_secs(count * unit_secs)))
}

/// Rate limits and quotas for signed-in users and client addresses. The defaults suit an office
/// of a few hundred people: a person typing fast, pasting several lines or dropping ten photos
/// at once never reaches them (see `docs/security.md`).
#[derive(Clone, Debug)]
pub struct Limits {
    /// `false` (`--rate-limits off`, for load tests and test suites) switches off the token
    /// buckets, the registration limit, the rooms-per-day cap and the upload quota. The socket
    /// cap and the free-disk floor stay on.
    pub rate_limits: bool,
    /// Messages (and uploads) per user, over REST and WebSocket together.
    pub messages: Rate,
    /// Edits and deletes per user.
    pub edits: Rate,
    /// Reactions per user.
    pub reactions: Rate,
    /// `typing_start` / `typing_stop` frames per user.
    pub typing: Rate,
    /// Registrations per client address (IPv6: per /64).
    pub registrations: Rate,
    /// Rooms one user may create in any 24 hours.
    pub rooms_per_day: u32,
    /// Live sockets per user; a new one beyond it closes the oldest with 4429.
    pub sockets_per_user: usize,
    /// Bytes one user may upload in any 24 hours; 0 for no quota.
    pub upload_bytes_per_day: u64,
    /// Uploads are refused (507) while the uploads folder's disk has less free space than this
    /// plus the upload; 0 for no floor.
    pub min_free_disk_bytes: u64,
}

/// Default `--message-rate`: 30 at once, then one a second.
pub const DEFAULT_MESSAGE_RATE: Rate = Rate::new(30, Duration::from_secs(30));
/// Default `--edit-rate`: 30 at once, then one every two seconds.
pub const DEFAULT_EDIT_RATE: Rate = Rate::new(30, Duration::from_secs(60));
/// Default `--reaction-rate`: 60 at once, then one a second.
pub const DEFAULT_REACTION_RATE: Rate = Rate::new(60, Duration::from_secs(60));
/// Default `--typing-rate`: 30 at once, then one a second (clients send one every 3 s).
pub const DEFAULT_TYPING_RATE: Rate = Rate::new(30, Duration::from_secs(30));
/// Default `--registration-rate`: 20 accounts per address at once, then 20 an hour.
pub const DEFAULT_REGISTRATION_RATE: Rate = Rate::new(20, Duration::from_secs(3600));
/// Default `--rooms-per-day`.
pub const DEFAULT_ROOMS_PER_DAY: u32 = 20;
/// Default `--sockets-per-user`: a desktop app, a phone and a handful of browser tabs.
pub const DEFAULT_SOCKETS_PER_USER: usize = 10;
/// Default `--upload-quota-mb` per user per 24 hours.
pub const DEFAULT_UPLOAD_QUOTA_MB: u64 = 500;
/// Default `--min-free-disk-mb`.
pub const DEFAULT_MIN_FREE_DISK_MB: u64 = 512;

pub(super) const MB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_limits: true,
            messages: DEFAULT_MESSAGE_RATE,
            edits: DEFAULT_EDIT_RATE,
            reactions: DEFAULT_REACTION_RATE,
            typing: DEFAULT_TYPING_RATE,
            registrations: DEFAULT_REGISTRATION_RATE,
            rooms_per_day: DEFAULT_ROOMS_PER_DAY,
            sockets_per_user: DEFAULT_SOCKETS_PER_USER,
            upload_bytes_per_day: DEFAULT_UPLOAD_QUOTA_MB * MB,
            min_free_disk_bytes: DEFAULT_MIN_FREE_DISK_MB * MB,
        }
    }
}
