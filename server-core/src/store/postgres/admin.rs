//! Server administration on PostgreSQL: the first-administrator setup code, the administrator
//! role, password resets and the revision counter that tells running servers about changes
//! made by the `confab-server admin` commands.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{AdminUser, SessionId, UserId};
use crate::store::AdminStore;
use crate::store::AttachmentStore;
use crate::store::admin;
use crate::store::{AccountRow, Demotion};
use crate::time::Millis;

const SETUP_CODE: &str = "admin.setup_code";
const REVISION: &str = "admin.revision";

/// Locks the rows of the active administrators, in id order (two nodes never deadlock on
/// them), until the transaction ends. SQLite's single writer made "unless it is the last
/// administrator" safe within one statement; here two nodes demoting the last two
/// administrators at once would each still count the other, so both wait on these locks and
/// the second re-counts after the first commits.
const LOCK_ADMINS: &str =
    r#"select id from users where is_admin and deactivated_at is null order by id for update"#;

#[async_trait]
impl AdminStore for PgStore {
    async fn admin_count(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar(r#"select count(*) from users where is_admin and deactivated_at is null"#)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn set_setup_code(&self, hash: Option<&str>) -> Result<()> {
        match hash {
            Some(hash) => self.set_meta(SETUP_CODE, hash).await,
            None => {
                sqlx::query(r#"delete from server_meta where key = $1"#)
                    .bind(SETUP_CODE)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    }

    async fn consume_setup_code(&self, hash: &str) -> Result<bool> {
        // Across nodes too: the second delete waits for the first and then finds no row.
        let done = sqlx::query(
            r#"delete from server_meta where key = $1 and value = $2
               and not exists (select 1 from users where is_admin and deactivated_at is null)"#,
        )
        .bind(SETUP_CODE)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn promote(&self, id: UserId) -> Result<bool> {
        let done = sqlx::query(r#"update users set is_admin = true where id = $1 and not is_admin"#)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn demote(&self, id: UserId) -> Result<Demotion> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(LOCK_ADMINS).execute(&mut *tx).await?;
        let done = sqlx::query(
            r#"update users set is_admin = false
               where id = $1 and is_admin
                 and (select count(*) from users
                      where is_admin and deactivated_at is null and id <> $1) > 0"#,
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let outcome = if done.rows_affected() == 1 {
            Demotion::Done
        } else {
            let is_admin: Option<bool> = sqlx::query_scalar(r#"select is_admin from users where id = $1"#)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            Demotion::refused(is_admin)
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn reset_password(&self, id: UserId, hash: &str) -> Result<Vec<SessionId>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(r#"update users set password_hash = $2, must_change_password = true where id = $1"#)
            .bind(id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        let revoked = sqlx::query_scalar(r#"delete from sessions where user_id = $1 returning id"#)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn deactivate(&self, id: UserId, now: Millis) -> Result<(Demotion, Vec<SessionId>)> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(LOCK_ADMINS).execute(&mut *tx).await?;
        let done = sqlx::query(
            r#"update users set deactivated_at = $2
               where id = $1 and deactivated_at is null
                 and (not is_admin or (select count(*) from users
                      where is_admin and deactivated_at is null and id <> $1) > 0)"#,
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let row: Option<(bool, Option<Millis>)> =
                sqlx::query_as(r#"select is_admin, deactivated_at from users where id = $1"#)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Ok((Demotion::refused_deactivation(row), Vec::new()));
        }
        let revoked = sqlx::query_scalar(r#"delete from sessions where user_id = $1 returning id"#)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((Demotion::Done, revoked))
    }

    async fn reactivate(&self, id: UserId) -> Result<bool> {
        let done = sqlx::query(
            r#"update users set deactivated_at = null where id = $1 and deactivated_at is not null"#,
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn admin_users(&self, q: &str, limit: u32) -> Result<Vec<AdminUser>> {
        // strpos, like SQLite's instr: a plain substring, `%` and `_` mean themselves.
        Ok(sqlx::query_as(
            r#"select id, username, email, is_admin, deactivated_at is not null as is_deactivated,
                      is_online, last_seen, created_at
               from users where strpos(username_key, $1) > 0 order by id limit $2"#,
        )
        .bind(q)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn admin_user(&self, id: UserId) -> Result<Option<AdminUser>> {
        Ok(sqlx::query_as(
            r#"select id, username, email, is_admin, deactivated_at is not null as is_deactivated,
                      is_online, last_seen, created_at
               from users where id = $1"#,
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn require_password_change(&self, id: UserId) -> Result<()> {
        sqlx::query(r#"update users set must_change_password = true where id = $1"#)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn accounts(&self) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(
            r#"select id, username, is_admin, deactivated_at, created_at, last_seen
               from users order by id"#,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn account_by_key(&self, username_key: &str) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(
            r#"select id, username, is_admin, deactivated_at, created_at, last_seen
               from users where username_key = $1"#,
        )
        .bind(username_key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn admin_revision(&self) -> Result<i64> {
        let value: Option<String> = sqlx::query_scalar(r#"select value from server_meta where key = $1"#)
            .bind(REVISION)
            .fetch_optional(&self.pool)
            .await?;
        Ok(admin::revision(value))
    }

    async fn bump_admin_revision(&self) -> Result<()> {
        sqlx::query(
            r#"insert into server_meta (key, value) values ($1, '1')
               on conflict (key) do update set value = (server_meta.value::bigint + 1)::text"#,
        )
        .bind(REVISION)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn live_sessions(&self, ids: &[SessionId]) -> Result<Vec<SessionId>> {
        Ok(
            sqlx::query_scalar(r#"select id from sessions where id = any($1)"#)
                .bind(ids)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
