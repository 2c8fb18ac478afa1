//! SQLite's SQL for pins: pinning and unpinning a message (a new revision for it), a room's pins.

use async_trait::async_trait;

use super::SqliteStore;
use super::reactions::bump_rev;
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::store::pins::PinStore;
use crate::time::Millis;

#[async_trait]
impl PinStore for SqliteStore {
    async fn set_pinned(
        &self,
        id: MessageId,
        user: UserId,
        pinned: bool,
        now: Millis,
    ) -> Result<Option<bool>> {
        let mut tx = self.write.begin().await?;
        let current: Option<Option<Millis>> =
            sqlx::query_scalar(r#"select pinned_at from messages where id = ?1 and is_deleted = 0"#)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        if current.is_some() == pinned {
            return Ok(Some(false));
        }
        sqlx::query(r#"update messages set pinned_at = ?2, pinned_by = ?3 where id = ?1"#)
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
        Ok(sqlx::query_as(select_messages!(
            "where m.room_id = ?1 and m.pinned_at is not null and m.is_deleted = 0 order by m.pinned_at desc, m.id desc"
        ))
        .bind(room)
        .fetch_all(&self.read)
        .await?)
    }
}
