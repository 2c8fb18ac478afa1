//! Accounts on PostgreSQL: creating users, credentials, profiles and presence flags.

use sqlx::Row;

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{Me, SessionId, Status, User, UserId, UserStatus};
use crate::store::RoomRow;
use crate::store::UserStore;
use crate::store::users::{Credentials, NewUser, ProfileUpdate};
use crate::time::Millis;

/// The columns of a [`User`] read from `users u` (as SQLite's `user_columns!`): `status` as
/// others see it (`offline` without a connection), `chosen_status` as the person set it.
macro_rules! pg_user_columns {
    () => {
        concat!(
            "u.id, u.username, u.avatar_url, u.is_admin, u.is_online, u.last_seen, u.created_at, ",
            "case when u.is_online then u.status else 'offline' end as status, u.status_text, ",
            "u.status as chosen_status, u.deactivated_at is not null as is_deactivated"
        )
    };
}
pub(super) use pg_user_columns;

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, new: &NewUser<'_>, now: Millis) -> Result<(Me, Vec<RoomRow>)> {
        let mut tx = self.pool.begin().await?;
        let id: UserId = sqlx::query_scalar(
            r#"insert into users (username, username_key, username_skeleton, email, password_hash,
                                  is_admin, created_at)
               values ($1, $2, $3, $4, $5, $6, $7)
               returning id"#,
        )
        .bind(new.username)
        .bind(new.username_key)
        .bind(new.username_skeleton)
        .bind(new.email)
        .bind(new.password_hash)
        .bind(new.is_admin)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(super::conflict)?;
        let rooms: Vec<RoomRow> =
            sqlx::query_as(r#"select id, name from rooms where is_default order by id"#)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query(
            r#"insert into room_memberships (room_id, user_id, joined_at, last_read_message_id)
               select r.id, $1, $2, (select coalesce(max(m.id), 0) from messages m where m.room_id = r.id)
               from rooms r where r.is_default"#,
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((new.created(id, now), rooms))
    }

    async fn credentials_by_key(&self, username_key: &str) -> Result<Option<Credentials>> {
        Ok(sqlx::query_as(
            r#"select id, password_hash, must_change_password, deactivated_at is not null as is_deactivated
               from users where username_key = $1"#,
        )
        .bind(username_key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>> {
        Ok(sqlx::query_as(
            r#"select id, password_hash, must_change_password, deactivated_at is not null as is_deactivated
               from users where id = $1"#,
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn me(&self, id: UserId) -> Result<Option<Me>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            pg_user_columns!(),
            ", u.email from users u where u.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn user_by_key(&self, username_key: &str) -> Result<Option<User>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            pg_user_columns!(),
            " from users u where u.username_key = $1"
        ))
        .bind(username_key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn update_profile(&self, id: UserId, update: &ProfileUpdate) -> Result<Option<Me>> {
        // One statement: the answer is the row as this update left it, whatever another node
        // writes next.
        sqlx::query_as(concat!(
            "update users u set ",
            "email = case when $2 then $3 else u.email end, ",
            "avatar_url = case when $4 then $5 else u.avatar_url end ",
            "where u.id = $1 returning ",
            pg_user_columns!(),
            ", u.email"
        ))
        .bind(id)
        .bind(update.email.is_some())
        .bind(update.email.clone().flatten())
        .bind(update.avatar_url.is_some())
        .bind(update.avatar_url.clone().flatten())
        .fetch_optional(&self.pool)
        .await
        .map_err(super::conflict)
    }

    async fn set_avatar(&self, id: UserId, url: Option<&str>) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        // Locked, so two nodes changing the avatar at once each return the one they replaced
        // (the file sweep deletes it) and none is lost without being returned.
        let previous: Option<Option<String>> =
            sqlx::query_scalar(r#"select avatar_url from users where id = $1 for update"#)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(r#"update users set avatar_url = $2 where id = $1"#)
            .bind(id)
            .bind(url)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(previous.flatten())
    }

    async fn avatar_in_use(&self, url: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar(r#"select exists (select 1 from users where avatar_url = $1)"#)
                .bind(url)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()> {
        sqlx::query(r#"update users set password_hash = $2, must_change_password = false where id = $1"#)
            .bind(id)
            .bind(password_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            pg_user_columns!(),
            " from users u where u.id = any($1) order by u.username_key"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            pg_user_columns!(),
            " from users u where u.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn search_users(&self, prefix: &str, limit: u32) -> Result<Vec<User>> {
        // A range on the unique index instead of `like`, which would treat `_` and `%` in a
        // name as wildcards and scan every account. `username_key` compares in code-point
        // order (`collate "C"` in the schema), as SQLite's binary collation does, so the range
        // holds exactly the names starting with `prefix`.
        let end = format!("{prefix}\u{10FFFF}");
        Ok(sqlx::query_as(concat!(
            "select ",
            pg_user_columns!(),
            " from users u where u.username_key >= $1 and u.username_key < $2 ",
            "order by u.username_key limit $3"
        ))
        .bind(prefix)
        .bind(end)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_status(
        &self,
        id: UserId,
        status: Status,
        text: Option<&str>,
        online: bool,
    ) -> Result<Option<UserStatus>> {
        let status: Option<UserStatus> = sqlx::query_as(
            r#"update users set status = $2, status_text = $3 where id = $1
               returning id as user_id, username, $4 as is_online, last_seen,
                         case when $4 then status else 'offline' end as status, status_text"#,
        )
        .bind(id)
        .bind(status)
        .bind(text)
        .bind(online)
        .fetch_optional(&self.pool)
        .await?;
        Ok(status)
    }

    async fn user_exists(&self, username_key: &str) -> Result<bool> {
        let row = sqlx::query(r#"select exists (select 1 from users where username_key = $1)"#)
            .bind(username_key)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<bool, _>(0)?)
    }

    async fn users_without_skeleton(&self) -> Result<Vec<(UserId, String)>> {
        Ok(
            sqlx::query_as(r#"select id, username from users where username_skeleton is null order by id"#)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn set_name_keys(&self, id: UserId, username_key: &str, skeleton: &str) -> Result<()> {
        sqlx::query(r#"update users set username_key = $2, username_skeleton = $3 where id = $1"#)
            .bind(id)
            .bind(username_key)
            .bind(skeleton)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_user_sessions(&self, id: UserId) -> Result<Vec<SessionId>> {
        Ok(
            sqlx::query_scalar(r#"delete from sessions where user_id = $1 returning id"#)
                .bind(id)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
