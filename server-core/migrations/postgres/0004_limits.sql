-- Limits shared by the nodes of one database, so that N nodes do not give anyone N times the
-- budget (chat/limits.rs, chat/throttle.rs). Every key is a 16-byte digest of what is limited
-- (an account's name, an address, a user and an action): no name or address is stored in
-- clear, and a row has a fixed size. Times are the server clock's unix milliseconds, as every
-- node passes them. Rows that no longer hold anything back are removed by the housekeeping
-- job, on one node at a time (`Job::LimitPurge`). No table has a SQLite counterpart: one
-- SQLite server keeps these counters in memory.

-- Token buckets: messages, edits, reactions and typing per user, registrations per address.
-- `granted` says whether the last take got its token. `idle_at`: when the bucket is full again
-- at the latest (a full period after its last take), and may be forgotten.
create table limit_buckets (
    key     bytea            primary key,
    tokens  double precision not null,
    at_ms   bigint           not null,
    granted boolean          not null,
    idle_at bigint           not null
);
create index limit_buckets_idle on limit_buckets (idle_at);

-- Failed logins per account, address, device, and all together (chat/throttle.rs).
-- An account's failures last until it has been quiet for a window (`sliding`); the others
-- until a window after the first. `idle_at`: when the counter has aged out.
create table login_failures (
    key      bytea   primary key,
    failures integer not null,
    first_ms bigint  not null,
    last_ms  bigint  not null,
    sliding  boolean not null,
    idle_at  bigint  not null
);
create index login_failures_idle on login_failures (idle_at);

-- The secret device tokens are signed with, the same on every node, so that a device trusted
-- through one node is trusted by all. One row, id 1 (no CHECK: the schema test compares
-- PostgreSQL's CHECKs with SQLite's).
create table login_secret (
    id     integer primary key,
    secret bytea   not null
);

-- Bytes uploaded per user per hour slot (slot_ms: the hour's start), for the rolling day's
-- quota.
create table upload_usage (
    key     bytea  not null,
    slot_ms bigint not null,
    bytes   bigint not null,
    primary key (key, slot_ms)
);
create index upload_usage_slot on upload_usage (slot_ms);

-- Each node's count of each user's sockets, for the cap per user across the cluster. Rows of
-- a node no longer in `nodes` (stopped, or swept after its heartbeat stopped) do not count and
-- are removed by the housekeeping job.
create table node_sockets (
    node_id bigint  not null,
    user_id bigint  not null references users (id) on delete cascade,
    sockets integer not null,
    primary key (node_id, user_id)
);
create index node_sockets_user on node_sockets (user_id);
