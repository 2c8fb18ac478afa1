//! Black-box integration tests: each test starts a real Confab server on `127.0.0.1:0` with a
//! fresh data directory and talks to it only over HTTP and WebSocket, as a client would.

mod common;
#[path = "support/postgres.rs"]
mod postgres_cluster;

mod admin;
mod admin_backup;
mod admin_room_settings;
mod admin_rooms;
mod admin_settings;
mod admin_users;
mod api_fuzz;
mod asyncapi;
mod auth;
mod avatars;
mod cluster;
mod cluster_fanout;
mod cluster_limits;
mod cluster_order;
mod cluster_processes;
mod connections;
mod conversations;
mod discovery;
mod dms;
mod lan;
mod lifecycle;
mod limits;
mod logs;
mod mentions;
mod messages;
mod openapi;
mod people;
mod postgres_messages;
mod postgres_migrate;
mod postgres_schema;
mod postgres_store;
mod presence;
mod realtime;
mod retention;
mod robustness;
mod rooms;
mod search;
mod uploads;
mod wsfuzz;
