-- Unread counts skip system messages and deleted ones. Without this index, counting them walked
-- every message after a member's read marker, system messages included: in a lobby where
-- thousands of people joined (one system message each), every `ready` and room list read tens
-- of thousands of rows per room. With it, a count reads at most its cap of index entries and
-- never touches the table (user_id is in the index for the "not my own messages" test).
create index messages_unread on messages (room_id, id, user_id)
    where is_deleted = 0 and message_type != 'system';
