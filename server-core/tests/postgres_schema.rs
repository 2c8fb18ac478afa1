//! The PostgreSQL schema (migrations/postgres) against SQLite's (migrations/sqlite): the same
//! tables with the same columns, so the two backends cannot drift apart unnoticed.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use sqlx::AssertSqlSafe;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::common::TestServer;
use crate::postgres_cluster;

/// Per table, per column: whether it refuses null.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// What PostgreSQL does differently, on purpose: full-text search is a `tsvector` column of
/// `messages` (see migrations/postgres/0001_schema.sql) instead of SQLite's FTS5 table.
const ONLY_IN_POSTGRES: &[(&str, &str)] = &[("messages", "search")];
/// Its GIN index.
const INDEX_ONLY_IN_POSTGRES: &str = "messages_search";
/// The cluster transport's buffer for long hints (migrations/postgres/0002_cluster.sql) and
/// the nodes' registry and their users' sockets (0003_presence.sql): only nodes sharing a
/// PostgreSQL database talk to each other. The limits the nodes share (0004_limits.sql): one
/// SQLite server keeps them in memory. Their indexes and keys are not compared either.
const TABLES_ONLY_IN_POSTGRES: &[&str] = &[
    "cluster_spill",
    "nodes",
    "node_presence",
    "limit_buckets",
    "login_failures",
    "login_secret",
    "upload_usage",
    "node_sockets",
];

/// The SQLite database a real server leaves behind (`Store::open`, all migrations), read-only;
/// the stopped server holds the temporary dir it is in.
async fn fresh_sqlite() -> (TestServer, SqlitePool) {
    // The reference is SQLite's schema, whichever backend the suite runs on.
    let mut server = TestServer::start_on_sqlite().await;
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
    (server, pool)
}

/// SQLite's own tables, migration bookkeeping and FTS5's shadow tables (`message_search_data`,
/// …) are left out.
const SQLITE_TABLES: &str = r#"select name from sqlite_master
    where type = 'table' and name not like 'sqlite\_%' escape '\'
      and name not like '\_sqlx\_%' escape '\' and name not like 'message_search%'"#;

async fn sqlite_schema(pool: &SqlitePool) -> Schema {
    let sql = format!(
        r#"select m.name, c.name, c."notnull", c.pk > 0
           from ({SQLITE_TABLES}) m join pragma_table_info(m.name) c"#
    );
    let rows: Vec<(String, String, bool, bool)> =
        sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await.unwrap();
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
        if ONLY_IN_POSTGRES.contains(&(table.as_str(), column.as_str()))
            || TABLES_ONLY_IN_POSTGRES.contains(&table.as_str())
        {
            continue;
        }
        schema.entry(table).or_default().insert(column, nullable == "NO");
    }
    schema
}

/// Every table and column a fresh SQLite database has, a fresh PostgreSQL database has too
/// (and nothing else but the search column and the cluster's own table), each refusing null
/// exactly where SQLite does.
#[tokio::test]
async fn postgres_has_every_sqlite_table_and_column() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .expect("the PostgreSQL migrations apply to an empty database");
    let (_server, sqlite) = fresh_sqlite().await;
    let sqlite = sqlite_schema(&sqlite).await;
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
    for table in TABLES_ONLY_IN_POSTGRES {
        let found: bool = sqlx::query_scalar(
            r#"select exists (select 1 from information_schema.tables where table_name = $1)"#,
        )
        .bind(table)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(
            found,
            "table {table} is listed as PostgreSQL's own but does not exist"
        );
    }
}

/// Per named index: its table, whether it is unique, whether it is partial.
type Indexes = BTreeSet<(String, String, bool, bool)>;
/// Per foreign key: table, column, referenced table, what deleting the referenced row does.
type ForeignKeys = BTreeSet<(String, String, String, String)>;

async fn sqlite_indexes_and_keys(pool: &SqlitePool) -> (Indexes, ForeignKeys) {
    // Named indexes only: `unique` and primary-key constraints get `sqlite_autoindex_…` in
    // SQLite and `…_key` / `…_pkey` in PostgreSQL, and the column test covers their columns.
    let sql = format!(
        r#"select i.name, m.name, i."unique", i.partial
           from ({SQLITE_TABLES}) m join pragma_index_list(m.name) i
           where i.origin = 'c'"#
    );
    let indexes: Vec<(String, String, bool, bool)> =
        sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await.unwrap();
    let sql = format!(
        r#"select m.name, f."from", f."table", f.on_delete
           from ({SQLITE_TABLES}) m join pragma_foreign_key_list(m.name) f"#
    );
    let keys: Vec<(String, String, String, String)> =
        sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await.unwrap();
    (indexes.into_iter().collect(), keys.into_iter().collect())
}

