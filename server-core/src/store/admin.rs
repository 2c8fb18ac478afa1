//! The store's interface for server administration: the first-administrator setup code, the
//! administrator role, password resets, the audit log and the revision counter that tells a running
//! server about changes made by the `confab-server admin` commands.

use crate::error::Result;
use crate::model::{AdminUser, SessionId, UserId};
use crate::time::Millis;
use async_trait::async_trait;
use sqlx::FromRow;

/// An account as the administration commands list it.
#[derive(Debug, FromRow)]
pub struct AccountRow {
    pub id: UserId,
    pub username: String,
    pub is_admin: bool,
    pub deactivated_at: Option<Millis>,
    pub created_at: Millis,
    pub last_seen: Option<Millis>,
}

/// What a demotion or deactivation did.
#[derive(Debug, PartialEq, Eq)]
pub enum Demotion {
    Done,
    /// Nothing to do: not an administrator (or, deactivating, already deactivated).
    NotAdmin,
    /// Refused: the last active administrator.
    LastAdmin,
}

impl Demotion {
    /// What a demotion that changed nothing means, given the account's `is_admin` (`None`: no
    /// such account).
    pub(crate) fn refused(is_admin: Option<bool>) -> Self {
        if is_admin == Some(true) {
            Demotion::LastAdmin
        } else {
            Demotion::NotAdmin
        }
    }

    /// What a deactivation that changed nothing means, given the account's `is_admin` and
    /// `deactivated_at` (`None`: no such account).
    pub(crate) fn refused_deactivation(row: Option<(bool, Option<Millis>)>) -> Self {
        match row {
            Some((true, None)) => Demotion::LastAdmin,
            _ => Demotion::NotAdmin,
        }
    }
}

/// The admin revision as `server_meta` keeps it (text); 0 before the first change.
pub(crate) fn revision(value: Option<String>) -> i64 {
    value.and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The store for server administration, as every backend implements it.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Active (not deactivated) server administrators.
    async fn admin_count(&self) -> Result<i64>;

    /// Replaces the setup code with one hashing to `hash` (hex), or removes it (`None`).
    async fn set_setup_code(&self, hash: Option<&str>) -> Result<()>;

    /// Uses up the setup code if it hashes to `hash` and no administrator exists yet; whether
    /// it did. One statement, so two people racing with the same code cannot both win.
    async fn consume_setup_code(&self, hash: &str) -> Result<bool>;

    /// Makes `id` a server administrator, or not; whether anything changed. Demoting never
    /// leaves the server without an active administrator (checked in the same statement).
    async fn promote(&self, id: UserId) -> Result<bool>;

    /// Takes the administrator role from `id`, unless it is the last active administrator.
    async fn demote(&self, id: UserId) -> Result<Demotion>;

    /// Sets a temporary password that must be changed at the next sign-in and revokes every
    /// session of `id`; returns the revoked sessions.
    async fn reset_password(&self, id: UserId, hash: &str) -> Result<Vec<SessionId>>;

    /// Deactivates `id` and revokes its sessions (returned), unless it is the last active
    /// administrator. Messages stay.
    async fn deactivate(&self, id: UserId, now: Millis) -> Result<(Demotion, Vec<SessionId>)>;

    /// Lets a deactivated account sign in again; whether it was deactivated.
    async fn reactivate(&self, id: UserId) -> Result<bool>;

    /// Accounts as administrators see them, oldest first; `q` filters by a part of the name.
    async fn admin_users(&self, q: &str, limit: u32) -> Result<Vec<AdminUser>>;

    /// One account as administrators see it.
    async fn admin_user(&self, id: UserId) -> Result<Option<AdminUser>>;

    /// Makes the account's owner choose a new password at the next sign-in.
    async fn require_password_change(&self, id: UserId) -> Result<()>;

    /// Every account, oldest first.
    async fn accounts(&self) -> Result<Vec<AccountRow>>;

    /// The account whose normalized name is `username_key`.
    async fn account_by_key(&self, username_key: &str) -> Result<Option<AccountRow>>;

    /// The number of the last change to accounts or sessions made outside the server.
    async fn admin_revision(&self) -> Result<i64>;

    /// Tells a running server that accounts or sessions changed behind its back.
    async fn bump_admin_revision(&self) -> Result<()>;

    /// Which of `ids` are still live sessions.
    async fn live_sessions(&self, ids: &[SessionId]) -> Result<Vec<SessionId>>;
}
