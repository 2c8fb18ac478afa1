//! The PostgreSQL schema (migrations/postgres) against SQLite's (migrations/sqlite): the same
//! tables with the same columns, so the two backends cannot drift apart unnoticed.

use std::collections::BTreeMap;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::common::TestServer;
use crate::postgres_cluster;

/// Per table, per column: whether it refuses null.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// What PostgreSQL does differently, on purpose: full-text search is a `tsvector` column of
/// `messages` (see migrations/postgres/0001_schema.sql) instead of SQLite's FTS5 table.
const ONLY_IN_POSTGRES: &[(&str, &str)] = &[("messages", "search")];
const ONLY_IN_SQLITE: &str = "message_search";

/// The schema a real server leaves in its SQLite database (`Store::open`, all migrations).
async fn sqlite_schema() -> Schema {
    let mut server = TestServer::start().await;
    server.stop().await;
    let options = SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(server.config.database_path())
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    // FTS5's shadow tables (`message_search_data`, …) are tables too; `sqlite_%` are SQLite's.
    let rows: Vec<(String, String, bool, bool)> = sqlx::query_as(
        r#"select m.name, c.name, c."notnull", c.pk > 0
           from sqlite_master m join pragma_table_info(m.name) c
           where m.type = 'table' and m.name not like 'sqlite\_%' escape '\'
             and m.name not like '\_sqlx\_%' escape '\' and m.name not like ?1 || '%'"#,
    )
    .bind(ONLY_IN_SQLITE)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let mut schema = Schema::new();
    for (table, column, not_null, primary_key) in rows {
        // SQLite lets a non-integer primary key hold null (a legacy quirk); the store never
        // writes one, and PostgreSQL's primary keys refuse it.
        schema
            .entry(table)
            .or_default()
            .insert(column, not_null || primary_key);
    }
    schema
}

async fn postgres_schema(pool: &sqlx::PgPool) -> Schema {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        r#"select table_name::text, column_name::text, is_nullable::text
           from information_schema.columns
           where table_schema = 'public' and table_name <> '_sqlx_migrations'"#,
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (table, column, nullable) in rows {
        if ONLY_IN_POSTGRES.contains(&(table.as_str(), column.as_str())) {
            continue;
        }
        schema.entry(table).or_default().insert(column, nullable == "NO");
    }
    schema
}

/// Every table and column a fresh SQLite database has, a fresh PostgreSQL database has too
/// (and nothing else but the search column), each refusing null exactly where SQLite does.
#[tokio::test]
async fn postgres_has_every_sqlite_table_and_column() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .expect("the PostgreSQL migrations apply to an empty database");
    let sqlite = sqlite_schema().await;
    let postgres = postgres_schema(&db.pool).await;
    assert!(sqlite.len() >= 12, "SQLite's tables were not found: {sqlite:?}");
    for (table, columns) in &sqlite {
        let Some(pg_columns) = postgres.get(table) else {
            panic!("table {table} is missing from migrations/postgres");
        };
        assert_eq!(
            pg_columns, columns,
            "table {table}: columns (name → not null) differ, PostgreSQL left, SQLite right"
        );
    }
    let extra: Vec<&String> = postgres.keys().filter(|t| !sqlite.contains_key(*t)).collect();
    assert!(extra.is_empty(), "tables only in PostgreSQL: {extra:?}");
    for (table, column) in ONLY_IN_POSTGRES {
        let found: bool = sqlx::query_scalar(
            r#"select exists (select 1 from information_schema.columns
                              where table_name = $1 and column_name = $2)"#,
        )
        .bind(table)
        .bind(column)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(
            found,
            "{table}.{column} is listed as PostgreSQL's own but does not exist"
        );
    }
}

/// What SQLite's search triggers do, PostgreSQL's schema does too: a soft-deleted message
/// leaves the search index in the same statement. And a client's retry of the same
/// `client_msg_id` is refused by the database, as SQLite's partial unique index does.
#[tokio::test]
async fn postgres_schema_forgets_deleted_messages_and_refuses_repeated_client_ids() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .unwrap();
    let pool = &db.pool;
    let user: i64 = sqlx::query_scalar(
        r#"insert into users (username, username_key, password_hash, created_at)
           values ('alice', 'alice', 'x', 1) returning id"#,
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let room: i64 = sqlx::query_scalar(
        r#"insert into rooms (name, name_key, created_at) values ('lobby', 'lobby', 1) returning id"#,
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let insert = r#"insert into messages (room_id, user_id, content, message_type, timestamp,
                                          client_msg_id, search)
                    values ($1, $2, 'hello there', 'text', 1, $3, to_tsvector('simple', 'hello there'))
                    returning id"#;
    let first: i64 = sqlx::query_scalar(insert)
        .bind(room)
        .bind(user)
        .bind("c1")
        .fetch_one(pool)
        .await
        .unwrap();
    let repeated = sqlx::query_scalar::<_, i64>(insert)
        .bind(room)
        .bind(user)
        .bind("c1")
        .fetch_one(pool)
        .await
        .expect_err("the same client_msg_id twice");
    assert_eq!(
        repeated.as_database_error().and_then(|e| e.constraint()),
        Some("messages_client_msg")
    );
    let found = r#"select id from messages where search @@ to_tsquery('simple', 'hello')"#;
    let hits: Vec<i64> = sqlx::query_scalar(found).fetch_all(pool).await.unwrap();
    assert_eq!(hits, vec![first]);
    sqlx::query("update messages set is_deleted = true where id = $1")
        .bind(first)
        .execute(pool)
        .await
        .unwrap();
    let hits: Vec<i64> = sqlx::query_scalar(found).fetch_all(pool).await.unwrap();
    assert!(hits.is_empty(), "a deleted message is still found: {hits:?}");
}
