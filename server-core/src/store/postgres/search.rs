//! SQL for full-text search on PostgreSQL: the `search` tsvector of each message, written with
//! the message, and finding candidates for a query. Segmenting and ranking are the same as on
//! SQLite (`crate::search`): only how the index holds the terms differs.

use async_trait::async_trait;

use super::PgStore;
use crate::error::{Error, Result};
use crate::model::{Message, MessageId, MessageType, RoomId, RoomKind, UserId};
use crate::search::index_text;
use crate::store::SearchStore;
use crate::store::prelude::*;
use crate::store::{SearchFilter, SearchHit};

/// The conditions every search shares, after its `where`: `$1` the searcher, `$3` the highest
/// id, `$4`–`$9` and `$11` the filters (see `SearchFilter`). `ilike`, not `like`: SQLite's
/// `like` ignores ASCII case, and `WWW.` is a link there too.
macro_rules! pg_search_conditions {
    () => {
        concat!(
            "m.id <= $3 and not m.is_deleted and m.message_type <> 'system' ",
            "and m.room_id in (select room_id from room_memberships where user_id = $1) ",
            "and ($4::bigint is null or m.user_id = $4) and ($5::bigint is null or m.room_id = $5) ",
            "and ($6::bigint is null or m.timestamp >= $6) and ($7::bigint is null or m.timestamp < $7) ",
            "and ($8 = 0 or exists (select 1 from attachments a where a.message_id = m.id ",
            "and ($8 = 1 or a.is_image))) ",
            "and (not $9 or m.content ilike '%://%' or m.content ilike '%www.%') ",
            "and (not $11 or m.pinned_at is not null) ",
        )
    };
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search(&self, filter: &SearchFilter, limit: u32) -> Result<Vec<SearchHit>> {
        // The match expression is the one SQLite's FTS5 runs (`Query::fts`), read as the same
        // tsquery (see `tsquery`).
        let matching = filter.matching.as_deref().map(tsquery).transpose()?;
        let sql = if matching.is_some() {
            concat!(
                "select m.id, m.content, m.timestamp from messages m ",
                "where m.search @@ $2::tsquery and ",
                pg_search_conditions!(),
                "order by m.id desc limit $10"
            )
        } else {
            concat!(
                "select m.id, m.content, m.timestamp from messages m ",
                "where $2::text is null and ",
                pg_search_conditions!(),
                "order by m.id desc limit $10"
            )
        };
        let attachment: i32 = match (filter.has_image, filter.has_attachment) {
            (true, _) => 2,
            (false, true) => 1,
            _ => 0,
        };
        Ok(sqlx::query_as(sql)
            .bind(filter.user)
            .bind(matching)
            .bind(filter.max_id)
            .bind(filter.from)
            .bind(filter.room)
            .bind(filter.since)
            .bind(filter.until)
            .bind(attachment)
            .bind(filter.has_link)
            .bind(i64::from(limit))
            .bind(filter.pinned)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn newest_message_id(&self) -> Result<MessageId> {
        Ok(sqlx::query_scalar(r#"select coalesce(max(id), 0) from messages"#)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn messages_in_order(&self, ids: &[MessageId]) -> Result<Vec<Message>> {
        self.messages_by_ids(ids).await
    }

    async fn room_summaries(&self, ids: &[RoomId]) -> Result<Vec<(RoomId, String, RoomKind)>> {
        Ok(
            sqlx::query_as(r#"select id, name, kind from rooms where id = any($1)"#)
                .bind(ids)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn member_room_by_key(&self, user: UserId, name_key: &str) -> Result<Option<RoomId>> {
        Ok(sqlx::query_scalar(
            r#"select r.id from rooms r join room_memberships m on m.room_id = r.id and m.user_id = $1
               where r.name_key = $2 and r.kind = 'channel'"#,
        )
        .bind(user)
        .bind(name_key)
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// The `search` column of a message with `content`, as tsvector text; `None` when it has
/// nothing searchable (system and emoji-only messages), as SQLite leaves those out of FTS5.
///
/// Written as a tsvector literal rather than through `to_tsvector`: the terms are already
/// segmented, folded and stemmed in Rust, and a literal is taken as it is, whereas even the
/// `simple` configuration runs PostgreSQL's parser, which splits and classifies characters by
/// the database's locale. `body` terms take positions 1, 2, … with weight A (phrases need the
/// positions), `chars` the positions after them with weight B, so a phrase never spans both.
pub(super) fn vector(content: &str, kind: MessageType) -> Option<String> {
    if kind == MessageType::System {
        return None;
    }
    let indexed = index_text(content);
    if indexed.is_empty() {
        return None;
    }
    let mut out = String::new();
    let terms = indexed
        .body
        .split_whitespace()
        .map(|t| (t, 'A'))
        .chain(indexed.chars.split_whitespace().map(|t| (t, 'B')));
    // PostgreSQL keeps positions up to 16383 (later ones count as 16383): a phrase is found
    // anywhere in the first sixteen thousand terms, and a word anywhere.
    for (position, (term, weight)) in (1..).zip(terms) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&lexeme(term));
        out.push_str(&format!(":{}{weight}", position.min(16383)));
    }
    Some(out)
}

/// A term quoted for tsvector and tsquery text: in quotes, with quotes and backslashes
/// escaped (terms are letters and digits, but be safe).
fn lexeme(term: &str) -> String {
    format!("'{}'", term.replace('\\', "\\\\").replace('\'', "''"))
}

/// The tsquery for an FTS5 match expression as `Query::fts` writes it: `body : "a b"` (a
/// phrase over the A-weighted terms) becomes `'a':A <-> 'b':A`, `chars : "x"` becomes
/// `'x':B`, `AND` becomes `&`, `X NOT Y` becomes `X & !Y`; parentheses stay. Anything else is
/// not something the server wrote, and fails.
pub(super) fn tsquery(fts: &str) -> Result<String> {
    let bad = || Error::Internal(format!("not a search expression: {fts:?}"));
    let mut out = String::new();
    let mut rest = fts.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('(') {
            out.push('(');
            rest = after;
        } else if let Some(after) = rest.strip_prefix(')') {
            out.push(')');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("AND ") {
            out.push_str(" & ");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("NOT ") {
            out.push_str(" & !");
            rest = after;
        } else {
            let (weight, after) = if let Some(after) = rest.strip_prefix("body") {
                ('A', after)
            } else if let Some(after) = rest.strip_prefix("chars") {
                ('B', after)
            } else {
                return Err(bad());
            };
            let after = after.trim_start().strip_prefix(':').ok_or_else(bad)?;
            let after = after.trim_start().strip_prefix('"').ok_or_else(bad)?;
            // An FTS5 string ends at a quote not doubled.
            let mut phrase = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) if after[i + 1..].starts_with('"') => {
                        phrase.push('"');
                        chars.next();
                    }
                    Some((i, '"')) => break i + 1,
                    Some((_, c)) => phrase.push(c),
                    None => return Err(bad()),
                }
            };
            let terms: Vec<String> = phrase
                .split_whitespace()
                .map(|t| format!("{}:{weight}", lexeme(t)))
                .collect();
            if terms.is_empty() {
                return Err(bad());
            }
            out.push('(');
            out.push_str(&terms.join(" <-> "));
            out.push(')');
            rest = &after[end..];
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse;

    fn translated(q: &str) -> String {
        tsquery(&parse(q).unwrap().fts().unwrap()).unwrap()
    }

    #[test]
    fn queries_become_the_same_tsquery() {
        assert_eq!(translated("Deployed"), "(('deploy':A))");
        assert_eq!(translated("署"), "(('署':B))");
        assert_eq!(translated("明天部署"), "(('明天':A <-> '天部':A <-> '部署':A))");
        assert_eq!(translated("v2部署"), "(('v2':A) & ('部署':A))");
        assert_eq!(
            translated(r#"deploy -"b c""#),
            "((('deploy':A))) & !(('b':A <-> 'c':A))"
        );
        assert!(tsquery("body : \"open").is_err());
        assert!(tsquery("title : \"x\"").is_err());
    }

    #[test]
    fn vectors_hold_body_then_chars() {
        assert_eq!(
            vector("v2部署", MessageType::Text).as_deref(),
            Some("'v2':1A '部署':2A '部':3B '署':4B")
        );
        assert_eq!(vector("🎉", MessageType::Text), None);
        assert_eq!(vector("joined", MessageType::System), None);
        assert_eq!(lexeme("it's"), "'it''s'");
    }
}
