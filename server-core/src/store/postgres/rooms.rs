//! Rooms and memberships on PostgreSQL: listing rooms as one user sees them, joining, leaving,
//! member management and read markers.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{Member, MessageId, Room, RoomId, UserId};
use crate::store::UNREAD_CAP;
use crate::store::rooms::{self, RoomStore};
use crate::time::Millis;

/// The room list as user $1 sees it (server admin flag $2), optionally just room $3. Private
/// rooms (direct ones among them) appear only to their members. A direct room's mention count
/// is its unread count, filled in by `rooms::settle`. SQLite's `ROOMS_FOR` in PostgreSQL's words:
/// `is distinct from` for SQLite's null-safe `is not` (a deleted author's messages count).
const ROOMS_FOR: &str = r#"
select r.id, r.name, r.description, r.is_private, r.created_by, r.created_at,
       (select count(*) from room_memberships c where c.room_id = r.id) as member_count,
       m.user_id is not null as is_member,
       (coalesce(m.is_admin, false) or ($2 and not r.is_private)) as is_admin,
       coalesce(m.last_read_message_id, 0) as last_read_message_id,
       case when m.user_id is null then 0 else
           (select count(*) from (
               select 1 from messages x
               where x.room_id = r.id and x.id > m.last_read_message_id and not x.is_deleted
                 and x.message_type <> 'system' and (x.thread_id is null or x.also_to_room)
                 and x.user_id is distinct from $1
               limit $4) unread)
       end as unread_count,
       (select max(x.id) from messages x where x.room_id = r.id) as last_message_id,
       r.kind,
       case when m.user_id is null or r.kind = 'direct' then 0 else
           (select count(*) from (
               select mm.message_id from message_mentions mm
               where mm.user_id = $1 and mm.room_id = r.id and mm.message_id > m.last_read_message_id
               union
               select x.id from messages x
               where x.room_id = r.id and x.id > m.last_read_message_id and x.mentions_room
                 and not x.is_deleted and x.user_id is distinct from $1
               limit $4) mentions)
       end as mention_count,
       coalesce(m.is_hidden, false) as is_hidden,
       r.archived_at is not null as is_archived
from rooms r
left join room_memberships m on m.room_id = r.id and m.user_id = $1
where (not r.is_private or m.user_id is not null) and ($3::bigint is null or r.id = $3)
order by r.id
"#;

/// Unread messages mentioning user $1 in room $2 after message $3 (by name or `@room`, never
/// their own), at most $4.
const UNREAD_MENTIONS: &str = r#"
select count(*) from (
    select mm.message_id from message_mentions mm
    where mm.user_id = $1 and mm.room_id = $2 and mm.message_id > $3
    union
    select x.id from messages x
    where x.room_id = $2 and x.id > $3 and x.mentions_room and not x.is_deleted
      and x.user_id is distinct from $1
    limit $4) mentions
"#;

/// Locks room `room`'s row until the transaction ends, so that checks of its admins made next
/// hold until the change commits: two nodes cannot both let a different last admin go. `no
/// key update` does not block the foreign-key checks of messages being sent to the room.
pub(super) const LOCK_ROOM: &str = r#"select id from rooms where id = $1 for no key update"#;

