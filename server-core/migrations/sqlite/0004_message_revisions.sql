-- Edits and deletes get a per-room revision number, so a client that was offline can ask what
-- changed in a room since the revision it last saw (`?changed_after=`): catching up with
-- `after=` only brings new messages, and an edit or delete made meanwhile would otherwise stay
-- unseen until a reload. 0 means never changed; numbers only grow within a room.
alter table messages add column rev integer not null default 0;
create index messages_changes on messages (room_id, rev) where rev > 0;
