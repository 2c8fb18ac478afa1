//! The benchmark's people and rooms, created through the API like any client would: users
//! `bu00000`, `bu00001`, … (all with one known password), an owner who creates the extra
//! rooms, and the office layout — everyone in 大厅 and two other rooms.
//!
//! Registering is slow on purpose (argon2, tens of milliseconds of CPU per account), so a data
//! set is built once against a throwaway server in a cache folder and copied for every run:
//! each run starts from the same database, and repeated runs skip the registrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::error::{Error, Result};

/// Every benchmark account's password; the login storm logs in with it.
pub const PASSWORD: &str = "bench-password-1";
/// Bump when the layout changes, so old caches are rebuilt.
const VERSION: u32 = 1;
/// Registered sessions last 7 days; a cache older than this is rebuilt rather than risk
/// tokens expiring during a run.
const MAX_AGE: Duration = Duration::from_secs(5 * 24 * 3600);
/// Registrations and membership changes in flight while building.
const CONCURRENCY: usize = 8;
const MANIFEST: &str = "dataset.json";

/// What a scenario needs of a data set.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    pub users: usize,
    /// How many users (from the first) must have the office layout; 0 if it does not matter.
    pub office_users: usize,
    /// Rooms of the office layout, 大厅 included.
    pub office_rooms: usize,
}

/// One benchmark account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchUser {
    pub id: i64,
    pub username: String,
    pub token: String,
}

/// A built data set: who exists, their tokens, and the rooms.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dataset {
    version: u32,
    created_unix: u64,
    pub users: Vec<BenchUser>,
    /// The user who created the extra rooms (not one of `users`).
    pub owner: BenchUser,
    /// 大厅, everyone's room.
    pub lobby: i64,
    /// The office's other rooms; user `i < office_users` is in two of them.
    pub others: Vec<i64>,
    pub office_users: usize,
    /// A public room nobody joined, for the history scenario.
    pub history_room: i64,
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Indexes into `others` of the two non-lobby rooms of office user `i`: spread evenly, never
/// the same room twice.
pub fn office_pair(i: usize, others: usize) -> (usize, usize) {
    if others < 2 {
        return (0, 0);
    }
    let a = i % others;
    let b = (a + 1 + (i / others) % (others - 1)) % others;
    (a, b)
}

impl Dataset {
    fn satisfies(&self, needs: &Needs) -> bool {
        self.version == VERSION
            && self.users.len() >= needs.users
            && self.office_users >= needs.office_users.min(needs.users)
            && (needs.office_users == 0 || self.others.len() + 1 == needs.office_rooms)
            && now_unix().saturating_sub(self.created_unix) < MAX_AGE.as_secs()
    }

    /// Creates the data set on the server behind `api`, with usernames `<prefix>00000`, ….
    pub async fn build(api: &Api, needs: &Needs, prefix: &str, progress: bool) -> Result<Dataset> {
        let started = std::time::Instant::now();
        let owner = register(api, &format!("{prefix}owner")).await?;
        let users: Vec<Result<BenchUser>> = futures_util::stream::iter(0..needs.users)
            .map(|i| {
                let username = format!("{prefix}{i:05}");
                async move {
                    let user = register(api, &username).await;
                    if progress && (i + 1) % 500 == 0 {
                        eprintln!(
                            "  registered {} users ({:.0} s)",
                            i + 1,
                            started.elapsed().as_secs_f64()
                        );
                    }
                    user
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let users = users.into_iter().collect::<Result<Vec<_>>>()?;

        // The default rooms every new account joined, then the office's extra rooms, created
        // after the registrations so nobody joined them by default.
        let rooms = api.rooms(&owner.token).await?;
        let mut default_rooms = rooms.iter().filter(|r| r.is_member).map(|r| r.id);
        let lobby = default_rooms
            .next()
            .ok_or_else(|| Error::protocol("a new account joined no room"))?;
        let mut others: Vec<i64> = default_rooms.collect();
        let office_rooms = needs.office_rooms.max(3);
        for n in others.len() + 2..=office_rooms {
            others.push(api.create_room(&owner.token, &format!("bench-{n:02}")).await?);
        }
        let history_room = api.create_room(&owner.token, "bench-history").await?;

        let office_users = needs.office_users.min(users.len());
        let defaults: Vec<i64> = others.iter().take(2).copied().collect();
        let moves: Vec<Result<()>> = futures_util::stream::iter(users.iter().take(office_users).enumerate())
            .map(|(i, user)| {
                let (a, b) = office_pair(i, others.len());
                let wanted = [others[a], others[b]];
                let defaults = &defaults;
                async move {
                    for room in wanted {
                        if !defaults.contains(&room) {
                            api.join(&user.token, room).await?;
                        }
                    }
                    for room in defaults {
                        if !wanted.contains(room) {
                            api.leave(&user.token, *room).await?;
                        }
                    }
                    Ok(())
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        moves.into_iter().collect::<Result<()>>()?;
        if progress {
            eprintln!(
                "  data set ready: {} users, {} rooms ({:.0} s)",
                users.len(),
                others.len() + 1,
                started.elapsed().as_secs_f64()
            );
        }
        Ok(Dataset {
            version: VERSION,
            created_unix: now_unix(),
            users,
            owner,
            lobby,
            others,
            office_users,
            history_room,
        })
    }

    /// A cached data set in `cache` that satisfies `needs`, if any: its folder and manifest.
    pub fn find_cached(cache: &Path, needs: &Needs) -> Option<(PathBuf, Dataset)> {
        let entries = std::fs::read_dir(cache).ok()?;
        entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter_map(|dir| {
                let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
                let dataset: Dataset = serde_json::from_str(&text).ok()?;
                let complete = dir.join("data").join("confab.db").exists();
                (complete && dataset.satisfies(needs)).then_some((dir, dataset))
            })
            .min_by_key(|(_, dataset)| dataset.users.len())
    }

    /// Writes the manifest beside a cached data directory.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::write(dir.join(MANIFEST), serde_json::to_vec(self)?)?;
        Ok(())
    }
}

async fn register(api: &Api, username: &str) -> Result<BenchUser> {
    let session = api.register(username, PASSWORD).await?;
    Ok(BenchUser {
        id: session.user.id,
        username: session.user.username,
        token: session.token,
    })
}

/// The cache folder name for a data set built for `needs`.
pub fn cache_name(needs: &Needs) -> String {
    format!(
        "users{}-office{}x{}",
        needs.users, needs.office_users, needs.office_rooms
    )
}

/// Copies a cached data directory's database into `to` (an empty data directory).
pub fn copy_database(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for name in ["confab.db", "confab.db-wal", "confab.db-shm"] {
        let source = from.join(name);
        if source.exists() {
            std::fs::copy(&source, to.join(name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_pairs_are_distinct_and_even() {
        let others = 19;
        let mut per_room = vec![0; others];
        for i in 0..1000 {
            let (a, b) = office_pair(i, others);
            assert_ne!(a, b, "user {i}");
            per_room[a] += 1;
            per_room[b] += 1;
        }
        let (min, max) = (per_room.iter().min().unwrap(), per_room.iter().max().unwrap());
        assert!(max - min <= 4, "{per_room:?}");
    }
}
