//! SQL for what room admins change about their room: name, description, privacy, and who
//! else administers it.

use super::Store;
use crate::error::Result;
use crate::model::{RoomId, UserId};

/// A room edit, already validated: `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct RoomEdit {
    /// Display name and its key.
    pub name: Option<(String, String)>,
    pub description: Option<String>,
    pub is_private: Option<bool>,
}

/// What making someone a room admin, or not, did.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminChange {
    Done,
    Unchanged,
    NotMember,
    /// Refused: the room's last admin.
    LastAdmin,
}

impl Store {
    /// Applies `edit` to room `id`. A public name already taken is
    /// [`Conflict::RoomName`](super::Conflict).
    pub async fn update_room(&self, id: RoomId, edit: &RoomEdit) -> Result<()> {
        let (name, key) = edit.name.clone().unzip();
        sqlx::query(
            r#"update rooms set name = coalesce(?2, name), name_key = coalesce(?3, name_key),
                                description = coalesce(?4, description),
                                is_private = coalesce(?5, is_private)
               where id = ?1"#,
        )
        .bind(id)
        .bind(name)
        .bind(key)
        .bind(edit.description.as_deref())
        .bind(edit.is_private)
        .execute(&self.write)
        .await
        .map_err(super::conflict)?;
        Ok(())
    }

    /// Makes member `user` an admin of `room`, or not; never removes the room's last admin.
    pub async fn set_room_admin(&self, room: RoomId, user: UserId, admin: bool) -> Result<AdminChange> {
        let mut tx = self.write.begin().await?;
        let current: Option<bool> = sqlx::query_scalar(
            r#"select is_admin from room_memberships where room_id = ?1 and user_id = ?2"#,
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
                r#"select count(*) from room_memberships where room_id = ?1 and is_admin = 1"#,
            )
            .bind(room)
            .fetch_one(&mut *tx)
            .await?;
            if admins <= 1 {
                return Ok(AdminChange::LastAdmin);
            }
        }
        sqlx::query(r#"update room_memberships set is_admin = ?3 where room_id = ?1 and user_id = ?2"#)
            .bind(room)
            .bind(user)
            .bind(admin)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AdminChange::Done)
    }
}
