//! `confab-server migrate`: copies an office's SQLite database into an empty PostgreSQL one —
//! every table in foreign-key order and key order, in batches, in one PostgreSQL transaction,
//! with each message's search vector made from the same segmentation as SQLite's index — and
//! compares every table's row count before committing. The two databases are reached directly
//! (a pool of each), not through the store's interface: this is a copy of rows, not of meaning.

use std::path::Path;
use std::str::FromStr;

use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::error::{Error, Result};
use crate::search::{Indexed, index_text};

mod tables;
use tables::{Kind, TABLES, Table, derived_sqlite_table};

/// Rows per `insert`: large enough that round trips do not dominate, small enough that a
/// batch of messages (the widest rows) stays a few megabytes.
const BATCH: usize = 1000;

/// Server bookkeeping SQLite keeps and PostgreSQL does not need: the search backfill's
/// position (a PostgreSQL database has every message indexed by this copy).
const SQLITE_ONLY_META: &str = "search.backfill_after";

/// One table's rows on each side after the copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub sqlite: i64,
    pub postgres: i64,
}

/// What a migration copied.
#[derive(Clone, Debug, Default)]
pub struct MigrationReport {
    pub tables: Vec<TableCount>,
    /// Messages written with a search vector (not deleted, not system, with words in them).
    pub searchable: i64,
}

