-- Default rooms: the ones every new account joins. Until now that was every public room, so one
-- user creating many public rooms made every later account a member of all of them.
alter table rooms add column is_default integer not null default 0;

-- The seed's three rooms (see `chat/seed.rs`), created before this column existed. Their
-- names are their normalized keys (lowercasing changes nothing in them).
update rooms set is_default = 1
where is_private = 0 and name_key in ('大厅', '技术讨论', '随便聊聊');
