//! The administrators' statistics page: people, activity, messages per day for 30 days, and
//! what the data takes on disk.

use std::path::Path;

use serde::Serialize;

use super::require;
use crate::config::Database;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::Caller;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const DAYS: i64 = 30;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub people: i64,
    pub deactivated: i64,
    /// Signed in (or online) in the last 7 days.
    pub active_7_days: i64,
    pub rooms: i64,
    pub messages: i64,
    /// The last 30 UTC days, oldest first, each `{date: "YYYY-MM-DD", messages}` (zeros too).
    pub messages_per_day: Vec<Day>,
    pub database_bytes: u64,
    pub uploads_bytes: u64,
    /// Free space on the disk holding the data dir; `null` if it cannot be told.
    pub free_disk_bytes: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Day {
    pub date: String,
    pub messages: i64,
}

pub async fn get(ctx: &AppContext, caller: &Caller) -> Result<Stats> {
    require(caller)?;
    let now = ctx.clock.now();
    let counts = ctx.store.counts(now).await?;
    let today = now.div_euclid(DAY_MS);
    let first = today - (DAYS - 1);
    let per_day = ctx.store.messages_per_day(first * DAY_MS).await?;
    let messages_per_day = (first..=today)
        .map(|day| Day {
            date: crate::time::rfc3339(day * DAY_MS)[..10].to_owned(),
            messages: per_day.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n),
        })
        .collect();
    let config = ctx.config.clone();
    let (database_bytes, uploads_bytes, free_disk_bytes) = tokio::task::spawn_blocking(move || {
        // A PostgreSQL database's size is its server's to tell: `pg_database_size`.
        let database = match config.database() {
            Database::Sqlite(db) => {
                let wal = format!("{}-wal", db.display());
                [db, wal.into()]
                    .iter()
                    .filter_map(|p| std::fs::metadata(p).ok())
                    .map(|m| m.len())
                    .sum()
            }
            Database::Postgres(_) => 0,
        };
        let uploads = size_under(&config.uploads_dir()) + size_under(&config.avatars_dir());
        let free = crate::chat::limits::free_disk_bytes(&config.data_dir).ok();
        (database, uploads, free)
    })
    .await
    .map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    Ok(Stats {
        people: counts.people,
        deactivated: counts.deactivated,
        active_7_days: counts.active_7_days,
        rooms: counts.rooms,
        messages: counts.messages,
        messages_per_day,
        database_bytes,
        uploads_bytes,
        free_disk_bytes,
    })
}

/// Bytes of every file under `root`.
fn size_under(root: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(kind) if kind.is_file() => total += entry.metadata().map_or(0, |m| m.len()),
                _ => {}
            }
        }
    }
    total
}
