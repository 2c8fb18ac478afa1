-- Usernames: the Unicode TR39 confusable skeleton of each name, unique, so that "аlice" (with a
-- Cyrillic а) or "aIice" cannot be registered beside "alice". Skeletons are computed in Rust;
-- the server fills them in for older accounts when it starts, so the column is nullable (and
-- stays null for an older account that already looks like another one).
alter table users add column username_skeleton text;
create unique index users_username_skeleton on users (username_skeleton);

-- Emails: no longer unique. A taken address answered `409 email_taken` to anyone registering
-- or editing a profile, telling them which addresses have accounts. Nothing signs in or resets
-- a password by email, so two accounts sharing one address harms nobody.
drop index users_email_key;
