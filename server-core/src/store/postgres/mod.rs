//! The PostgreSQL backend: one pool shared by reads and writes (PostgreSQL has no single-writer
//! rule), its own migrations in `migrations/postgres`, for several `confab-server` processes
//! sharing one database.
//!
//! SQLite's single writer made every read-then-write safe; here several nodes write at once, so
//! the few statements that check an invariant before changing rows (the last administrator,
//! a room's last admin, one conversation per set of people) lock what they check, or lean on a
//! unique index, and say so where they do it.

#[macro_use]
mod rows;

mod admin;
mod attachments;
mod audit;
mod dms;
mod history;
mod invites;
mod jobs;
mod limits;
mod mentions;
mod messages;
mod pins;
mod presence;
mod reactions;
mod room_admin;
mod room_settings;
mod rooms;
mod search;
mod sessions;
mod settings;
mod stats;
mod threads;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use async_trait::async_trait;

use super::{Backend, Conflict, LimitStore};
use crate::error::{Error, Result};

/// Handle to a PostgreSQL database; cheap to clone.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`) and applies pending migrations.
    pub async fn open(url: &str) -> Result<PgStore> {
        PgStore::open_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with `options` (a test cluster's socket, say) and applies pending migrations.
    pub async fn open_with(options: PgConnectOptions) -> Result<PgStore> {
        let options = options.application_name("confab-server");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }
}

#[async_trait]
impl Backend for PgStore {
    // A backup archive holds a snapshot of an SQLite file; a PostgreSQL database is backed up
    // with PostgreSQL's own tools, which copy it consistently while every node keeps writing
    // and restore it into any cluster. Always an error the administrator can act on.
    async fn snapshot_into(&self, _path: &Path) -> Result<()> {
        Err(Error::NotSupported {
            code: "backup_not_supported",
            message: "this server stores its data in PostgreSQL: back up the database with \
                      pg_dump (and the uploads folder with your file backups) instead of a \
                      Confab backup archive"
                .into(),
        })
    }

    // Nothing to do: PostgreSQL checkpoints its write-ahead log itself (`checkpoint_timeout`,
    // `max_wal_size`), for every node at once; SQLite's passive checkpoint has no counterpart
    // a client should run.
    async fn checkpoint(&self) -> Result<()> {
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    /// Every node of the database counts the limits together (`limits.rs`).
    fn limit_store(self: Arc<Self>) -> Option<Arc<dyn LimitStore>> {
        Some(self)
    }
}

/// A unique violation as the [`Conflict`] it means, by the name of the constraint or index
/// PostgreSQL reports (migrations/postgres/0001_schema.sql); any other error as it is.
fn conflict(e: sqlx::Error) -> Error {
    // `username_key … unique` is a constraint named by PostgreSQL's default rule
    // (`<table>_<column>_key`); the other two are the indexes' own names, as in SQLite.
    // Emails are deliberately not unique (docs/security.md).
    const UNIQUE: [(&str, Conflict); 3] = [
        ("rooms_public_name", Conflict::RoomName),
        ("users_username_key_key", Conflict::Username),
        ("users_username_skeleton", Conflict::UsernameLookAlike),
    ];
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            if let Some((_, which)) = UNIQUE.iter().find(|(name, _)| db.constraint() == Some(name)) {
                return Error::from(*which);
            }
        }
    }
    Error::from(e)
}
