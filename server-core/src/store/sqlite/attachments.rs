//! SQLite's SQL for what outlives a message's sending: attachment rows (for serving and sweeping
//! their files), the retention job's deletes and counts, and small server facts (`server_meta`).

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::store::attachments::{AttachmentStore, StoredAttachment};
use crate::time::Millis;

#[async_trait]
impl AttachmentStore for SqliteStore {
    async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>> {
        Ok(sqlx::query_as(
            r#"select room_id, file_name, content_type, is_image from attachments where id = ?1"#,
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn attachment_exists(&self, id: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar(r#"select exists (select 1 from attachments where id = ?1)"#)
                .bind(id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    async fn delete_messages_before(&self, cutoff: Millis, limit: i64) -> Result<(u64, Vec<String>)> {
        let mut tx = self.write.begin().await?;
        let files: Vec<String> = sqlx::query_scalar(
            r#"select a.id from attachments a
               where a.message_id in (select id from messages where timestamp < ?1 order by id limit ?2)"#,
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let deleted = sqlx::query(
            r#"delete from messages where id in (select id from messages where timestamp < ?1 order by id limit ?2)"#,
        )
        .bind(cutoff)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((deleted, files))
    }

    async fn count_messages_before(&self, cutoff: Millis) -> Result<(i64, i64, i64)> {
        let messages: i64 = sqlx::query_scalar(r#"select count(*) from messages where timestamp < ?1"#)
            .bind(cutoff)
            .fetch_one(&self.read)
            .await?;
        let (files, bytes): (i64, i64) = sqlx::query_as(
            r#"select count(*), coalesce(sum(a.size), 0) from attachments a
               join messages m on m.id = a.message_id where m.timestamp < ?1"#,
        )
        .bind(cutoff)
        .fetch_one(&self.read)
        .await?;
        Ok((messages, files, bytes))
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(r#"select value from server_meta where key = ?1"#)
                .bind(key)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            r#"insert into server_meta (key, value) values (?1, ?2)
               on conflict (key) do update set value = excluded.value"#,
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
