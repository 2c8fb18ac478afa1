//! `confab-server migrate`: an office that ran on SQLite — accounts, rooms, a conversation,
//! messages in Chinese and English, edits, deletes, reactions, a thread, a pin, read markers,
//! an upload — moved into PostgreSQL by the real binary, every row and its search with it; and
//! a database that already holds data refused and left as it was.

use std::path::Path;
use std::process::Output;
use std::str::FromStr;

use reqwest::StatusCode;
use serde_json::json;
use server_core::Database;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, PgPool};

use crate::common::TestServer;
use crate::postgres_cluster;

/// Every table the migration copies, in its order.
const TABLES: [&str; 12] = [
    "users",
    "sessions",
    "rooms",
    "room_memberships",
    "messages",
    "attachments",
    "message_mentions",
    "message_reactions",
    "thread_follows",
    "invites",
    "audit_log",
    "server_meta",
];

/// Runs `confab-server migrate --from sqlite://<sqlite> --to <postgres>`.
async fn run_migrate(sqlite: &Path, postgres: &str) -> Output {
    let args = [
        "migrate".to_owned(),
        "--from".to_owned(),
        format!("sqlite://{}", sqlite.display()),
        "--to".to_owned(),
        postgres.to_owned(),
    ];
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_confab-server"))
            .args(&args)
            .env_remove("CONFAB_DATABASE_URL")
            .output()
            .expect("run confab-server migrate")
    })
    .await
    .unwrap()
}

async fn counts_in_postgres(pool: &PgPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("select count(*) from {table}");
        counts.push(
            sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .unwrap(),
        );
    }
    counts
}

async fn counts_in_sqlite(pool: &SqlitePool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("select count(*) from {table}");
        counts.push(
            sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .unwrap(),
        );
    }
    counts
}

