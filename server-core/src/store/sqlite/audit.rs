//! SQLite's SQL for the audit log of administrative actions.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::AuditRecord;
use crate::store::audit::{AuditEntry, AuditStore};
use crate::time::Millis;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit(&self, entry: &AuditEntry<'_>, now: Millis) -> Result<()> {
        sqlx::query(
            r#"insert into audit_log (actor_id, actor_name, action, target, address, created_at)
               values (?1, ?2, ?3, ?4, ?5, ?6)"#,
        )
        .bind(entry.actor_id)
        .bind(entry.actor_name)
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.address)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditRecord>> {
        Ok(sqlx::query_as(
            r#"select id, actor_id, actor_name, action, target, address, created_at
               from audit_log where id < ?1 order by id desc limit ?2"#,
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }
}
