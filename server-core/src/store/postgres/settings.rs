//! Server settings chosen at run time (`server_meta` keys `settings.*`) and the default rooms
//! new accounts join, on PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::RoomId;
use crate::store::AttachmentStore;
use crate::store::SettingsStore;

#[async_trait]
impl SettingsStore for PgStore {
    async fn settings(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as(r#"select substr(key, 10), value from server_meta where key like 'settings.%'"#)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        self.set_meta(&format!("settings.{name}"), value).await
    }

    async fn default_room_ids(&self) -> Result<Vec<RoomId>> {
        Ok(
            sqlx::query_scalar(r#"select id from rooms where is_default order by id"#)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn set_default_rooms(&self, ids: &[RoomId]) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // The candidates are locked: a room made private on another node between the check
        // and the update cannot become a default room.
        let (wanted, public): (i64, i64) = sqlx::query_as(
            r#"select (select count(distinct w) from unnest($1::bigint[]) w),
                      (select count(*) from (select id from rooms
                                             where id = any($1) and not is_private and kind = 'channel'
                                             for update) c)"#,
        )
        .bind(ids)
        .fetch_one(&mut *tx)
        .await?;
        if wanted != public {
            return Ok(false);
        }
        sqlx::query(
            r#"update rooms set is_default = (id = any($1))
               where is_default <> (id = any($1))"#,
        )
        .bind(ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
