//! Row types and how SQLite rows decode into domain types: what a second backend would
//! provide its own version of.

use crate::model::{Attachment, Message, RoomId};

/// A room's own row, without any viewer's perspective.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RoomRow {
    pub id: RoomId,
    pub name: String,
}

/// Messages are read joined to their attachment (see `select_messages!`), whose columns are
/// prefixed `att_`.
impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for Message {
    fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let attachment = match row.try_get::<Option<String>, _>("att_id")? {
            Some(id) => {
                let is_image: bool = row.try_get("att_is_image")?;
                let dimensions = match (row.try_get("att_width")?, row.try_get("att_height")?) {
                    (Some(w), Some(h)) if is_image => Some((w, h)),
                    _ => None,
                };
                Some(Attachment::new(
                    id,
                    row.try_get("att_file_name")?,
                    row.try_get("att_size")?,
                    row.try_get("att_content_type")?,
                    dimensions,
                ))
            }
            None => None,
        };
        Ok(Message {
            id: row.try_get("id")?,
            room_id: row.try_get("room_id")?,
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            content: row.try_get("content")?,
            message_type: row.try_get("message_type")?,
            timestamp: row.try_get("timestamp")?,
            edited_at: row.try_get("edited_at")?,
            is_deleted: row.try_get("is_deleted")?,
            client_msg_id: row.try_get("client_msg_id")?,
            system: row.try_get("meta")?,
            attachment,
            mentions: serde_json::from_str(row.try_get::<&str, _>("mentions")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            mentions_room: row.try_get("mentions_room")?,
        })
    }
}
