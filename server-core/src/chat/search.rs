//! Searching messages: resolves a query's names (`from:`, `in:`) for the caller, asks the store
//! for candidates in rooms they belong to only, ranks them and pages with an opaque cursor.
//!
//! A cursor carries the newest message id when the search began, so messages that arrive
//! while someone pages never shift the pages. With `sort=relevance` the newest
//! [`WINDOW`] matches are ranked (recency weighs as much as the text, so older matches would
//! rarely rank anyway); `sort=newest` pages through every match.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use super::validate::name_key;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Message, MessageId, RoomId, RoomKind};
use crate::search::rank::{self, Candidate};
use crate::search::{self, Query};
use crate::store::{SearchFilter, SearchHit};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 50;
/// Matches ranked for `sort=relevance`.
pub const WINDOW: u32 = 300;

/// How results are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Newest,
}

/// A search as the client asked for it.
#[derive(Clone, Debug)]
pub struct Request {
    pub q: String,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub room_id: Option<RoomId>,
    pub sort: Sort,
}

/// The room a result is in.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RoomRef {
    pub id: RoomId,
    pub name: String,
    pub kind: RoomKind,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Found {
    pub message: Message,
    pub room: RoomRef,
    /// Character (Unicode scalar value) ranges `[start, end)` of `message.content` that matched.
    pub highlights: Vec<[usize; 2]>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    pub results: Vec<Found>,
    pub next_cursor: Option<String>,
}

/// Where a page starts: the snapshot, and the last result already given.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cursor {
    snapshot: MessageId,
    /// The last result's score (relevance only) and id.
    after: Option<(f64, MessageId)>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid("invalid_query", "q", message)
}

