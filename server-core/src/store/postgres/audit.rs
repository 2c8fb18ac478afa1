//! The audit log of administrative actions, on PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::AuditRecord;
use crate::store::AuditEntry;
use crate::store::AuditStore;
use crate::time::Millis;

#[async_trait]
impl AuditStore for PgStore {
    async fn audit(&self, entry: &AuditEntry<'_>, now: Millis) -> Result<()> {
        sqlx::query(crate::store::audit::INSERT_AUDIT)
            .bind(entry.actor_id)
            .bind(entry.actor_name)
            .bind(entry.action)
            .bind(entry.target)
            .bind(entry.address)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditRecord>> {
        Ok(sqlx::query_as(crate::store::audit::AUDIT_PAGE)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
    }
}