/// Contents of the messages whose search vector matches `tsquery`, in id order.
async fn found(pool: &PgPool, tsquery: &str) -> Vec<String> {
    sqlx::query_scalar(r#"select content from messages where search @@ $1::tsquery order by id"#)
        .bind(tsquery)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_office_moves_from_sqlite_to_postgres_with_every_row_and_its_search() {
    let Some(target) = postgres_cluster::database().await else {
        return;
    };
    // The source is SQLite whatever backend the rest of the suite runs on.
    let mut server = TestServer::start_with(|c| c.database = Some(Database::Sqlite(c.database_path()))).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let plans = server.create_room(&alice, "plans", false).await;
    for user in [&bob, &carol] {
        let (status, body) = server
            .post(Some(&user.token), &format!("/api/rooms/{plans}/join"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, dm) = server
        .post(Some(&alice.token), "/api/dms", json!({"user_ids": [bob.id]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    let dm = dm["room"]["id"].as_i64().unwrap();

    let chinese = server.say(&alice, plans, "明天部署新版本").await["id"]
        .as_i64()
        .unwrap();
    let english = server.say(&bob, plans, "Deployed the new build to staging").await["id"]
        .as_i64()
        .unwrap();
    let mixed = server.say(&alice, plans, "v2部署").await["id"].as_i64().unwrap();
    let gone = server.say(&carol, plans, "秘密部署 plan").await["id"]
        .as_i64()
        .unwrap();
    server.say(&alice, plans, "@bob 🎉").await;
    server.say(&bob, dm, "lunch at noon?").await;
    let (status, body) = server
        .put(
            Some(&bob.token),
            &format!("/api/messages/{english}"),
            json!({"content": "Deployed the new build to production"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .delete(Some(&carol.token), &format!("/api/messages/{gone}"))
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = server
        .put(
            Some(&bob.token),
            &format!("/api/messages/{chinese}/reactions/%F0%9F%91%8D"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, reply) = server
        .post(
            Some(&carol.token),
            &format!("/api/rooms/{plans}/messages"),
            json!({"content": "which server?", "thread_id": chinese}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let reply = reply["message"]["id"].as_i64().unwrap();
    let (status, body) = server
        .put(
            Some(&alice.token),
            &format!("/api/messages/{mixed}/pin"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{plans}/read"),
            json!({"message_id": mixed}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = server.upload(&alice, plans, "notes.txt", b"the plan", &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.stop().await;

    let sqlite_path = server.config.database_path();
    let sqlite = SqlitePoolOptions::new()
        .connect_with(
            SqliteConnectOptions::from_str("sqlite:")
                .unwrap()
                .filename(&sqlite_path)
                .read_only(true),
        )
        .await
        .unwrap();
    let expected = counts_in_sqlite(&sqlite).await;
    for (table, rows) in TABLES.iter().zip(&expected) {
        if !["invites", "audit_log"].contains(table) {
            assert!(*rows > 0, "the office has no {table} to move");
        }
    }

    let output = run_migrate(&sqlite_path, &target.url).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "migrate failed:\n{stdout}\n{stderr}");
    assert_eq!(counts_in_postgres(&target.pool).await, expected, "{stdout}");
    // The counts it printed are the ones compared.
    for (table, rows) in TABLES.iter().zip(&expected) {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("no count for {table}:\n{stdout}"));
        let numbers: Vec<i64> = line
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(numbers, [*rows, *rows], "{line}");
    }

    // Rows, flags and links as they were.
    let users: Vec<(i64, String, bool)> =
        sqlx::query_as(r#"select id, username, must_change_password from users order by id"#)
            .fetch_all(&target.pool)
            .await
            .unwrap();
    let sqlite_users: Vec<(i64, String, bool)> =
        sqlx::query_as(r#"select id, username, must_change_password from users order by id"#)
            .fetch_all(&sqlite)
            .await
            .unwrap();
    assert_eq!(users, sqlite_users);
    let (content, edited, rev): (String, Option<i64>, i64) =
        sqlx::query_as(r#"select content, edited_at, rev from messages where id = $1"#)
            .bind(english)
            .fetch_one(&target.pool)
            .await
            .unwrap();
    assert_eq!(content, "Deployed the new build to production");
    assert!(edited.is_some() && rev > 0, "the edit is kept");
    let deleted: (bool, bool) =
        sqlx::query_as(r#"select is_deleted, search is null from messages where id = $1"#)
            .bind(gone)
            .fetch_one(&target.pool)
            .await
            .unwrap();
    assert_eq!(deleted, (true, true), "a deleted message is not searchable");
    let thread: Option<i64> = sqlx::query_scalar(r#"select thread_id from messages where id = $1"#)
        .bind(reply)
        .fetch_one(&target.pool)
        .await
        .unwrap();
    assert_eq!(thread, Some(chinese));
    let pinned: (bool, Option<i64>) =
        sqlx::query_as(r#"select pinned_at is not null, pinned_by from messages where id = $1"#)
            .bind(mixed)
            .fetch_one(&target.pool)
            .await
            .unwrap();
    assert_eq!(pinned, (true, Some(alice.id)));
    let reaction: (i64, String) =
        sqlx::query_as(r#"select user_id, emoji from message_reactions where message_id = $1"#)
            .bind(chinese)
            .fetch_one(&target.pool)
            .await
            .unwrap();
    assert_eq!(reaction, (bob.id, "👍".to_owned()));
    let marker: i64 = sqlx::query_scalar(
        r#"select last_read_message_id from room_memberships where room_id = $1 and user_id = $2"#,
    )
    .bind(plans)
    .bind(bob.id)
    .fetch_one(&target.pool)
    .await
    .unwrap();
    assert_eq!(marker, mixed);
    let dm_members: Vec<i64> =
        sqlx::query_scalar(r#"select user_id from room_memberships where room_id = $1 order by user_id"#)
            .bind(dm)
            .fetch_all(&target.pool)
            .await
            .unwrap();
    assert_eq!(dm_members, [alice.id, bob.id]);
    let upload: (String, bool, i64) =
        sqlx::query_as(r#"select file_name, is_image, size from attachments where room_id = $1"#)
            .bind(plans)
            .fetch_one(&target.pool)
            .await
            .unwrap();
    assert_eq!(upload, ("notes.txt".to_owned(), false, 8));
    let mentioned: Vec<i64> = sqlx::query_scalar(r#"select user_id from message_mentions"#)
        .fetch_all(&target.pool)
        .await
        .unwrap();
    assert_eq!(mentioned, [bob.id]);
    let tokens: Vec<Vec<u8>> = sqlx::query_scalar(r#"select token_hash from sessions order by id"#)
        .fetch_all(&target.pool)
        .await
        .unwrap();
    let sqlite_tokens: Vec<Vec<u8>> = sqlx::query_scalar(r#"select token_hash from sessions order by id"#)
        .fetch_all(&sqlite)
        .await
        .unwrap();
    assert_eq!(tokens, sqlite_tokens, "everyone stays signed in");

    // Search finds through the vectors what SQLite's index found, with the queries the
    // PostgreSQL backend makes of `部署`, `署`, `明天部署` and `deployed`.
    let both = ["明天部署新版本".to_owned(), "v2部署".to_owned()];
    assert_eq!(found(&target.pool, "(('部署':A))").await, both);
    assert_eq!(found(&target.pool, "(('署':B))").await, both);
    assert_eq!(
        found(&target.pool, "(('明天':A <-> '天部':A <-> '部署':A))").await,
        ["明天部署新版本"]
    );
    assert_eq!(
        found(&target.pool, "(('deploy':A))").await,
        ["Deployed the new build to production"],
        "the edited text, stemmed"
    );
    assert!(
        found(&target.pool, "(('stage':A))").await.is_empty(),
        "not the text before the edit"
    );
    let exact: bool = sqlx::query_scalar(r#"select search = $2::tsvector from messages where id = $1"#)
        .bind(mixed)
        .bind("'v2':1A '部署':2A '部':3B '署':4B")
        .fetch_one(&target.pool)
        .await
        .unwrap();
    assert!(exact, "body terms with weight A, then characters with weight B");

    // New rows get ids past every copied one.
    let highest: i64 = sqlx::query_scalar(r#"select max(id) from messages"#)
        .fetch_one(&target.pool)
        .await
        .unwrap();
    let mut tx = target.pool.begin().await.unwrap();
    let next: i64 = sqlx::query_scalar(
        r#"insert into messages (room_id, content, message_type, timestamp)
           values ($1, 'next', 'text', 0) returning id"#,
    )
    .bind(plans)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(next > highest, "a new message got id {next}, not past {highest}");

    // A second migration finds data there and changes nothing.
    let before = counts_in_postgres(&target.pool).await;
    let output = run_migrate(&sqlite_path, &target.url).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a second migrate succeeded");
    assert!(stderr.contains("already holds data"), "{stderr}");
    assert_eq!(counts_in_postgres(&target.pool).await, before);
    sqlite.close().await;
}

/// Only SQLite to PostgreSQL, and a password never in the message.
#[tokio::test]
async fn migrate_refuses_other_directions() {
    let from = Database::Postgres("postgres://u:s3cret@db/office".into());
    let to = Database::Sqlite("/tmp/office.db".into());
    let error = server_core::migrate(&from, &to, &mut |_, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("from SQLite to PostgreSQL"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
}

/// A database an older Confab left, or one with a column this version does not know, is not
/// half-copied: the migration stops before reaching PostgreSQL, saying what to do.
#[tokio::test]
async fn a_source_of_another_version_is_refused_before_anything_is_copied() {
    let mut server = TestServer::start_on_sqlite().await;
    server.register("alice").await;
    server.stop().await;
    let path = server.config.database_path();
    let sqlite = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str("sqlite:").unwrap().filename(&path))
        .await
        .unwrap();
    // Never reached: the source is checked first.
    let nowhere = "postgres://confab:s3cret@localhost/none?host=/nonexistent";

    let latest: i64 = sqlx::query_scalar(r#"select max(version) from _sqlx_migrations"#)
        .fetch_one(&sqlite)
        .await
        .unwrap();
    sqlx::query(r#"update _sqlx_migrations set version = -version where version = ?1"#)
        .bind(latest)
        .execute(&sqlite)
        .await
        .unwrap();
    let output = run_migrate(&path, nowhere).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("older Confab"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");

    sqlx::query(r#"update _sqlx_migrations set version = -version where version = ?1"#)
        .bind(-latest)
        .execute(&sqlite)
        .await
        .unwrap();
    sqlx::query(r#"alter table users add column shoe_size integer"#)
        .execute(&sqlite)
        .await
        .unwrap();
    sqlite.close().await;
    let output = run_migrate(&path, nowhere).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("`users.shoe_size`"), "{stderr}");
}
