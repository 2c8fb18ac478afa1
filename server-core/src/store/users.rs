//! SQL for accounts: creating users, credentials, profiles and presence flags.

use sqlx::{FromRow, Row};

use super::RoomRow;
use super::Store;
use crate::error::Result;
use crate::model::{Me, SessionId, Status, User, UserId, UserStatus};
use crate::time::Millis;

/// A new account, already validated and hashed.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub username_skeleton: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_admin: bool,
}

/// What login needs to check a password.
#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
}

/// A profile edit: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub email: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
}

impl Store {
    /// Creates the account and makes it a member of the default rooms, in one transaction.
    /// Returns the account and the rooms it joined. A taken name is
    /// [`Conflict::Username`](super::Conflict), a look-alike of one
    /// [`Conflict::UsernameLookAlike`](super::Conflict).
    pub async fn create_user(&self, new: &NewUser<'_>, now: Millis) -> Result<(Me, Vec<RoomRow>)> {
        let mut tx = self.write.begin().await?;
        let id: UserId = sqlx::query_scalar(
            r#"insert into users (username, username_key, username_skeleton, email, password_hash,
                                  is_admin, created_at)
               values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
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
            sqlx::query_as(r#"select id, name from rooms where is_default = 1 order by id"#)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query(
            r#"insert into room_memberships (room_id, user_id, joined_at, last_read_message_id)
               select r.id, ?1, ?2, (select coalesce(max(m.id), 0) from messages m where m.room_id = r.id)
               from rooms r where r.is_default = 1"#,
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let me = Me {
            user: User {
                id,
                username: new.username.to_owned(),
                avatar_url: None,
                is_server_admin: new.is_admin,
                is_online: false,
                last_seen: None,
                created_at: now,
                status: Status::Offline,
                status_text: None,
                chosen_status: Status::Online,
            },
            email: new.email.map(str::to_owned),
        };
        Ok((me, rooms))
    }

    /// Login data for the account whose normalized name is `username_key`.
    pub async fn credentials_by_key(&self, username_key: &str) -> Result<Option<Credentials>> {
        Ok(
            sqlx::query_as(r#"select id, password_hash from users where username_key = ?1"#)
                .bind(username_key)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Login data for account `id`.
    pub async fn credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>> {
        Ok(
            sqlx::query_as(r#"select id, password_hash from users where id = ?1"#)
                .bind(id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// The account `id` as its owner sees it.
    pub async fn me(&self, id: UserId) -> Result<Option<Me>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            user_columns!(),
            ", u.email from users u where u.id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The public view of the account with normalized name `username_key`.
    pub async fn user_by_key(&self, username_key: &str) -> Result<Option<User>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            user_columns!(),
            " from users u where u.username_key = ?1"
        ))
        .bind(username_key)
        .fetch_optional(&self.read)
        .await?)
    }

    /// Applies a profile edit and returns the result.
    pub async fn update_profile(&self, id: UserId, update: &ProfileUpdate) -> Result<Option<Me>> {
        let result = sqlx::query(
            r#"update users set
                   email = case when ?2 then ?3 else email end,
                   avatar_url = case when ?4 then ?5 else avatar_url end
               where id = ?1"#,
        )
        .bind(id)
        .bind(update.email.is_some())
        .bind(update.email.clone().flatten())
        .bind(update.avatar_url.is_some())
        .bind(update.avatar_url.clone().flatten())
        .execute(&self.write)
        .await
        .map_err(super::conflict)?;
        if result.rows_affected() == 0 {
            return Ok(None);
        }
        // Read back on the writer so the answer cannot predate the update.
        Ok(sqlx::query_as(concat!(
            "select ",
            user_columns!(),
            ", u.email from users u where u.id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.write)
        .await?)
    }

    /// Sets (or with `None` clears) the avatar URL of account `id`; returns the one it replaced.
    pub async fn set_avatar(&self, id: UserId, url: Option<&str>) -> Result<Option<String>> {
        let mut tx = self.write.begin().await?;
        let previous: Option<Option<String>> =
            sqlx::query_scalar(r#"select avatar_url from users where id = ?1"#)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(r#"update users set avatar_url = ?2 where id = ?1"#)
            .bind(id)
            .bind(url)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(previous.flatten())
    }

    /// Whether some account's avatar is `url`.
    pub async fn avatar_in_use(&self, url: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar(r#"select exists (select 1 from users where avatar_url = ?1)"#)
                .bind(url)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Replaces the password hash of account `id`.
    pub async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()> {
        sqlx::query(r#"update users set password_hash = ?2 where id = ?1"#)
            .bind(id)
            .bind(password_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The accounts with these ids, by name.
    pub async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        Ok(sqlx::query_as(concat!(
            "select ",
            user_columns!(),
            " from users u where u.id in (select value from json_each(?1)) order by u.username_key"
        ))
        .bind(ids)
        .fetch_all(&self.read)
        .await?)
    }

    /// The public view of account `id`.
    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(sqlx::query_as(concat!(
            "select ",
            user_columns!(),
            " from users u where u.id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// Accounts whose normalized name starts with `prefix` (itself normalized), by name; at
    /// most `limit`.
    pub async fn search_users(&self, prefix: &str, limit: u32) -> Result<Vec<User>> {
        // A range on the unique index instead of `like`, which would treat `_` and `%` in a
        // name as wildcards and scan every account.
        let end = format!("{prefix}\u{10FFFF}");
        Ok(sqlx::query_as(concat!(
            "select ",
            user_columns!(),
            " from users u where u.username_key >= ?1 and u.username_key < ?2 ",
            "order by u.username_key limit ?3"
        ))
        .bind(prefix)
        .bind(end)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Sets the status account `id` chose and its text; returns it as others see it now,
    /// with `online` as given (the hub knows better than the stored flag).
    pub async fn set_status(
        &self,
        id: UserId,
        status: Status,
        text: Option<&str>,
        online: bool,
    ) -> Result<Option<UserStatus>> {
        let status: Option<UserStatus> = sqlx::query_as(
            r#"update users set status = ?2, status_text = ?3 where id = ?1
               returning id as user_id, username, ?4 as is_online, last_seen,
                         case when ?4 then status else 'offline' end as status, status_text"#,
        )
        .bind(id)
        .bind(status)
        .bind(text)
        .bind(online)
        .fetch_optional(&self.write)
        .await?;
        Ok(status)
    }

    /// Records presence changes in one transaction; going offline stamps `last_seen`.
    /// Returns each user's new status.
    pub async fn set_presence(&self, changes: &[(UserId, bool)], now: Millis) -> Result<Vec<UserStatus>> {
        let mut tx = self.write.begin().await?;
        let mut statuses = Vec::with_capacity(changes.len());
        for &(id, online) in changes {
            let status: Option<UserStatus> = sqlx::query_as(
                r#"update users set
                       is_online = ?2,
                       last_seen = case when ?2 then last_seen else ?3 end
                   where id = ?1
                   returning id as user_id, username, is_online, last_seen,
                             case when is_online then status else 'offline' end as status, status_text"#,
            )
            .bind(id)
            .bind(online)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            statuses.extend(status);
        }
        tx.commit().await?;
        Ok(statuses)
    }

    /// Marks everyone offline: at start-up (nobody is connected yet) and at shutdown.
    pub async fn mark_all_offline(&self, now: Millis) -> Result<u64> {
        Ok(
            sqlx::query(r#"update users set is_online = 0, last_seen = ?1 where is_online = 1"#)
                .bind(now)
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    /// Whether an account with normalized name `username_key` exists.
    pub async fn user_exists(&self, username_key: &str) -> Result<bool> {
        let row = sqlx::query(r#"select exists (select 1 from users where username_key = ?1)"#)
            .bind(username_key)
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get::<bool, _>(0)?)
    }

    /// Accounts made before usernames had skeletons: id and name.
    pub async fn users_without_skeleton(&self) -> Result<Vec<(UserId, String)>> {
        Ok(
            sqlx::query_as(r#"select id, username from users where username_skeleton is null order by id"#)
                .fetch_all(&self.read)
                .await?,
        )
    }

    /// Gives an older account its (NFKC) key and skeleton. A unique violation (another account
    /// already has that key or look) surfaces as a database error; the account keeps its old key.
    pub async fn set_name_keys(&self, id: UserId, username_key: &str, skeleton: &str) -> Result<()> {
        sqlx::query(r#"update users set username_key = ?2, username_skeleton = ?3 where id = ?1"#)
            .bind(id)
            .bind(username_key)
            .bind(skeleton)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Ends every session of account `id` (an account that must not stay signed in); returns
    /// the sessions ended.
    pub async fn delete_user_sessions(&self, id: UserId) -> Result<Vec<SessionId>> {
        Ok(
            sqlx::query_scalar(r#"delete from sessions where user_id = ?1 returning id"#)
                .bind(id)
                .fetch_all(&self.write)
                .await?,
        )
    }
}
