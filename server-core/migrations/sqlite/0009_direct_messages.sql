-- Direct messages, mentions and people's status (issue 13).

-- A room is a channel or a direct conversation. A direct room's `dm_key` is its participants'
-- ids, sorted and comma-separated, so one set of people has exactly one conversation whatever
-- order they were named in. Its name is empty and its `name_key` starts with a control
-- character, which no channel name may contain, so it never collides with a channel.
alter table rooms add column kind text not null default 'channel' check (kind in ('channel', 'direct'));
alter table rooms add column dm_key text;
create unique index rooms_dm_key on rooms (dm_key) where dm_key is not null;

-- A participant who closed a direct conversation; the next message in it opens it again.
alter table room_memberships add column is_hidden integer not null default 0;

-- Mentions: `@room` (or `@all`, `@所有人`) on the message, each mentioned member in a row of
-- their own. The author is never recorded as mentioning themselves.
alter table messages add column mentions_room integer not null default 0;
create index messages_room_mentions on messages (room_id, id) where mentions_room = 1 and is_deleted = 0;

create table message_mentions (
    user_id    integer not null references users (id) on delete cascade,
    room_id    integer not null references rooms (id) on delete cascade,
    message_id integer not null references messages (id) on delete cascade,
    primary key (user_id, room_id, message_id)
) without rowid;
-- "Recent mentions" across rooms, newest first; and a message's own mentions.
create index message_mentions_recent on message_mentions (user_id, message_id);
create index message_mentions_message on message_mentions (message_id);

-- The status a person chose (`online`, `away` or `dnd`; shown as `offline` while they have no
-- connection) and an optional line of text beside it.
alter table users add column status text not null default 'online' check (status in ('online', 'away', 'dnd'));
alter table users add column status_text text;
