//! SQLite's SQL for server administration: the first-administrator setup code, the administrator
//! role, password resets, the audit log and the revision counter that tells a running server about
//! changes made by the `confab-server admin` commands.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::{AdminUser, SessionId, UserId};
use crate::store::admin::{self, AccountRow, AdminStore, Demotion};
use crate::store::prelude::*;
use crate::time::Millis;

const SETUP_CODE: &str = "admin.setup_code";

const REVISION: &str = "admin.revision";

#[async_trait]
impl AdminStore for SqliteStore {
    async fn admin_count(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar(r#"select count(*) from users where is_admin = 1 and deactivated_at is null"#)
                .fetch_one(&self.read)
                .await?,
        )
    }

    async fn set_setup_code(&self, hash: Option<&str>) -> Result<()> {
        match hash {
            Some(hash) => self.set_meta(SETUP_CODE, hash).await,
            None => {
                sqlx::query(r#"delete from server_meta where key = ?1"#)
                    .bind(SETUP_CODE)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }
        }
    }

    async fn consume_setup_code(&self, hash: &str) -> Result<bool> {
        let done = sqlx::query(
            r#"delete from server_meta where key = ?1 and value = ?2
               and not exists (select 1 from users where is_admin = 1 and deactivated_at is null)"#,
        )
        .bind(SETUP_CODE)
        .bind(hash)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn promote(&self, id: UserId) -> Result<bool> {
        let done = sqlx::query(r#"update users set is_admin = 1 where id = ?1 and is_admin = 0"#)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn demote(&self, id: UserId) -> Result<Demotion> {
        let done = sqlx::query(
            r#"update users set is_admin = 0
               where id = ?1 and is_admin = 1
                 and (select count(*) from users
                      where is_admin = 1 and deactivated_at is null and id != ?1) > 0"#,
        )
        .bind(id)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Demotion::Done);
        }
        let is_admin: Option<bool> = sqlx::query_scalar(r#"select is_admin from users where id = ?1"#)
            .bind(id)
            .fetch_optional(&self.write)
            .await?;
        Ok(Demotion::refused(is_admin))
    }

    async fn reset_password(&self, id: UserId, hash: &str) -> Result<Vec<SessionId>> {
        let mut tx = self.write.begin().await?;
        sqlx::query(r#"update users set password_hash = ?2, must_change_password = 1 where id = ?1"#)
            .bind(id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        let revoked = sqlx::query_scalar(r#"delete from sessions where user_id = ?1 returning id"#)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn deactivate(&self, id: UserId, now: Millis) -> Result<(Demotion, Vec<SessionId>)> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            r#"update users set deactivated_at = ?2
               where id = ?1 and deactivated_at is null
                 and (is_admin = 0 or (select count(*) from users
                      where is_admin = 1 and deactivated_at is null and id != ?1) > 0)"#,
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let row: Option<(bool, Option<Millis>)> =
                sqlx::query_as(r#"select is_admin, deactivated_at from users where id = ?1"#)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Ok((Demotion::refused_deactivation(row), Vec::new()));
        }
        let revoked = sqlx::query_scalar(r#"delete from sessions where user_id = ?1 returning id"#)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((Demotion::Done, revoked))
    }

    async fn reactivate(&self, id: UserId) -> Result<bool> {
        let done = sqlx::query(
            r#"update users set deactivated_at = null where id = ?1 and deactivated_at is not null"#,
        )
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn admin_users(&self, q: &str, limit: u32) -> Result<Vec<AdminUser>> {
        Ok(sqlx::query_as(
            r#"select id, username, email, is_admin, deactivated_at is not null as is_deactivated,
                      is_online, last_seen, created_at
               from users where instr(username_key, ?1) > 0 order by id limit ?2"#,
        )
        .bind(q)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    async fn admin_user(&self, id: UserId) -> Result<Option<AdminUser>> {
        Ok(sqlx::query_as(
            r#"select id, username, email, is_admin, deactivated_at is not null as is_deactivated,
                      is_online, last_seen, created_at
               from users where id = ?1"#,
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn require_password_change(&self, id: UserId) -> Result<()> {
        sqlx::query(r#"update users set must_change_password = 1 where id = ?1"#)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn accounts(&self) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(
            r#"select id, username, is_admin, deactivated_at, created_at, last_seen
               from users order by id"#,
        )
        .fetch_all(&self.read)
        .await?)
    }

    async fn account_by_key(&self, username_key: &str) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(
            r#"select id, username, is_admin, deactivated_at, created_at, last_seen
               from users where username_key = ?1"#,
        )
        .bind(username_key)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn admin_revision(&self) -> Result<i64> {
        let value: Option<String> = sqlx::query_scalar(r#"select value from server_meta where key = ?1"#)
            .bind(REVISION)
            .fetch_optional(&self.read)
            .await?;
        Ok(admin::revision(value))
    }

    async fn bump_admin_revision(&self) -> Result<()> {
        sqlx::query(
            r#"insert into server_meta (key, value) values (?1, '1')
               on conflict (key) do update set value = cast(value as integer) + 1"#,
        )
        .bind(REVISION)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn live_sessions(&self, ids: &[SessionId]) -> Result<Vec<SessionId>> {
        let ids = serde_json::to_string(ids).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
        Ok(
            sqlx::query_scalar(r#"select id from sessions where id in (select value from json_each(?1))"#)
                .bind(ids)
                .fetch_all(&self.read)
                .await?,
        )
    }
}
