//! What room admins change about their room, on PostgreSQL: name, description, privacy, and
//! who else administers it.

use async_trait::async_trait;

use super::PgStore;
use super::rooms::LOCK_ROOM;
use crate::error::Result;
use crate::model::{RoomId, UserId};
use crate::store::RoomSettingsStore;
use crate::store::{AdminChange, RoomEdit};

#[async_trait]
impl RoomSettingsStore for PgStore {
    async fn update_room(&self, id: RoomId, edit: &RoomEdit) -> Result<()> {
        let (name, key) = edit.name.clone().unzip();
        sqlx::query(
            r#"update rooms set name = coalesce($2, name), name_key = coalesce($3, name_key),
                                description = coalesce($4, description),
                                is_private = coalesce($5, is_private)
               where id = $1"#,
        )
        .bind(id)
        .bind(name)
        .bind(key)
        .bind(edit.description.as_deref())
        .bind(edit.is_private)
        .execute(&self.pool)
        .await
        .map_err(super::conflict)?;
        Ok(())
    }

    async fn set_room_admin(&self, room: RoomId, user: UserId, admin: bool) -> Result<AdminChange> {
        let mut tx = self.pool.begin().await?;
        // The room's lock: two nodes removing its last two admins at once would each count
        // the other; the second now counts after the first commits.
        sqlx::query(LOCK_ROOM).bind(room).execute(&mut *tx).await?;
        let current: Option<bool> = sqlx::query_scalar(
            r#"select is_admin from room_memberships where room_id = $1 and user_id = $2"#,
        )
        .bind(room)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(current) = current else {
            return Ok(AdminChange::NotMember);
        };
        if current == admin {
            return Ok(AdminChange::Unchanged);
        }
        if !admin {
            let admins: i64 = sqlx::query_scalar(
                r#"select count(*) from room_memberships where room_id = $1 and is_admin"#,
            )
            .bind(room)
            .fetch_one(&mut *tx)
            .await?;
            if admins <= 1 {
                return Ok(AdminChange::LastAdmin);
            }
        }
        sqlx::query(r#"update room_memberships set is_admin = $3 where room_id = $1 and user_id = $2"#)
            .bind(room)
            .bind(user)
            .bind(admin)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AdminChange::Done)
    }
}
