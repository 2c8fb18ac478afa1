//! What outlives a message's sending, on PostgreSQL: attachment rows (for serving and sweeping
//! their files), the retention job's deletes and counts, and small server facts (`server_meta`).

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::store::AttachmentStore;
use crate::store::attachments::StoredAttachment;
use crate::time::Millis;

#[async_trait]
impl AttachmentStore for PgStore {
    async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>> {
        Ok(sqlx::query_as(
            r#"select room_id, file_name, content_type, is_image from attachments where id = $1"#,
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn attachment_exists(&self, id: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar(r#"select exists (select 1 from attachments where id = $1)"#)
                .bind(id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn delete_messages_before(&self, cutoff: Millis, limit: i64) -> Result<(u64, Vec<String>)> {
        // One statement: the attachments named are exactly those of the messages deleted,
        // whatever other nodes do meanwhile (the select sees the rows before the delete's
        // cascade removes them).
        let (deleted, files): (i64, Vec<String>) = sqlx::query_as(
            r#"with gone as (
                   delete from messages
                   where id in (select id from messages where timestamp < $1 order by id limit $2)
                   returning id
               )
               select (select count(*) from gone),
                      array(select a.id from attachments a join gone g on g.id = a.message_id)"#,
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_one(&self.pool)
        .await?;
        Ok((u64::try_from(deleted).unwrap_or(0), files))
    }

    async fn count_messages_before(&self, cutoff: Millis) -> Result<(i64, i64, i64)> {
        let messages: i64 = sqlx::query_scalar(r#"select count(*) from messages where timestamp < $1"#)
            .bind(cutoff)
            .fetch_one(&self.pool)
            .await?;
        // sum() of bigint is numeric in PostgreSQL; the byte count fits a bigint.
        let (files, bytes): (i64, i64) = sqlx::query_as(
            r#"select count(*), coalesce(sum(a.size), 0)::bigint from attachments a
               join messages m on m.id = a.message_id where m.timestamp < $1"#,
        )
        .bind(cutoff)
        .fetch_one(&self.pool)
        .await?;
        Ok((messages, files, bytes))
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(r#"select value from server_meta where key = $1"#)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            r#"insert into server_meta (key, value) values ($1, $2)
               on conflict (key) do update set value = excluded.value"#,
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
