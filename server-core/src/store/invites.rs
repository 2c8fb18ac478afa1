//! The store's interface for invites: creating, listing, revoking, and using one up at
//! registration.

use crate::error::Result;
use crate::model::{Invite, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// A new invite.
#[derive(Debug)]
pub struct NewInvite<'a> {
    pub code: &'a str,
    pub created_by: UserId,
    pub expires_at: Option<Millis>,
    pub max_uses: Option<u32>,
}

/// The store for invites, as every backend implements it.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Stores a new invite and returns it.
    async fn create_invite(&self, new: &NewInvite<'_>, now: Millis) -> Result<Invite>;

    /// Every invite not revoked, newest first.
    async fn invites(&self) -> Result<Vec<Invite>>;

    /// Revokes the invite `code`; whether there was one to revoke.
    async fn revoke_invite(&self, code: &str, now: Millis) -> Result<bool>;

    /// Counts one use of `code` if it is still valid now; whether it was. One statement, so
    /// two registrations cannot both take an invite's last use.
    async fn use_invite(&self, code: &str, now: Millis) -> Result<bool>;

    /// Gives back a use of `code` whose registration then failed.
    async fn unuse_invite(&self, code: &str) -> Result<()>;
}
