//! The store's interface for the audit log of administrative actions.

use crate::error::Result;
use crate::model::{AuditRecord, UserId};
use crate::time::Millis;
use async_trait::async_trait;

/// One audit log entry to write.
#[derive(Debug)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<UserId>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// The store for the audit log of administrative actions, as every backend implements it.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes one entry to the audit log.
    async fn audit(&self, entry: &AuditEntry<'_>, now: Millis) -> Result<()>;

    /// Entries older than `before` (an id; all when `None`), newest first.
    async fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditRecord>>;
}
