//! SQL for pins on PostgreSQL: pinning and unpinning a message (a new revision for it, under
//! its room's lock), a room's pins.

use async_trait::async_trait;

use super::PgStore;
use super::messages::{bump_rev, lock_room_of};
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::store::PinStore;
use crate::time::Millis;

#[async_trait]
impl PinStore for PgStore {
    async fn set_pinned(
        &self,
        id: MessageId,
        user: UserId,
        pinned: bool,
        now: Millis,
    ) -> Result<Option<bool>> {
        let mut tx = self.pool.begin().await?;
        lock_room_of(&mut tx, id).await?;
        let current: Option<Option<Millis>> =
            sqlx::query_scalar(r#"select pinned_at from messages where id = $1 and not is_deleted"#)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        if current.is_some() == pinned {
            return Ok(Some(false));
        }
        sqlx::query(r#"update messages set pinned_at = $2, pinned_by = $3 where id = $1"#)
            .bind(id)
            .bind(pinned.then_some(now))
            .bind(pinned.then_some(user))
            .execute(&mut *tx)
            .await?;
        bump_rev(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(true))
    }

    async fn pins(&self, room: RoomId) -> Result<Vec<Message>> {
        Ok(sqlx::query_as(pg_select_messages!(
            "where m.room_id = $1 and m.pinned_at is not null and not m.is_deleted order by m.pinned_at desc, m.id desc"
        ))
        .bind(room)
        .fetch_all(&self.pool)
        .await?)
    }
}
