-- Hints between the nodes of a cluster too long for a NOTIFY payload (8,000 bytes): the sender
-- stores the hint here and notifies only the row's id; every other node reads the row. Rows
-- are the transport's buffer, not chat data: they are pruned after ten minutes (by the
-- database's clock, which all nodes share) and have no SQLite counterpart.
create table cluster_spill (
    id         bigint      generated always as identity primary key,
    created_at timestamptz not null default now(),
    payload    text        not null
);
