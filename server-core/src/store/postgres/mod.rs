//! The PostgreSQL backend: one pool shared by reads and writes (PostgreSQL has no single-writer
//! rule), its own migrations in `migrations/postgres`, for several `confab-server` processes
//! sharing one database.

// Until the store's interface is a trait both backends implement, nothing calls this yet.
#![allow(dead_code)]

#[macro_use]
mod rows;

mod history;
mod mentions;
mod messages;
mod pins;
mod reactions;
mod search;
mod threads;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::Result;

/// Handle to a PostgreSQL database; cheap to clone.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`) and applies pending migrations.
    pub async fn open(url: &str) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?.application_name("confab-server");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Closes every connection. Call once, last.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
