-- Replies, threads, reactions, pins and thread following.

-- An inline quote-reply names the message it answers. No foreign key: when the original is
-- gone (retention), the reply still says it answered something, shown as deleted.
alter table messages add column reply_to_id integer;
-- A thread reply names its thread's root; replies outliving their root (retention) become
-- plain messages of the room again.
alter table messages add column thread_id integer references messages (id) on delete set null;
-- A thread reply also shown in the room's timeline.
alter table messages add column also_to_room integer not null default 0;
-- Pinned messages: when and by whom.
alter table messages add column pinned_at integer;
alter table messages add column pinned_by integer references users (id) on delete set null;
create index messages_thread on messages (thread_id, id) where thread_id is not null;
-- Unread counts leave out replies kept to their thread (they count in the "Threads" view): the
-- same covering index as 0003's, for the timeline's messages only.
create index messages_unread_timeline on messages (room_id, id, user_id)
    where is_deleted = 0 and message_type != 'system' and (thread_id is null or also_to_room = 1);
create index messages_pinned on messages (room_id, pinned_at) where pinned_at is not null;

-- One row per person and emoji on a message; `id` orders emoji by first use.
create table message_reactions (
    id         integer primary key,
    message_id integer not null references messages (id) on delete cascade,
    user_id    integer not null references users (id) on delete cascade,
    emoji      text    not null,
    unique (message_id, emoji, user_id)
);
create index message_reactions_user on message_reactions (user_id);

-- Who follows which thread (by its root) and the newest reply they have read there. A row with
-- `is_following = 0` is someone who unfollowed: being the starter does not follow them again,
-- replying or being mentioned does.
create table thread_follows (
    user_id      integer not null references users (id) on delete cascade,
    root_id      integer not null references messages (id) on delete cascade,
    is_following integer not null default 1,
    last_read_id integer not null default 0,
    primary key (user_id, root_id)
) without rowid;
create index thread_follows_root on thread_follows (root_id);
