//! The storage layer: every SQL statement Confab runs lives under this module. The store is an
//! interface, a trait per resource (`RoomStore`, `MessageStore`, …) gathered in [`Backend`], with
//! one implementation per database engine: SQLite (`sqlite/`, the default) and PostgreSQL
//! (`postgres/`). Callers hold a [`Store`], an `Arc<dyn Backend>`.

mod admin;
mod attachments;
mod audit;
mod dms;
mod files;
mod history;
mod invites;
mod jobs;
pub mod limits;
mod mentions;
mod messages;
pub(crate) mod migrate;
mod pins;
pub mod postgres;
mod presence;
mod reactions;
mod room_admin;
mod room_settings;
mod rooms;
mod rows;
mod search;
mod sessions;
mod settings;
mod sqlite;
mod stats;
mod threads;
mod users;

use std::fmt;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

pub use admin::{AccountRow, AdminStore, Demotion};
pub use attachments::AttachmentStore;
pub use audit::{AuditEntry, AuditStore};
pub use dms::DmStore;
pub use files::FileStore;
pub use history::HistoryStore;
pub use invites::{InviteStore, NewInvite};
pub use jobs::{HeldLock, Job, JobGuard, JobStore};
pub use limits::LimitStore;
pub use mentions::MentionStore;
pub use messages::{AppendOutcome, HistoryPage, MessageStore, NewAttachment, NewMessage, Paging};
pub use pins::PinStore;
pub use presence::PresenceStore;
pub use reactions::{ReactOutcome, ReactionStore};
pub use room_admin::RoomAdminStore;
pub use room_settings::{AdminChange, RoomEdit, RoomSettingsStore};
pub use rooms::{RoomRow, RoomStore};
pub use search::{SearchFilter, SearchHit, SearchStore};
pub use sessions::SessionStore;
pub use settings::SettingsStore;
pub use sqlite::SqliteStore;
pub use stats::{ExportedMessage, StatsStore};
pub use threads::{FollowedThread, ThreadStore};
pub use users::{NewUser, ProfileUpdate, UserStore};

use crate::error::Result;

/// Every store trait, imported anonymously: `use crate::store::prelude::*;` lets code holding
/// a concrete backend (`SqliteStore`, `PgStore`) call `store.room(id)` without naming the trait
/// that method belongs to. A [`Store`] needs no import: its methods are those of `dyn Backend`,
/// whose supertraits' methods resolve like inherent ones.
// Each module that uses the prelude uses only some traits; the rest would warn.
#[allow(unused_imports)]
pub mod prelude {
    pub use super::Backend as _;
    pub use super::admin::AdminStore as _;
    pub use super::attachments::AttachmentStore as _;
    pub use super::audit::AuditStore as _;
    pub use super::dms::DmStore as _;
    pub use super::history::HistoryStore as _;
    pub use super::invites::InviteStore as _;
    pub use super::jobs::JobStore as _;
    pub use super::mentions::MentionStore as _;
    pub use super::messages::MessageStore as _;
    pub use super::pins::PinStore as _;
    pub use super::presence::PresenceStore as _;
    pub use super::reactions::ReactionStore as _;
    pub use super::room_admin::RoomAdminStore as _;
    pub use super::room_settings::RoomSettingsStore as _;
    pub use super::rooms::RoomStore as _;
    pub use super::search::SearchStore as _;
    pub use super::sessions::SessionStore as _;
    pub use super::settings::SettingsStore as _;
    pub use super::stats::StatsStore as _;
    pub use super::threads::ThreadStore as _;
    pub use super::users::UserStore as _;
}

/// A write that clashes with what is stored, said in domain terms so no caller needs to know
/// a constraint's name or a driver's error (see `From<Conflict> for Error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    RoomName,
    Username,
    /// The username's confusable skeleton (TR39) matches an existing account's.
    UsernameLookAlike,
}

/// One database engine behind the store: every resource's trait, plus the database's own
/// lifecycle.
#[async_trait]
pub trait Backend:
    AdminStore
    + AttachmentStore
    + AuditStore
    + DmStore
    + HistoryStore
    + InviteStore
    + JobStore
    + MentionStore
    + MessageStore
    + PinStore
    + PresenceStore
    + ReactionStore
    + RoomAdminStore
    + RoomSettingsStore
    + RoomStore
    + SearchStore
    + SessionStore
    + SettingsStore
    + StatsStore
    + ThreadStore
    + UserStore
{
    /// Writes a consistent copy of the whole database to `path` (which must not exist), from
    /// one read transaction: writers carry on meanwhile.
    async fn snapshot_into(&self, path: &Path) -> Result<()>;

    /// Copies committed pages from the write-ahead log into the database file, so the log does
    /// not grow without end. Passive: it neither waits for nor blocks readers or the writer.
    async fn checkpoint(&self) -> Result<()>;

    /// Checkpoints the WAL into the main file and closes every connection. Call once, last.
    async fn close(&self);

    /// The limits counted together by every node of this database, or `None` when this
    /// server is the only one (SQLite: its limits stay in memory).
    fn limit_store(self: Arc<Self>) -> Option<Arc<dyn LimitStore>> {
        None
    }
}

/// Handle to the database; cheap to clone. Its methods are the [`Backend`]'s (import
/// [`prelude`]).
#[derive(Clone)]
pub struct Store(Arc<dyn Backend>);

impl Store {
    /// Opens (creating if missing) the SQLite database at `path` and applies pending
    /// migrations.
    pub async fn open(path: &Path) -> Result<Store> {
        Ok(Store(Arc::new(SqliteStore::open(path).await?)))
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://…`) and applies pending
    /// migrations.
    pub async fn open_postgres(url: &str) -> Result<Store> {
        Ok(Store(Arc::new(postgres::PgStore::open(url).await?)))
    }

    /// The limits shared with the other nodes of this database, if any may exist.
    pub fn limit_store(&self) -> Option<Arc<dyn LimitStore>> {
        self.0.clone().limit_store()
    }

    /// A store over any backend.
    pub fn from_backend(backend: Arc<dyn Backend>) -> Store {
        Store(backend)
    }
}

impl Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Store")
    }
}

/// Upper bound of unread counts: enough for a badge, cheap to count.
pub const UNREAD_CAP: i64 = 1000;
