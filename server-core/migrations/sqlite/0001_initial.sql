-- Confab's first schema: accounts, sessions, rooms, memberships and messages.
-- Times are unix milliseconds (UTC); the API renders them as RFC 3339.

create table users (
    id            integer primary key,
    username      text    not null,
    -- NFC + lowercase form of `username`; uniqueness ignores case in every script.
    username_key  text    not null unique,
    email         text,
    password_hash text    not null,
    avatar_url    text,
    is_admin      integer not null default 0,
    is_online     integer not null default 0,
    last_seen     integer,
    created_at    integer not null
);
create unique index users_email_key on users (lower(email)) where email is not null;

create table sessions (
    id         integer primary key,
    user_id    integer not null references users (id) on delete cascade,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash blob    not null unique,
    created_at integer not null,
    expires_at integer not null
);
create index sessions_user on sessions (user_id);
create index sessions_expiry on sessions (expires_at);

create table rooms (
    id          integer primary key,
    name        text    not null,
    name_key    text    not null unique,
    description text    not null default '',
    is_private  integer not null default 0,
    created_by  integer references users (id) on delete set null,
    created_at  integer not null
);

create table room_memberships (
    room_id              integer not null references rooms (id) on delete cascade,
    user_id              integer not null references users (id) on delete cascade,
    joined_at            integer not null,
    is_admin             integer not null default 0,
    -- Highest message id this member has read; drives unread counts on every device.
    last_read_message_id integer not null default 0,
    primary key (room_id, user_id)
) without rowid;
create index room_memberships_user on room_memberships (user_id, room_id);

-- AUTOINCREMENT so ids never go backwards, even after retention empties a room:
-- clients page and catch up by id.
create table messages (
    id            integer primary key autoincrement,
    room_id       integer not null references rooms (id) on delete cascade,
    user_id       integer references users (id) on delete set null,
    content       text    not null,
    message_type  text    not null check (message_type in ('text', 'emoji', 'image', 'file', 'system')),
    timestamp     integer not null,
    edited_at     integer,
    is_deleted    integer not null default 0,
    client_msg_id text,
    -- For system messages: what happened, as JSON, so clients can render it in their language.
    meta          text
);
create index messages_room_id on messages (room_id, id);
create unique index messages_client_msg on messages (user_id, client_msg_id) where client_msg_id is not null;
