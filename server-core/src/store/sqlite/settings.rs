//! SQLite's SQL for server settings chosen at run time (`server_meta` keys `settings.*`) and the
//! default rooms new accounts join.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::RoomId;
use crate::store::prelude::*;
use crate::store::settings::SettingsStore;

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn settings(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as(r#"select substr(key, 10), value from server_meta where key like 'settings.%'"#)
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        self.set_meta(&format!("settings.{name}"), value).await
    }

    async fn default_room_ids(&self) -> Result<Vec<RoomId>> {
        Ok(
            sqlx::query_scalar(r#"select id from rooms where is_default = 1 order by id"#)
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn set_default_rooms(&self, ids: &[RoomId]) -> Result<bool> {
        let ids = serde_json::to_string(ids).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        let (wanted, public): (i64, i64) = sqlx::query_as(
            r#"select (select count(distinct value) from json_each(?1)),
                      (select count(*) from rooms
                       where id in (select value from json_each(?1))
                         and is_private = 0 and kind = 'channel')"#,
        )
        .bind(&ids)
        .fetch_one(&mut *tx)
        .await?;
        if wanted != public {
            return Ok(false);
        }
        sqlx::query(
            r#"update rooms set is_default = (id in (select value from json_each(?1)))
               where is_default != (id in (select value from json_each(?1)))"#,
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
