//! SQLite's SQL for invites: creating, listing, revoking, and using one up at registration.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::Invite;
use crate::store::invites::{InviteStore, NewInvite};
use crate::time::Millis;

/// The start of every query answering [`Invite`]s.
macro_rules! select_invites {
    () => {
        "select i.id, i.code, i.created_by, u.username as created_by_name, i.created_at, \
         i.expires_at, i.max_uses, i.uses, i.revoked_at is not null as is_revoked \
         from invites i left join users u on u.id = i.created_by "
    };
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn create_invite(&self, new: &NewInvite<'_>, now: Millis) -> Result<Invite> {
        let id: i64 = sqlx::query_scalar(
            r#"insert into invites (code, created_by, created_at, expires_at, max_uses)
               values (?1, ?2, ?3, ?4, ?5) returning id"#,
        )
        .bind(new.code)
        .bind(new.created_by)
        .bind(now)
        .bind(new.expires_at)
        .bind(new.max_uses)
        .fetch_one(&self.write)
        .await?;
        Ok(sqlx::query_as(concat!(select_invites!(), "where i.id = ?1"))
            .bind(id)
            .fetch_one(&self.write)
            .await?)
    }

    async fn invites(&self) -> Result<Vec<Invite>> {
        Ok(sqlx::query_as(concat!(
            select_invites!(),
            "where i.revoked_at is null order by i.id desc"
        ))
        .fetch_all(&self.read)
        .await?)
    }

    async fn revoke_invite(&self, code: &str, now: Millis) -> Result<bool> {
        let done =
            sqlx::query(r#"update invites set revoked_at = ?2 where code = ?1 and revoked_at is null"#)
                .bind(code)
                .bind(now)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_invite(&self, code: &str, now: Millis) -> Result<bool> {
        let done = sqlx::query(
            r#"update invites set uses = uses + 1
               where code = ?1 and revoked_at is null
                 and (expires_at is null or expires_at > ?2)
                 and (max_uses is null or uses < max_uses)"#,
        )
        .bind(code)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unuse_invite(&self, code: &str) -> Result<()> {
        sqlx::query(r#"update invites set uses = uses - 1 where code = ?1 and uses > 0"#)
            .bind(code)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
