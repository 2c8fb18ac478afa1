//! Invites on PostgreSQL: creating, listing, revoking, and using one up at registration.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{Invite, UserId};
use crate::store::InviteStore;
use crate::store::NewInvite;
use crate::time::Millis;

/// The start of every query answering [`Invite`]s.
macro_rules! select_invites {
    () => {
        "select i.id, i.code, i.created_by, u.username as created_by_name, i.created_at, \
         i.expires_at, i.max_uses, i.uses, i.revoked_at is not null as is_revoked \
         from invites i left join users u on u.id = i.created_by "
    };
}

/// An [`Invite`] as PostgreSQL holds it: counts are `bigint`, and PostgreSQL has no unsigned
/// type to decode `u32` from.
#[derive(sqlx::FromRow)]
struct InviteRow {
    id: i64,
    code: String,
    created_by: Option<UserId>,
    created_by_name: Option<String>,
    created_at: Millis,
    expires_at: Option<Millis>,
    max_uses: Option<i64>,
    uses: i64,
    is_revoked: bool,
}

impl From<InviteRow> for Invite {
    fn from(row: InviteRow) -> Invite {
        // Written from u32s (and `uses` never above `max_uses` nor below 0): they fit.
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Invite {
            id: row.id,
            code: row.code,
            created_by: row.created_by,
            created_by_name: row.created_by_name,
            created_at: row.created_at,
            expires_at: row.expires_at,
            max_uses: row.max_uses.map(count),
            uses: count(row.uses),
            is_revoked: row.is_revoked,
        }
    }
}

#[async_trait]
impl InviteStore for PgStore {
    async fn create_invite(&self, new: &NewInvite<'_>, now: Millis) -> Result<Invite> {
        let id: i64 = sqlx::query_scalar(
            r#"insert into invites (code, created_by, created_at, expires_at, max_uses)
               values ($1, $2, $3, $4, $5) returning id"#,
        )
        .bind(new.code)
        .bind(new.created_by)
        .bind(now)
        .bind(new.expires_at)
        .bind(new.max_uses.map(i64::from))
        .fetch_one(&self.pool)
        .await?;
        let row: InviteRow = sqlx::query_as(concat!(select_invites!(), "where i.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.into())
    }

    async fn invites(&self) -> Result<Vec<Invite>> {
        let rows: Vec<InviteRow> = sqlx::query_as(concat!(
            select_invites!(),
            "where i.revoked_at is null order by i.id desc"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Invite::from).collect())
    }

    async fn revoke_invite(&self, code: &str, now: Millis) -> Result<bool> {
        let done =
            sqlx::query(r#"update invites set revoked_at = $2 where code = $1 and revoked_at is null"#)
                .bind(code)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_invite(&self, code: &str, now: Millis) -> Result<bool> {
        // Across nodes too: the second registration waits for the first's row lock and checks
        // `uses` again on the row as the first left it.
        let done = sqlx::query(
            r#"update invites set uses = uses + 1
               where code = $1 and revoked_at is null
                 and (expires_at is null or expires_at > $2)
                 and (max_uses is null or uses < max_uses)"#,
        )
        .bind(code)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unuse_invite(&self, code: &str) -> Result<()> {
        sqlx::query(r#"update invites set uses = uses - 1 where code = $1 and uses > 0"#)
            .bind(code)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
