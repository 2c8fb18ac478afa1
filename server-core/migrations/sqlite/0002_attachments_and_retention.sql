-- Uploaded files (one per image or file message) and server bookkeeping.

create table attachments (
    -- 128 random bits as 32 hex characters; also the name of the file (and thumbnail) on disk.
    id           text    primary key,
    message_id   integer not null unique references messages (id) on delete cascade,
    room_id      integer not null references rooms (id) on delete cascade,
    -- The uploader's file name, cleaned for display; never used as a path.
    file_name    text    not null,
    size         integer not null,
    content_type text    not null,
    is_image     integer not null,
    width        integer,
    height       integer,
    created_at   integer not null
);
create index attachments_room on attachments (room_id);

-- Small key/value facts about the server itself, e.g. when retention last ran.
create table server_meta (
    key   text primary key,
    value text not null
);