/// Runs a search for `caller`.
pub async fn search(ctx: &AppContext, caller: &Caller, request: Request) -> Result<Page> {
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::invalid(
            "invalid_limit",
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let query = search::parse(&request.q).map_err(|e| invalid(e.0))?;
    let cursor = match &request.cursor {
        Some(c) => decode_cursor(c)?,
        None => Cursor {
            snapshot: ctx.store.newest_message_id().await?,
            after: None,
        },
    };
    let mut filter = filter_for(ctx, caller, &query).await?;
    if let Some(room) = request.room_id {
        if filter.room.is_some_and(|r| r != room) {
            return Ok(Page {
                results: Vec::new(),
                next_cursor: None,
            });
        }
        filter.room = Some(room);
    }
    filter.max_id = cursor.snapshot;

    let sort = if query.has_text() {
        request.sort
    } else {
        Sort::Newest
    };
    let (ids, more) = match sort {
        Sort::Newest => {
            if let Some((_, last)) = cursor.after {
                filter.max_id = filter.max_id.min(last - 1);
            }
            let hits = ctx.store.search(&filter, limit + 1).await?;
            let more = hits.len() > limit as usize;
            let ids: Vec<(f64, MessageId)> = hits.iter().take(limit as usize).map(|h| (0.0, h.id)).collect();
            (ids, more)
        }
        Sort::Relevance => {
            let hits = ctx.store.search(&filter, WINDOW).await?;
            let mut ranked = ranked(&query, &hits);
            if let Some(after) = cursor.after {
                ranked.retain(|r| before_in_order(*r, after));
            }
            let more = ranked.len() > limit as usize;
            ranked.truncate(limit as usize);
            (ranked, more)
        }
    };
    let next_cursor = match (more, ids.last()) {
        (true, Some(last)) => Some(encode_cursor(Cursor {
            snapshot: cursor.snapshot,
            after: Some(*last),
        })),
        _ => None,
    };
    let messages = ctx
        .store
        .messages_in_order(&ids.iter().map(|(_, id)| *id).collect::<Vec<_>>())
        .await?;
    let mut room_ids: Vec<RoomId> = messages.iter().map(|m| m.room_id).collect();
    room_ids.sort_unstable();
    room_ids.dedup();
    let rooms: HashMap<RoomId, RoomRef> = ctx
        .store
        .room_summaries(&room_ids)
        .await?
        .into_iter()
        .map(|(id, name, kind)| (id, RoomRef { id, name, kind }))
        .collect();
    let results = messages
        .into_iter()
        .filter_map(|message| {
            let room = rooms.get(&message.room_id)?.clone();
            let highlights = rank::highlights(&query, &message.content);
            Some(Found {
                message,
                room,
                highlights,
            })
        })
        .collect();
    Ok(Page { results, next_cursor })
}

/// Best first: higher score, then newer.
fn ranked(query: &Query, hits: &[SearchHit]) -> Vec<(f64, MessageId)> {
    let candidates: Vec<Candidate<'_>> = hits
        .iter()
        .map(|h| Candidate {
            id: h.id,
            content: &h.content,
            timestamp: h.timestamp,
        })
        .collect();
    let mut ranked: Vec<(f64, MessageId)> = rank::scores(query, &candidates)
        .into_iter()
        .zip(candidates.iter().map(|c| c.id))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    ranked
}

/// Whether `item` comes after `last` in ranked order.
fn before_in_order(item: (f64, MessageId), last: (f64, MessageId)) -> bool {
    item.0.total_cmp(&last.0).then(item.1.cmp(&last.1)).is_lt()
}

/// The store filter for the query's filters, with names resolved for `caller`.
async fn filter_for(ctx: &AppContext, caller: &Caller, query: &Query) -> Result<SearchFilter> {
    let mut filter = SearchFilter {
        user: caller.user_id,
        matching: query.fts(),
        has_attachment: query.has.file,
        has_image: query.has.image,
        has_link: query.has.link,
        pinned: query.pinned,
        ..SearchFilter::default()
    };
    if let Some(name) = &query.from {
        let user = ctx.store.user_by_key(&name_key(name)).await?;
        filter.from = Some(
            user.ok_or_else(|| invalid(format!("from:{name}: no one has that name")))?
                .id,
        );
    }
    if let Some(name) = &query.room {
        let room = ctx
            .store
            .member_room_by_key(caller.user_id, &name_key(name))
            .await?;
        filter.room =
            Some(room.ok_or_else(|| invalid(format!("in:{name}: you are in no room of that name")))?);
    }
    let day = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
    let next_day = |d: NaiveDate| d.succ_opt().map_or(i64::MAX, day);
    let mut since = query.after.map(next_day);
    let mut until = query.before.map(day);
    if let Some(on) = query.on {
        since = Some(since.unwrap_or(i64::MIN).max(day(on)));
        until = Some(until.unwrap_or(i64::MAX).min(next_day(on)));
    }
    filter.since = since;
    filter.until = until;
    Ok(filter)
}

fn encode_cursor(cursor: Cursor) -> String {
    let text = match cursor.after {
        Some((score, id)) => format!("{}.{:x}.{}", cursor.snapshot, score.to_bits(), id),
        None => cursor.snapshot.to_string(),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(raw: &str) -> Result<Cursor> {
    let bad = || {
        Error::invalid(
            "invalid_cursor",
            "cursor",
            "the cursor is not one this server gave",
        )
    };
    let text = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let mut parts = text.split('.');
    let snapshot = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let after = match (parts.next(), parts.next()) {
        (Some(score), Some(id)) => Some((
            f64::from_bits(u64::from_str_radix(score, 16).map_err(|_| bad())?),
            id.parse().map_err(|_| bad())?,
        )),
        (None, None) => None,
        _ => return Err(bad()),
    };
    Ok(Cursor { snapshot, after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            snapshot: 42,
            after: Some((1.25, 7)),
        };
        assert_eq!(decode_cursor(&encode_cursor(c)).unwrap(), c);
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("1.zz.3")).is_err());
    }
}
