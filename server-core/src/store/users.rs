//! The store's interface for accounts: creating users, credentials, profiles and presence flags.

use super::rooms::RoomRow;
use crate::error::Result;
use crate::model::{Me, SessionId, Status, User, UserId, UserStatus};
use crate::time::Millis;
use async_trait::async_trait;
use sqlx::FromRow;

/// A new account, already validated and hashed.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub username_skeleton: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_admin: bool,
}

impl NewUser<'_> {
    /// The account as `create_user` made it, with id `id` at `now`: offline, no avatar, no
    /// status text.
    pub(crate) fn created(&self, id: UserId, now: Millis) -> Me {
        Me {
            user: User {
                id,
                username: self.username.to_owned(),
                avatar_url: None,
                is_server_admin: self.is_admin,
                is_online: false,
                last_seen: None,
                created_at: now,
                status: Status::Offline,
                status_text: None,
                chosen_status: Status::Online,
                is_deactivated: false,
            },
            email: self.email.map(str::to_owned),
        }
    }
}

/// What login needs to check a password.
#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    /// Set by an administrator's password reset until the owner chooses a new one.
    pub must_change_password: bool,
    pub is_deactivated: bool,
}

/// A profile edit: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub email: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
}

/// The store for accounts, as every backend implements it.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates the account and makes it a member of the default rooms, in one transaction.
    /// Returns the account and the rooms it joined. A taken name is
    /// [`Conflict::Username`](super::Conflict), a look-alike of one
    /// [`Conflict::UsernameLookAlike`](super::Conflict).
    async fn create_user(&self, new: &NewUser<'_>, now: Millis) -> Result<(Me, Vec<RoomRow>)>;

    /// Login data for the account whose normalized name is `username_key`.
    async fn credentials_by_key(&self, username_key: &str) -> Result<Option<Credentials>>;

    /// Login data for account `id`.
    async fn credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>>;

    /// The account `id` as its owner sees it.
    async fn me(&self, id: UserId) -> Result<Option<Me>>;

    /// The public view of the account with normalized name `username_key`.
    async fn user_by_key(&self, username_key: &str) -> Result<Option<User>>;

    /// Applies a profile edit and returns the result.
    async fn update_profile(&self, id: UserId, update: &ProfileUpdate) -> Result<Option<Me>>;

    /// Sets (or with `None` clears) the avatar URL of account `id`; returns the one it replaced.
    async fn set_avatar(&self, id: UserId, url: Option<&str>) -> Result<Option<String>>;

    /// Whether some account's avatar is `url`.
    async fn avatar_in_use(&self, url: &str) -> Result<bool>;

    /// Replaces the password hash of account `id`.
    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()>;

    /// The accounts with these ids, by name.
    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>>;

    /// The public view of account `id`.
    async fn user(&self, id: UserId) -> Result<Option<User>>;

    /// Accounts whose normalized name starts with `prefix` (itself normalized), by name; at
    /// most `limit`.
    async fn search_users(&self, prefix: &str, limit: u32) -> Result<Vec<User>>;

    /// Sets the status account `id` chose and its text; returns it as others see it now,
    /// with `online` as given (the hub knows better than the stored flag).
    async fn set_status(
        &self,
        id: UserId,
        status: Status,
        text: Option<&str>,
        online: bool,
    ) -> Result<Option<UserStatus>>;

    /// Whether an account with normalized name `username_key` exists.
    async fn user_exists(&self, username_key: &str) -> Result<bool>;

    /// Accounts made before usernames had skeletons: id and name.
    async fn users_without_skeleton(&self) -> Result<Vec<(UserId, String)>>;

    /// Gives an older account its (NFKC) key and skeleton. A unique violation (another account
    /// already has that key or look) surfaces as a database error; the account keeps its old key.
    async fn set_name_keys(&self, id: UserId, username_key: &str, skeleton: &str) -> Result<()>;

    /// Ends every session of account `id` (an account that must not stay signed in); returns
    /// the sessions ended.
    async fn delete_user_sessions(&self, id: UserId) -> Result<Vec<SessionId>>;
}
