//! How PostgreSQL rows decode into messages, and the one statement shape that reads them:
//! PostgreSQL's version of SQLite's `select_messages!` (JSON built with `json_agg`).

use sqlx::postgres::PgRow;

use crate::model::Message;

/// Messages with their author, attachment, mentions, quoted message, thread summary and
/// reactions, as `select_messages!` reads them on SQLite and with the same column names.
/// Aggregates of no rows are null in PostgreSQL (SQLite's `json_group_array` gives `[]`),
/// hence the `coalesce`s; the JSON is read as text by the shared decoders.
macro_rules! pg_select_messages {
    ($($rest:literal)*) => {
        pg_select_messages!(from "messages m" $($rest)*)
    };
    (from $from:literal $($rest:literal)*) => {
        concat!(
            "select m.id, m.room_id, m.user_id, u.username, m.content, m.message_type, m.timestamp, ",
            "m.edited_at, m.is_deleted, m.client_msg_id, m.meta, m.mentions_room, ",
            "(select coalesce(json_agg(mm.user_id), '[]')::text from message_mentions mm ",
            "where mm.message_id = m.id) as mentions, ",
            "a.id as att_id, a.file_name as att_file_name, a.size as att_size, ",
            "a.content_type as att_content_type, a.is_image as att_is_image, ",
            "a.width as att_width, a.height as att_height, ",
            "m.reply_to_id, m.thread_id, m.also_to_room, m.pinned_at, ",
            "rm.id as rt_id, rm.user_id as rt_user_id, ru.username as rt_username, ",
            "rm.content as rt_content, rm.is_deleted as rt_deleted, rm.message_type as rt_type, ",
            "(select json_build_object('reply_count', count(*), ",
            "'last_reply_at', coalesce(max(t.timestamp), 0), ",
            "'participant_ids', coalesce(json_agg(distinct t.user_id), '[]'))::text ",
            "from messages t where t.thread_id = m.id and not t.is_deleted and t.user_id is not null) as thread, ",
            // Each emoji as [emoji, count, user ids, first use], as on SQLite.
            "(select coalesce(json_agg(json_build_array(r.emoji, r.n, r.users, r.first)), '[]')::text from ",
            "(select emoji, count(*) as n, json_agg(user_id order by user_id) as users, min(id) as first ",
            "from message_reactions where message_id = m.id group by emoji) r) as reactions ",
            "from ", $from, " left join users u on u.id = m.user_id ",
            "left join attachments a on a.message_id = m.id ",
            "left join messages rm on rm.id = m.reply_to_id left join users ru on ru.id = rm.user_id ",
            $($rest),*
        )
    };
}

impl<'r> sqlx::FromRow<'r, PgRow> for Message {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        crate::store::rows::message(row)
    }
}
