-- Presence across the nodes sharing this database. Each running confab-server is a row of
-- `nodes` (its id is the cluster's random node id, new at every start) and beats every few
-- seconds; `node_presence` holds, per node, the users it has at least one socket of. A user is
-- online while a row of a live node holds them; `users.is_online` is kept equal to that. Rows
-- of a node whose heartbeat went stale are swept by whichever node takes the sweep's lock.
-- No foreign key to `nodes`: a node frozen past the timeout may write before it notices it
-- was swept, and the next sweep removes such rows. Neither table has a SQLite counterpart.
create table nodes (
    id           bigint      primary key,
    started_at   timestamptz not null default now(),
    heartbeat_at timestamptz not null default now()
);

create table node_presence (
    node_id bigint not null,
    user_id bigint not null references users (id) on delete cascade,
    primary key (node_id, user_id)
);
create index node_presence_user on node_presence (user_id);