#[async_trait]
impl RoomStore for PgStore {
    async fn ensure_room(&self, name: &str, name_key: &str, description: &str, now: Millis) -> Result<bool> {
        let result = sqlx::query(
            r#"insert into rooms (name, name_key, description, created_at, is_default)
               values ($1, $2, $3, $4, true)
               on conflict (name_key) where not is_private do nothing"#,
        )
        .bind(name)
        .bind(name_key)
        .bind(description)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn create_room(
        &self,
        name: &str,
        name_key: &str,
        description: &str,
        is_private: bool,
        creator: UserId,
        now: Millis,
    ) -> Result<RoomId> {
        let mut tx = self.pool.begin().await?;
        let id: RoomId = sqlx::query_scalar(
            r#"insert into rooms (name, name_key, description, is_private, created_by, created_at)
               values ($1, $2, $3, $4, $5, $6) returning id"#,
        )
        .bind(name)
        .bind(name_key)
        .bind(description)
        .bind(is_private)
        .bind(creator)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(super::conflict)?;
        sqlx::query(
            r#"insert into room_memberships (room_id, user_id, joined_at, is_admin) values ($1, $2, $3, true)"#,
        )
        .bind(id)
        .bind(creator)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn rooms_for(&self, user: UserId, server_admin: bool) -> Result<Vec<Room>> {
        let mut rooms = sqlx::query_as(ROOMS_FOR)
            .bind(user)
            .bind(server_admin)
            .bind(None::<RoomId>)
            .bind(UNREAD_CAP)
            .fetch_all(&self.pool)
            .await?;
        rooms::settle(&mut rooms, |direct| self.dm_users(user, direct)).await?;
        Ok(rooms)
    }

    async fn room_for(&self, user: UserId, server_admin: bool, room: RoomId) -> Result<Option<Room>> {
        let mut room: Option<Room> = sqlx::query_as(ROOMS_FOR)
            .bind(user)
            .bind(server_admin)
            .bind(room)
            .bind(UNREAD_CAP)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(room) = &mut room {
            rooms::settle(std::slice::from_mut(room), |direct| self.dm_users(user, direct)).await?;
        }
        Ok(room)
    }

    async fn rooms_created_since(&self, user: UserId, since: Millis, limit: u32) -> Result<Vec<Millis>> {
        Ok(sqlx::query_scalar(
            r#"select created_at from rooms where created_by = $1 and created_at > $2
               order by created_at desc limit $3"#,
        )
        .bind(user)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn add_member(&self, room: RoomId, user: UserId, now: Millis) -> Result<bool> {
        let result = sqlx::query(
            r#"insert into room_memberships (room_id, user_id, joined_at, last_read_message_id)
               values ($1, $2, $3, (select coalesce(max(id), 0) from messages where room_id = $1))
               on conflict (room_id, user_id) do nothing"#,
        )
        .bind(room)
        .bind(user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn remove_member(&self, room: RoomId, user: UserId) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // Two admins leaving at once on two nodes would each see the other still admin and
        // hand the rights to nobody: the room's lock makes the second see the first's leave.
        sqlx::query(LOCK_ROOM).bind(room).execute(&mut *tx).await?;
        let was_admin: Option<bool> = sqlx::query_scalar(
            r#"delete from room_memberships where room_id = $1 and user_id = $2 returning is_admin"#,
        )
        .bind(room)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
        if was_admin == Some(true) {
            sqlx::query(
                r#"update room_memberships set is_admin = true
                   where room_id = $1
                     and not exists (select 1 from room_memberships where room_id = $1 and is_admin)
                     and user_id = (select user_id from room_memberships where room_id = $1
                                    order by joined_at, user_id limit 1)"#,
            )
            .bind(room)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(was_admin.is_some())
    }

    async fn members(&self, room: RoomId) -> Result<Vec<Member>> {
        Ok(sqlx::query_as(
            r#"select u.id, u.username, u.avatar_url, u.is_online, u.last_seen, m.is_admin, m.joined_at,
                      case when u.is_online then u.status else 'offline' end as status, u.status_text,
                      u.status as chosen_status, u.deactivated_at is not null as is_deactivated
               from room_memberships m join users u on u.id = m.user_id
               where m.room_id = $1
               order by m.is_admin desc, u.username_key"#,
        )
        .bind(room)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn member(&self, room: RoomId, user: UserId) -> Result<Option<Member>> {
        Ok(sqlx::query_as(
            r#"select u.id, u.username, u.avatar_url, u.is_online, u.last_seen, m.is_admin, m.joined_at,
                      case when u.is_online then u.status else 'offline' end as status, u.status_text,
                      u.status as chosen_status, u.deactivated_at is not null as is_deactivated
               from room_memberships m join users u on u.id = m.user_id
               where m.room_id = $1 and m.user_id = $2"#,
        )
        .bind(room)
        .bind(user)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn member_room_ids(&self, user: UserId) -> Result<Vec<RoomId>> {
        Ok(
            sqlx::query_scalar(r#"select room_id from room_memberships where user_id = $1"#)
                .bind(user)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn mark_read(
        &self,
        room: RoomId,
        user: UserId,
        message: MessageId,
    ) -> Result<Option<(MessageId, i64, i64)>> {
        let mut conn = self.pool.acquire().await?;
        // greatest() in one statement: two devices marking at once on two nodes never move
        // the marker backwards.
        let marker: Option<MessageId> = sqlx::query_scalar(
            r#"update room_memberships
               set last_read_message_id = greatest(last_read_message_id,
                   least($3, (select coalesce(max(id), 0) from messages where room_id = $1)))
               where room_id = $1 and user_id = $2
               returning last_read_message_id"#,
        )
        .bind(room)
        .bind(user)
        .bind(message)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(marker) = marker else {
            return Ok(None);
        };
        let unread: i64 = sqlx::query_scalar(
            r#"select count(*) from (
                   select 1 from messages
                   where room_id = $1 and id > $3 and not is_deleted
                     and message_type <> 'system' and (thread_id is null or also_to_room)
                     and user_id is distinct from $2
                   limit $4) unread"#,
        )
        .bind(room)
        .bind(user)
        .bind(marker)
        .bind(UNREAD_CAP)
        .fetch_one(&mut *conn)
        .await?;
        let direct: bool = sqlx::query_scalar(r#"select kind = 'direct' from rooms where id = $1"#)
            .bind(room)
            .fetch_one(&mut *conn)
            .await?;
        let mentions = if direct {
            unread
        } else {
            sqlx::query_scalar(UNREAD_MENTIONS)
                .bind(user)
                .bind(room)
                .bind(marker)
                .bind(UNREAD_CAP)
                .fetch_one(&mut *conn)
                .await?
        };
        Ok(Some((marker, unread, mentions)))
    }
}
