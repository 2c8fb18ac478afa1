//! SQL for pins: pinning and unpinning a message (a new revision for it), a room's pins.

use super::Store;
use super::reactions::bump_rev;
use crate::error::Result;
use crate::model::{Message, MessageId, RoomId, UserId};
use crate::time::Millis;

impl Store {
    /// Pins (by `user`, at `now`) or unpins live message `id`; whether anything changed, or
    /// `None` if there is no such live message.
    pub async fn set_pinned(
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

    /// `room`'s live pinned messages, the most recently pinned first.
    pub async fn pins(&self, room: RoomId) -> Result<Vec<Message>> {
        Ok(sqlx::query_as(select_messages!(
            "where m.room_id = ?1 and m.pinned_at is not null and m.is_deleted = 0 order by m.pinned_at desc, m.id desc"
        ))
        .bind(room)
        .fetch_all(&self.read)
        .await?)
    }
}
