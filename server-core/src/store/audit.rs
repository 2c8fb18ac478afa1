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

/// Statements whose text both backends run as it is (`$N` placeholders: sqlx's SQLite
/// driver numbers them as PostgreSQL does).
pub(super) const INSERT_AUDIT: &str = r#"insert into audit_log (actor_id, actor_name, action, target, address, created_at)
               values ($1, $2, $3, $4, $5, $6)"#;
pub(super) const AUDIT_PAGE: &str = r#"select id, actor_id, actor_name, action, target, address, created_at
               from audit_log where id < $1 order by id desc limit $2"#;

/// The store for the audit log of administrative actions, as every backend implements it.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes one entry to the audit log.
    async fn audit(&self, entry: &AuditEntry<'_>, now: Millis) -> Result<()>;

    /// Entries older than `before` (an id; all when `None`), newest first.
    async fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditRecord>>;
}
