-- no-transaction
-- (Rebuilding `rooms` needs foreign keys off, which SQLite ignores inside a transaction, so this
-- file opens its own. With them on, dropping the old table would cascade into every membership,
-- message and attachment.)

-- Room names: unique among public rooms only. A name unique across all rooms answered
-- `409 room_name_taken` to anyone creating a room named like someone's private room, telling
-- them it exists. SQLite cannot drop the column's `unique`, so the table is rebuilt (the
-- procedure of https://www.sqlite.org/lang_altertable.html#otheralter), keeping every id.
pragma foreign_keys = off;

begin;

create table rooms_new (
    id          integer primary key,
    name        text    not null,
    name_key    text    not null,
    description text    not null default '',
    is_private  integer not null default 0,
    created_by  integer references users (id) on delete set null,
    created_at  integer not null,
    is_default  integer not null default 0
);
insert into rooms_new (id, name, name_key, description, is_private, created_by, created_at, is_default)
    select id, name, name_key, description, is_private, created_by, created_at, is_default from rooms;
drop table rooms;
alter table rooms_new rename to rooms;
create unique index rooms_public_name on rooms (name_key) where is_private = 0;

-- Direction overrides (U+202A–U+202E, U+2066–U+2069) in room names and descriptions reorder the
-- sidebar around them; names lose the invisible marks too (`chat/bidi.rs` does the same for new
-- rooms). Only the shown name changes: its key stays, so no two public names can collide here.
update rooms set name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(0x202A), ''), char(0x202B), ''), char(0x202C), ''), char(0x202D), ''), char(0x202E), ''), char(0x2066), ''), char(0x2067), ''), char(0x2068), ''), char(0x2069), ''), char(0x200E), ''), char(0x200F), ''), char(0x061C), '')
where replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(0x202A), ''), char(0x202B), ''), char(0x202C), ''), char(0x202D), ''), char(0x202E), ''), char(0x2066), ''), char(0x2067), ''), char(0x2068), ''), char(0x2069), ''), char(0x200E), ''), char(0x200F), ''), char(0x061C), '') <> '';
update rooms set description = replace(replace(replace(replace(replace(replace(replace(replace(replace(description, char(0x202A), ''), char(0x202B), ''), char(0x202C), ''), char(0x202D), ''), char(0x202E), ''), char(0x2066), ''), char(0x2067), ''), char(0x2068), ''), char(0x2069), '');

-- Avatars: only pictures uploaded to this server (`/api/avatars/<id>`). A link to another site
-- was fetched by every viewer's browser, telling that site who is online and when; such links
-- are dropped and those people show their initials until they upload a picture.
update users set avatar_url = null where avatar_url is not null and avatar_url not like '/api/avatars/%';

commit;

pragma foreign_keys = on;
