-- Server administration. `users.is_admin` (since 0001) already means "server administrator";
-- the API calls it `is_server_admin`.
--
-- A deactivated account keeps its messages but cannot sign in; reactivation clears the time.
alter table users add column deactivated_at integer;
-- Set by a password reset: the temporary password signs in once and must then be changed.
alter table users add column must_change_password integer not null default 0;

-- An archived room is read-only for everyone until it is unarchived.
alter table rooms add column archived_at integer;

-- Invites for the `invite` registration policy. The code is stored as it is, unlike tokens:
-- administrators list invites to hand them out again, and a code only admits one registration
-- (up to `max_uses`) on a server whose policy asks for one.
create table invites (
    id          integer primary key,
    code        text    not null unique,
    created_by  integer references users (id) on delete set null,
    created_at  integer not null,
    expires_at  integer,
    max_uses    integer,
    uses        integer not null default 0,
    revoked_at  integer
);

-- Every administrative action: who, what, on what, when, from where.
create table audit_log (
    id         integer primary key autoincrement,
    actor_id   integer references users (id) on delete set null,
    -- Kept so the entry still says who after the account is gone; `cli` for the command line.
    actor_name text    not null,
    action     text    not null,
    target     text,
    detail     text,
    address    text,
    created_at integer not null
);
create index audit_log_time on audit_log (created_at);

-- Settings administrators choose at run time live in `server_meta` as `settings.<name>`
-- (server_name, registration, retention_days, max_upload_mb); a missing key means "the
-- command-line default".

-- Bumped by anything that changes accounts or sessions outside the running server (the
-- `confab-server admin` commands): the server polls it and closes sockets whose sessions
-- were revoked.
insert into server_meta (key, value) values ('admin.revision', '0');
