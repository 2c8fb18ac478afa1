-- Full-text search. The index holds text already segmented in Rust (src/search/):
-- `body` has words (folded, stemmed) and CJK bigrams in order, `chars` every CJK character.
-- Contentless: the text is in `messages`; the index keeps only what it needs to match, keyed
-- by the message id. `contentless_delete` lets a message's entry be deleted by id alone.
-- Positions are kept (detail=full) for phrases.
create virtual table message_search using fts5(
    body, chars,
    content = '', contentless_delete = 1, tokenize = 'ascii'
);

-- Gone from messages, gone from the index, in the same transaction: retention, a room's
-- deletion (cascading), and soft deletes. Edits and inserts are indexed by the store.
create trigger message_search_removed after delete on messages begin
    delete from message_search where rowid = old.id;
end;
create trigger message_search_deleted after update of is_deleted on messages when new.is_deleted = 1 begin
    delete from message_search where rowid = old.id;
end;

-- Messages written before this migration are indexed at start-up from this id on
-- (segmenting is Rust code, which a migration cannot run); the key goes once that is done.
insert into server_meta (key, value) values ('search.backfill_after', '0');
