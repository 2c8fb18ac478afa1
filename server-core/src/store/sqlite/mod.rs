//! The SQLite backend: the database in WAL mode, with one connection for writes (SQLite allows
//! one writer; queueing in the pool is cheaper than lock retries) and a small pool of read-only
//! connections for everything else. One module per resource, each implementing that resource's
//! trait for [`SqliteStore`].

#[macro_use]
mod sql;

mod admin;
mod attachments;
mod audit;
mod dms;
mod history;
mod invites;
mod mentions;
mod messages;
mod pins;
mod presence;
mod reactions;
mod room_admin;
mod room_settings;
mod rooms;
mod rows;
mod search;
mod sessions;
mod settings;
mod stats;
mod threads;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Backend, Conflict};
use crate::error::{Error, Result};

/// A unique violation as the [`Conflict`] it means; any other error as it is.
fn conflict(e: sqlx::Error) -> Error {
    // SQLite names the column ("users.username_key") or, for an expression index, the index
    // ("index 'rooms_name_key'"). Emails are deliberately not unique (docs/security.md).
    const UNIQUE: [(&str, Conflict); 3] = [
        ("rooms.name_key", Conflict::RoomName),
        ("users.username_key", Conflict::Username),
        ("users.username_skeleton", Conflict::UsernameLookAlike),
    ];
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            if let Some((_, which)) = UNIQUE.iter().find(|(name, _)| db.message().contains(name)) {
                return Error::from(*which);
            }
        }
    }
    Error::from(e)
}

/// Handle to a SQLite database; cheap to clone.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    /// Runs checkpoints (see [`Backend::checkpoint`]); a connection of its own so the writer
    /// never waits for one.
    checkpointer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("temp_store", "memory")
            .optimize_on_close(true, None);
        // The writer never checkpoints itself: a checkpoint ends with an fsync, and every message
        // committed behind it would wait for the disk (it was the office day's p99). The server
        // checkpoints from its own connection instead (`Backend::checkpoint`).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(options);
        let store = SqliteStore {
            read,
            write,
            checkpointer,
        };
        store.backfill_search().await?;
        Ok(store)
    }
}

/// One server owns the file, so no other node can be running a job: always granted.
#[async_trait]
impl super::JobStore for SqliteStore {
    async fn try_run_exclusive(&self, _job: super::Job) -> Result<Option<super::JobGuard>> {
        Ok(Some(super::JobGuard::uncontended()))
    }
}

#[async_trait]
impl Backend for SqliteStore {
    async fn snapshot_into(&self, path: &Path) -> Result<()> {
        let path = path
            .to_str()
            .ok_or_else(|| Error::Internal("the data dir's path is not UTF-8".into()))?;
        sqlx::query("vacuum into ?1")
            .bind(path)
            .execute(&self.checkpointer)
            .await?;
        Ok(())
    }

    async fn checkpoint(&self) -> Result<()> {
        sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&self.checkpointer)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        self.read.close().await;
        self.checkpointer.close().await;
        if let Err(e) = sqlx::query("pragma wal_checkpoint(truncate)")
            .execute(&self.write)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
        }
        self.write.close().await;
    }
}

/// Writes at `path` a database left at migration `version` holding `rows`: what an older
/// Confab left behind, for the tests of the migrations after it.
#[cfg(test)]
pub(crate) async fn old_database(path: &Path, version: i64, rows: &'static str) {
    let options = SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::migrate!("./migrations/sqlite")
        .run_to(version, &pool)
        .await
        .unwrap();
    sqlx::raw_sql(rows).execute(&pool).await.unwrap();
    pool.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::prelude::*;

    /// Migration 0008 rebuilds `rooms`; with foreign keys on, a careless rebuild would cascade
    /// into every membership and message. A database written before it keeps them all, and its
    /// default rooms stay default.
    #[tokio::test]
    async fn rebuilding_rooms_keeps_members_and_messages() {
        let dir = tempfile::tempdir().unwrap();
        old_database(
            &dir.path().join("old.db"),
            7,
            r#"insert into users (id, username, username_key, password_hash, avatar_url, created_at)
                   values (1, 'alice', 'alice', 'x', 'https://tracker.example/a.png', 0);
               insert into rooms (id, name, name_key, is_private, created_at)
                   values (7, 'Plans', 'plans', 1, 0);
               insert into rooms (id, name, name_key, description, created_at, is_default)
                   values (8, char(0x202E) || 'gnp.exe', 'spoof', 'a' || char(0x2067) || 'b', 0, 1);
               insert into room_memberships (room_id, user_id, joined_at) values (7, 1, 0);
               insert into messages (room_id, user_id, content, message_type, timestamp)
                   values (7, 1, 'hello', 'text', 0);"#,
        )
        .await;

        let store = SqliteStore::open(&dir.path().join("old.db")).await.unwrap();
        let count = |sql: &'static str| {
            let read = store.read.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&read).await.unwrap() }
        };
        assert_eq!(
            count("select count(*) from room_memberships where room_id = 7").await,
            1
        );
        assert_eq!(count("select count(*) from messages where room_id = 7").await, 1);
        let public = store.create_room("plans", "plans", "", false, 1, 0).await;
        assert!(public.is_ok(), "a public room may share a private room's name");
        let again = store.create_room("Plans", "plans", "", false, 1, 0).await;
        assert!(again.is_err(), "public names stay unique");
        assert_eq!(count("pragma foreign_keys").await, 1, "foreign keys are back on");
        assert_eq!(
            count("select is_default from rooms where id = 8").await,
            1,
            "default rooms stay default"
        );
        let spoof: (String, String) = sqlx::query_as("select name, description from rooms where id = 8")
            .fetch_one(&store.read)
            .await
            .unwrap();
        assert_eq!(
            spoof,
            ("gnp.exe".to_owned(), "ab".to_owned()),
            "direction overrides are gone"
        );
        let me = store.me(1).await.unwrap().unwrap();
        assert_eq!(me.user.avatar_url, None, "links to other sites are dropped");
        store.close().await;
    }
}
