//! SQLite's SQL for reactions: adding and removing one person's emoji on a message. Each change
//! takes the message a new revision.

use async_trait::async_trait;

use super::SqliteStore;
use crate::error::Result;
use crate::model::{MessageId, UserId};
use crate::store::reactions::{ReactOutcome, ReactionStore};

/// Gives message `id` its room's next revision.
pub(super) async fn bump_rev(tx: &mut sqlx::SqliteConnection, id: MessageId) -> Result<()> {
    sqlx::query(concat!(
        next_rev!(),
        "update messages set rev = (select rev from next) where id = ?1"
    ))
    .bind(id)
    .execute(tx)
    .await?;
    Ok(())
}

#[async_trait]
impl ReactionStore for SqliteStore {
    async fn react(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &str,
        add: bool,
        max_distinct: i64,
    ) -> Result<ReactOutcome> {
        let mut tx = self.write.begin().await?;
        let live: bool =
            sqlx::query_scalar(r#"select exists (select 1 from messages where id = ?1 and is_deleted = 0)"#)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if !live {
            return Ok(ReactOutcome::Gone);
        }
        let changed = if add {
            let (distinct, known): (i64, bool) = sqlx::query_as(
                r#"select count(distinct emoji), coalesce(max(emoji = ?2), 0)
                   from message_reactions where message_id = ?1"#,
            )
            .bind(id)
            .bind(emoji)
            .fetch_one(&mut *tx)
            .await?;
            if !known && distinct >= max_distinct {
                return Ok(ReactOutcome::TooMany);
            }
            sqlx::query(
                r#"insert into message_reactions (message_id, user_id, emoji) values (?1, ?2, ?3)
                   on conflict do nothing"#,
            )
            .bind(id)
            .bind(user)
            .bind(emoji)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query(
                r#"delete from message_reactions where message_id = ?1 and user_id = ?2 and emoji = ?3"#,
            )
            .bind(id)
            .bind(user)
            .bind(emoji)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        };
        if changed == 0 {
            return Ok(ReactOutcome::Unchanged);
        }
        bump_rev(&mut tx, id).await?;
        tx.commit().await?;
        Ok(ReactOutcome::Changed)
    }
}
