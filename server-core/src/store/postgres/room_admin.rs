//! Rooms as server administrators manage them, on PostgreSQL: the list (never content),
//! archiving and deleting.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{AdminRoom, RoomId};
use crate::store::RoomAdminStore;
use crate::store::room_admin::DeletedRoom;
use crate::time::Millis;

#[async_trait]
impl RoomAdminStore for PgStore {
    async fn admin_rooms(&self) -> Result<Vec<AdminRoom>> {
        Ok(sqlx::query_as(
            r#"select r.id, case when r.kind = 'direct' then null else r.name end as name, r.kind,
                      r.is_private, r.is_default, r.archived_at is not null as is_archived,
                      (select count(*) from room_memberships c where c.room_id = r.id) as member_count,
                      r.created_by, u.username as created_by_name, r.created_at,
                      (select max(x.timestamp) from messages x where x.room_id = r.id) as last_activity
               from rooms r left join users u on u.id = r.created_by
               order by r.id"#,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_archived(&self, id: RoomId, at: Option<Millis>) -> Result<bool> {
        let done = sqlx::query(
            r#"update rooms set archived_at = $2
               where id = $1 and kind = 'channel' and (archived_at is null) = ($2::bigint is not null)"#,
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_room(&self, id: RoomId) -> Result<Option<DeletedRoom>> {
        let mut tx = self.pool.begin().await?;
        // Locked first: a member joining or a file sent on another node meanwhile waits, then
        // fails with the room gone, instead of being left out of what is returned.
        let Some((name, is_private)): Option<(String, bool)> =
            sqlx::query_as(r#"select name, is_private from rooms where id = $1 for update"#)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query_scalar(r#"select user_id from room_memberships where room_id = $1"#)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let files = sqlx::query_scalar(r#"select id from attachments where room_id = $1"#)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(r#"delete from rooms where id = $1"#)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(DeletedRoom {
            name,
            is_private,
            members,
            files,
        }))
    }
}
