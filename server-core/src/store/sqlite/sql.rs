//! SQL fragments shared by the storage modules, as macros so they join `concat!` at compile
//! time (statements stay literals: nothing is formatted at run time).

/// The columns of a [`User`](crate::model::User) read from `users u`: `status` as others
/// see it (`offline` without a connection), `chosen_status` as the person set it.
macro_rules! user_columns {
    () => {
        concat!(
            "u.id, u.username, u.avatar_url, u.is_admin, u.is_online, u.last_seen, u.created_at, ",
            "case when u.is_online then u.status else 'offline' end as status, u.status_text, ",
            "u.status as chosen_status, u.deactivated_at is not null as is_deactivated"
        )
    };
}

/// A `with` clause naming `next(rev)`: the revision the next edit or delete of message `?1`
/// takes in its room (revisions only grow; the single writer makes max + 1 safe).
macro_rules! next_rev {
    () => {
        concat!(
            "with next(rev) as (select coalesce(max(r.rev), 0) + 1 from messages r ",
            "where r.room_id = (select room_id from messages where id = ?1) and r.rev > 0) "
        )
    };
}

macro_rules! select_messages {
    ($($rest:literal)*) => {
        select_messages!(from "messages m" $($rest)*)
    };
    // Messages joined to the tables in `from` (which must name `messages m`).
    (from $from:literal $($rest:literal)*) => {
        concat!(
            "select m.id, m.room_id, m.user_id, u.username, m.content, m.message_type, m.timestamp, ",
            "m.edited_at, m.is_deleted, m.client_msg_id, m.meta, m.mentions_room, ",
            "(select json_group_array(mm.user_id) from message_mentions mm where mm.message_id = m.id) as mentions, ",
            "a.id as att_id, a.file_name as att_file_name, a.size as att_size, ",
            "a.content_type as att_content_type, a.is_image as att_is_image, ",
            "a.width as att_width, a.height as att_height, ",
            "m.reply_to_id, m.thread_id, m.also_to_room, m.pinned_at, ",
            "rm.id as rt_id, rm.user_id as rt_user_id, ru.username as rt_username, ",
            "rm.content as rt_content, rm.is_deleted as rt_deleted, rm.message_type as rt_type, ",
            // A root's live replies; `reply_count` 0 means no thread yet.
            "(select json_object('reply_count', count(*), 'last_reply_at', coalesce(max(t.timestamp), 0), ",
            "'participant_ids', json_group_array(distinct t.user_id)) ",
            "from messages t where t.thread_id = m.id and t.is_deleted = 0 and t.user_id is not null) as thread, ",
            // Each emoji as [emoji, count, user ids, first use]; sorted by first use when decoded.
            "(select json_group_array(json_array(r.emoji, r.n, json(r.users), r.first)) from ",
            "(select emoji, count(*) as n, json_group_array(user_id) as users, min(id) as first ",
            "from message_reactions where message_id = m.id group by emoji) r) as reactions ",
            "from ", $from, " left join users u on u.id = m.user_id ",
            "left join attachments a on a.message_id = m.id ",
            "left join messages rm on rm.id = m.reply_to_id left join users ru on ru.id = rm.user_id ",
            $($rest),*
        )
    };
}
