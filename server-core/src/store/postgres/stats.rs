//! The administrators' statistics and a person's export of their own messages, on PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::UserId;
use crate::store::ExportedMessage;
use crate::store::StatsStore;
use crate::store::stats::Counts;
use crate::time::Millis;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[async_trait]
impl StatsStore for PgStore {
    async fn counts(&self, now: Millis) -> Result<Counts> {
        Ok(sqlx::query_as(
            r#"select (select count(*) from users) as people,
                      (select count(*) from users where deactivated_at is not null) as deactivated,
                      (select count(*) from users
                       where deactivated_at is null and (is_online or last_seen >= $1)) as active_7_days,
                      (select count(*) from rooms where kind = 'channel') as rooms,
                      (select count(*) from messages where message_type <> 'system' and not is_deleted) as messages"#,
        )
        .bind(now - 7 * DAY_MS)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn messages_per_day(&self, since: Millis) -> Result<Vec<(i64, i64)>> {
        // Integer division truncates toward zero in both databases; times are after 1970.
        Ok(sqlx::query_as(
            r#"select timestamp / $2 as day, count(*) from messages
               where timestamp >= $1 and message_type <> 'system'
               group by day order by day"#,
        )
        .bind(since)
        .bind(DAY_MS)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn export_messages(&self, user: UserId) -> Result<Vec<ExportedMessage>> {
        Ok(sqlx::query_as(
            r#"select m.id, m.room_id, case when r.kind = 'direct' then '' else r.name end as room_name,
                      m.content, m.message_type, m.timestamp, m.edited_at, m.thread_id,
                      a.file_name
               from messages m join rooms r on r.id = m.room_id
               left join attachments a on a.message_id = m.id
               where m.user_id = $1 and not m.is_deleted
               order by m.id"#,
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?)
    }
}