async fn postgres_indexes_and_keys(pool: &sqlx::PgPool) -> (Indexes, ForeignKeys) {
    let indexes: Vec<(String, String, bool, bool)> = sqlx::query_as(
        r#"select c.relname::text, t.relname::text, i.indisunique, i.indpred is not null
           from pg_index i
           join pg_class c on c.oid = i.indexrelid
           join pg_class t on t.oid = i.indrelid
           join pg_namespace n on n.oid = t.relnamespace
           where n.nspname = 'public' and t.relname <> '_sqlx_migrations'
             and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
             and c.relname <> $1 and t.relname <> all($2)"#,
    )
    .bind(INDEX_ONLY_IN_POSTGRES)
    .bind(TABLES_ONLY_IN_POSTGRES)
    .fetch_all(pool)
    .await
    .unwrap();
    // Every foreign key here has one column; SQLite's names for the actions.
    let keys: Vec<(String, String, String, String)> = sqlx::query_as(
        r#"select k.conrelid::regclass::text, a.attname::text, k.confrelid::regclass::text,
                  case k.confdeltype when 'c' then 'CASCADE' when 'n' then 'SET NULL'
                                     when 'd' then 'SET DEFAULT' when 'r' then 'RESTRICT'
                                     else 'NO ACTION' end
           from pg_constraint k
           join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
           where k.contype = 'f' and k.conrelid::regclass::text <> all($1)"#,
    )
    .bind(TABLES_ONLY_IN_POSTGRES)
    .fetch_all(pool)
    .await
    .unwrap();
    (indexes.into_iter().collect(), keys.into_iter().collect())
}

/// The same named indexes (unique and partial where SQLite's are) and the same foreign keys
/// doing the same on delete: a query fast on one backend is not a scan on the other, and
/// deleting a room or an account removes or keeps the same rows.
#[tokio::test]
async fn postgres_has_the_same_indexes_and_foreign_keys() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .unwrap();
    let (_server, sqlite) = fresh_sqlite().await;
    let (sqlite_indexes, sqlite_keys) = sqlite_indexes_and_keys(&sqlite).await;
    let (pg_indexes, pg_keys) = postgres_indexes_and_keys(&db.pool).await;
    assert!(
        sqlite_indexes.len() >= 20,
        "SQLite's indexes were not found: {sqlite_indexes:?}"
    );
    assert_eq!(
        pg_indexes.difference(&sqlite_indexes).collect::<Vec<_>>(),
        Vec::<&(String, String, bool, bool)>::new(),
        "indexes (name, table, unique, partial) only in PostgreSQL"
    );
    assert_eq!(
        sqlite_indexes.difference(&pg_indexes).collect::<Vec<_>>(),
        Vec::<&(String, String, bool, bool)>::new(),
        "indexes (name, table, unique, partial) only in SQLite"
    );
    assert!(
        sqlite_keys.len() >= 15,
        "SQLite's foreign keys were not found: {sqlite_keys:?}"
    );
    assert_eq!(
        pg_keys, sqlite_keys,
        "foreign keys (table, column, references, on delete) differ, PostgreSQL left"
    );
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

/// Per CHECK constraint: table, the column it names first, and the quoted values it allows.
type Checks = BTreeSet<(String, String, Vec<String>)>;

/// The single-quoted strings in `sql`, sorted.
fn quoted(sql: &str) -> Vec<String> {
    let mut values: Vec<String> = sql.split('\'').skip(1).step_by(2).map(str::to_owned).collect();
    values.sort();
    values
}

/// SQLite's CHECKs, read from each table's `create table` text (SQLite keeps no catalogue of
/// them): every `check (column in ('…', …))`.
async fn sqlite_checks(pool: &SqlitePool) -> Checks {
    let sql = format!("select name, sql from sqlite_master where name in ({SQLITE_TABLES})");
    let tables: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await.unwrap();
    let mut checks = Checks::new();
    for (table, sql) in tables {
        for check in sql.to_lowercase().split("check (").skip(1) {
            let body = &check[..check.find(')').expect("a check's closing parenthesis")];
            let column = body.split_whitespace().next().expect("a check's column");
            checks.insert((table.clone(), column.to_owned(), quoted(body)));
        }
    }
    checks
}

async fn postgres_checks(pool: &sqlx::PgPool) -> Checks {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        r#"select k.conrelid::regclass::text, a.attname::text, pg_get_constraintdef(k.oid)
           from pg_constraint k
           join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
           where k.contype = 'c'"#,
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(table, column, definition)| (table, column, quoted(&definition)))
        .collect()
}

/// Every CHECK of SQLite's schema holds in PostgreSQL with the same allowed values, so a
/// value one backend refuses is not stored by the other; and PostgreSQL really refuses one.
#[tokio::test]
async fn postgres_has_the_same_checks() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .unwrap();
    let (_server, sqlite) = fresh_sqlite().await;
    let sqlite_checks = sqlite_checks(&sqlite).await;
    assert!(
        sqlite_checks.len() >= 3,
        "SQLite's checks were not found: {sqlite_checks:?}"
    );
    assert_eq!(
        postgres_checks(&db.pool).await,
        sqlite_checks,
        "checks (table, column, allowed values) differ, PostgreSQL left"
    );
    let refused = sqlx::query(
        r#"insert into users (username, username_key, password_hash, created_at, status)
           values ('bob', 'bob', 'x', 1, 'asleep')"#,
    )
    .execute(&db.pool)
    .await
    .expect_err("a status outside the check");
    assert_eq!(
        refused.as_database_error().map(|e| e.kind()),
        Some(sqlx::error::ErrorKind::CheckViolation)
    );
}