/// Copies the SQLite database at `sqlite` into the PostgreSQL database at `postgres` (applying
/// its migrations first), reporting each batch to `progress` as (table, rows so far). Nothing
/// is committed unless every table's count matches.
///
/// # Errors
/// `Error::Config` with a message for the administrator when the source is missing, not a
/// database of this Confab version or has data this version does not know, or when the target
/// already holds data (it is then left as it was); any database error as it is.
pub async fn migrate(
    sqlite: &Path,
    postgres: &str,
    progress: &mut (dyn FnMut(&'static str, u64) + Send),
) -> Result<MigrationReport> {
    let mut source = open_source(sqlite).await?;
    check_source(&mut source).await?;
    let mut target = PgConnection::connect_with(
        &PgConnectOptions::from_str(postgres)?.application_name("confab-server migrate"),
    )
    .await?;
    // Before the migrations run: a database with data is left exactly as it was.
    refuse_data(&mut target).await?;
    sqlx::migrate!("./migrations/postgres").run(&mut target).await?;

    // One read transaction: a consistent snapshot even if someone writes meanwhile.
    let mut source = source.begin().await?;
    let mut target = target.begin().await?;
    // Two migrations at once into one database: the second waits here, then finds data.
    sqlx::query("select pg_advisory_xact_lock(7231021)")
        .execute(&mut *target)
        .await?;
    refuse_data(&mut target).await?;

    let mut report = MigrationReport::default();
    for table in TABLES {
        report.searchable += copy_table(table, &mut source, &mut target, progress).await?;
        if table.identity {
            continue_identity(table, &mut source, &mut target).await?;
        }
    }
    for table in TABLES {
        report.tables.push(TableCount {
            table: table.name,
            sqlite: count(table, &mut source).await?,
            postgres: sqlx::query_scalar(AssertSqlSafe(format!("select count(*) from {}", table.name)))
                .fetch_one(&mut *target)
                .await?,
        });
    }
    let differ: Vec<String> = report
        .tables
        .iter()
        .filter(|c| c.sqlite != c.postgres)
        .map(|c| {
            format!(
                "{} ({} in SQLite, {} in PostgreSQL)",
                c.table, c.sqlite, c.postgres
            )
        })
        .collect();
    if !differ.is_empty() {
        return Err(Error::Config(format!(
            "row counts differ after the copy, so nothing was committed: {}",
            differ.join(", ")
        )));
    }
    target.commit().await?;
    source.rollback().await?;
    Ok(report)
}

/// The SQLite file, read-only: the copy never changes its source.
async fn open_source(path: &Path) -> Result<SqliteConnection> {
    if !path.is_file() {
        return Err(Error::Config(format!(
            "there is no SQLite database at {}",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    Ok(SqliteConnection::connect_with(&options).await?)
}

/// Fails unless the source is a Confab database at exactly this version's schema, with no
/// table or column the copy would leave behind.
async fn check_source(source: &mut SqliteConnection) -> Result<()> {
    let latest = sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar(r#"select max(version) from _sqlx_migrations where success"#)
            .fetch_one(&mut *source)
            .await
            .map_err(|_| {
                Error::Config("the source is not a Confab database (it has no migrations table)".into())
            })?;
    let applied = applied.unwrap_or(0);
    if applied != latest {
        let which = if applied < latest { "an older" } else { "a newer" };
        return Err(Error::Config(format!(
            "the SQLite database was last used by {which} Confab (schema {applied}, this one has \
             {latest}): start and stop this version's confab-server on it once, then migrate"
        )));
    }
    let tables: Vec<String> =
        sqlx::query_scalar(r#"select name from sqlite_master where type = 'table' order by name"#)
            .fetch_all(&mut *source)
            .await?;
    for name in tables.iter().filter(|name| !derived_sqlite_table(name)) {
        let Some(table) = TABLES.iter().find(|t| t.name == name) else {
            return Err(Error::Config(format!(
                "the SQLite database has a table `{name}` this migration does not know; nothing was copied"
            )));
        };
        let columns: Vec<String> = sqlx::query_scalar(r#"select name from pragma_table_info(?1)"#)
            .bind(name)
            .fetch_all(&mut *source)
            .await?;
        for column in &columns {
            if !table.columns.iter().any(|(c, _)| c == column) {
                return Err(Error::Config(format!(
                    "the SQLite database has a column `{name}.{column}` this migration does not know; nothing was copied"
                )));
            }
        }
    }
    Ok(())
}

/// Fails, naming the table, when the target holds any Confab data: only what its own
/// migrations write (the `admin.revision` counter) may be there.
async fn refuse_data(target: &mut PgConnection) -> Result<()> {
    for table in TABLES {
        let exists: bool = sqlx::query_scalar(r#"select to_regclass($1) is not null"#)
            .bind(table.name)
            .fetch_one(&mut *target)
            .await?;
        if !exists {
            continue;
        }
        let seeded = if table.name == "server_meta" {
            " where key <> 'admin.revision'"
        } else {
            ""
        };
        let holds: bool = sqlx::query_scalar(AssertSqlSafe(format!(
            "select exists (select 1 from {}{seeded})",
            table.name
        )))
        .fetch_one(&mut *target)
        .await?;
        if holds {
            return Err(Error::Config(format!(
                "the PostgreSQL database already holds data (its `{}` table is not empty): \
                 migrate only into a new, empty database; it was left as it was",
                table.name
            )));
        }
    }
    Ok(())
}

/// Rows of `table` the copy takes (all but SQLite-only bookkeeping).
async fn count(table: &Table, source: &mut SqliteConnection) -> Result<i64> {
    let sql = format!("select count(*) from {}{}", table.name, source_filter(table));
    let mut query = sqlx::query_scalar(AssertSqlSafe(sql));
    if table.name == "server_meta" {
        query = query.bind(SQLITE_ONLY_META);
    }
    Ok(query.fetch_one(source).await?)
}

/// Which of `table`'s SQLite rows are not copied; binds `?1` to [`SQLITE_ONLY_META`].
fn source_filter(table: &Table) -> &'static str {
    if table.name == "server_meta" {
        " where key <> ?1"
    } else {
        ""
    }
}

/// Copies one table in key order, a batch per statement; returns how many rows got a search
/// vector.
async fn copy_table(
    table: &Table,
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    progress: &mut (dyn FnMut(&'static str, u64) + Send),
) -> Result<i64> {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let select = format!(
        "select {} from {}{} order by {}",
        names.join(", "),
        table.name,
        source_filter(table),
        table.order
    );
    let insert = insert_statement(table);
    let searchable = table.name == "messages";
    let mut query = sqlx::query(AssertSqlSafe(select));
    if table.name == "server_meta" {
        query = query.bind(SQLITE_ONLY_META);
    }
    let mut rows = query.fetch(source);
    let mut batch = Batch::new(table, searchable);
    let mut copied = 0u64;
    let mut indexed = 0i64;
    while let Some(row) = rows.try_next().await? {
        batch.push(table, &row)?;
        if batch.len == BATCH {
            indexed += batch.searchable;
            copied += batch.len as u64;
            batch.write(&insert, target).await?;
            progress(table.name, copied);
            batch = Batch::new(table, searchable);
        }
    }
    if batch.len > 0 {
        indexed += batch.searchable;
        copied += batch.len as u64;
        batch.write(&insert, target).await?;
    }
    progress(table.name, copied);
    Ok(indexed)
}

/// `insert into T (…) select … from unnest($1::bigint[], …)`: one prepared statement per table
/// whatever the batch size. Messages also get their search vector (see [`vector`]).
fn insert_statement(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let mut arrays: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| format!("${}::{}", i + 1, kind.array_type()))
        .collect();
    let mut aliases = names.clone();
    let mut columns = names.join(", ");
    let mut values = names.join(", ");
    if table.name == "messages" {
        arrays.push(format!("${}::text[]", table.columns.len() + 1));
        aliases.push("search_vector");
        columns.push_str(", search");
        values.push_str(", search_vector::tsvector");
    }
    let conflict = if table.name == "server_meta" {
        // The target's migrations seeded some keys; the office's values win.
        " on conflict (key) do update set value = excluded.value"
    } else {
        ""
    };
    format!(
        "insert into {} ({columns}) select {values} from unnest({}) as t({}){conflict}",
        table.name,
        arrays.join(", "),
        aliases.join(", ")
    )
}

/// A message's `search` column as tsvector text: the terms SQLite's FTS5 index holds for it
/// (`crate::search::index_text`), `body` at positions 1, 2, … with weight A and `chars` after
/// them with weight B, so phrases (`<->`) match as FTS5's do and a phrase never spans both.
/// A literal rather than `to_tsvector('simple', …)`: the terms are segmented, folded and
/// stemmed already, and even the `simple` configuration would re-split them by the database's
/// locale. The PostgreSQL backend writes new messages' vectors the same way.
fn vector(indexed: &Indexed) -> String {
    let terms = indexed
        .body
        .split_whitespace()
        .map(|term| (term, 'A'))
        .chain(indexed.chars.split_whitespace().map(|term| (term, 'B')));
    let mut out = String::new();
    // PostgreSQL keeps positions up to 16383 (later ones count as 16383).
    for (position, (term, weight)) in (1..).zip(terms) {
        if !out.is_empty() {
            out.push(' ');
        }
        let quoted = term.replace('\\', "\\\\").replace('\'', "''");
        out.push_str(&format!("'{quoted}':{}{weight}", position.min(16383)));
    }
    out
}

/// One column's values in a batch, as PostgreSQL arrays.
enum Values {
    Int(Vec<Option<i64>>),
    Flag(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Blob(Vec<Option<Vec<u8>>>),
}

/// Rows read from SQLite, column by column, waiting to be written.
struct Batch {
    columns: Vec<Values>,
    /// For messages: each row's search vector, if it is searchable.
    search: Option<Vec<Option<String>>>,
    len: usize,
    searchable: i64,
}

impl Batch {
    fn new(table: &Table, searchable: bool) -> Batch {
        let columns = table
            .columns
            .iter()
            .map(|(_, kind)| match kind {
                Kind::Int => Values::Int(Vec::with_capacity(BATCH)),
                Kind::Flag => Values::Flag(Vec::with_capacity(BATCH)),
                Kind::Text => Values::Text(Vec::with_capacity(BATCH)),
                Kind::Blob => Values::Blob(Vec::with_capacity(BATCH)),
            })
            .collect();
        Batch {
            columns,
            search: searchable.then(Vec::new),
            len: 0,
            searchable: 0,
        }
    }

    fn push(&mut self, table: &Table, row: &SqliteRow) -> Result<()> {
        for (i, values) in self.columns.iter_mut().enumerate() {
            match values {
                Values::Int(v) => v.push(row.try_get(i)?),
                Values::Flag(v) => v.push(row.try_get::<Option<i64>, _>(i)?.map(|flag| flag != 0)),
                Values::Text(v) => v.push(row.try_get(i)?),
                Values::Blob(v) => v.push(row.try_get(i)?),
            }
        }
        if let Some(vectors) = &mut self.search {
            let column = |name: &str| table.columns.iter().position(|(c, _)| *c == name);
            let (Some(content), Some(kind), Some(deleted)) =
                (column("content"), column("message_type"), column("is_deleted"))
            else {
                return Err(Error::Internal("messages lack the columns search needs".into()));
            };
            let content: String = row.try_get(content)?;
            let kind: String = row.try_get(kind)?;
            let deleted: i64 = row.try_get(deleted)?;
            // What SQLite's index holds (store/search.rs): neither deleted nor system
            // messages, nor ones with nothing to find (emoji only).
            let indexed = (deleted == 0 && kind != "system")
                .then(|| index_text(&content))
                .filter(|indexed| !indexed.is_empty());
            self.searchable += i64::from(indexed.is_some());
            vectors.push(indexed.as_ref().map(vector));
        }
        self.len += 1;
        Ok(())
    }

    async fn write(self, insert: &str, target: &mut PgConnection) -> Result<()> {
        let mut query = sqlx::query(AssertSqlSafe(insert));
        for values in self.columns {
            query = match values {
                Values::Int(v) => query.bind(v),
                Values::Flag(v) => query.bind(v),
                Values::Text(v) => query.bind(v),
                Values::Blob(v) => query.bind(v),
            };
        }
        if let Some(vectors) = self.search {
            query = query.bind(vectors);
        }
        query.execute(target).await?;
        Ok(())
    }
}

/// Moves `table`'s identity sequence past every id SQLite ever handed out — its highest id,
/// or for `autoincrement` tables the higher one SQLite remembers (ids of deleted rows are
/// never reused: clients page and catch up by message id).
async fn continue_identity(
    table: &Table,
    source: &mut SqliteConnection,
    target: &mut PgConnection,
) -> Result<()> {
    let remembered: Option<i64> =
        sqlx::query_scalar::<_, Option<i64>>(r#"select seq from sqlite_sequence where name = ?1"#)
            .bind(table.name)
            .fetch_optional(&mut *source)
            .await?
            .flatten();
    sqlx::query(AssertSqlSafe(format!(
        "select setval(pg_get_serial_sequence('{0}', 'id'), greatest(coalesce(max(id), 0), $1) + 1, false) from {0}",
        table.name
    )))
    .bind(remembered.unwrap_or(0))
    .execute(target)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_every_column_once() {
        let messages = TABLES.iter().find(|t| t.name == "messages").unwrap();
        let insert = insert_statement(messages);
        assert!(
            insert.starts_with("insert into messages (id, room_id,"),
            "{insert}"
        );
        assert!(insert.contains("$17::bigint[], $18::text[])"), "{insert}");
        assert!(
            insert.contains("pinned_by, search_vector::tsvector from"),
            "{insert}"
        );
        assert!(insert.contains("as t(id, room_id,"), "{insert}");
        let meta = insert_statement(TABLES.last().unwrap());
        assert!(meta.ends_with("on conflict (key) do update set value = excluded.value"));
    }

    #[test]
    fn vectors_hold_body_then_chars() {
        assert_eq!(vector(&index_text("v2部署")), "'v2':1A '部署':2A '部':3B '署':4B");
        assert_eq!(vector(&index_text("Deployed it's")), "'deploy':1A 'it':2A 's':3A");
    }
}
