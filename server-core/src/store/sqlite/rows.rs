//! How SQLite rows decode into domain types: the decoding itself is shared with PostgreSQL
//! (`store/rows.rs`).

use crate::model::Message;

/// Messages are read joined to their attachment (see `select_messages!`), whose columns are
/// prefixed `att_`.
impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for Message {
    fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
        crate::store::rows::message(row)
    }
}
