//! Routes for messages: history pages and posting under `/api/rooms/{id}/messages`, edits and
//! deletes under `/api/messages/{id}`.

use std::collections::HashMap;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, json_body, no_content, respond};
use crate::chat::messages::{self, Draft};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Message, MessageId, RoomId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    history(ctx.clone())
        .or(send(ctx.clone()))
        .unify()
        .or(edit(ctx.clone()))
        .unify()
        .or(delete(ctx))
        .unify()
        .boxed()
}

#[derive(Serialize)]
struct HistoryBody {
    messages: Vec<Message>,
    has_more: bool,
    changes_rev: i64,
}

#[derive(Serialize)]
struct MessageBody {
    message: Message,
}

/// GET /api/rooms/{id}/messages?before=&after=&limit= — a page of history, oldest first; or
/// `?changed_after=REV&limit=` — the messages edited or deleted since an earlier page.
fn history(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "messages")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(authed(ctx))
        .then(
            |id: RoomId, query: HashMap<String, String>, ctx: AppContext, caller: Result<Caller>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let before = number(&query, "before")?;
                        let after = number(&query, "after")?;
                        let limit = number(&query, "limit")?;
                        let page = match number(&query, "changed_after")? {
                            Some(_) if before.is_some() || after.is_some() => {
                                return Err(Error::invalid(
                                    "invalid_query",
                                    "changed_after",
                                    "changed_after cannot be combined with before or after",
                                ));
                            }
                            Some(rev) => messages::changes(&ctx, &caller, id, rev, limit).await?,
                            None => {
                                let paging = messages::paging(before, after, limit)?;
                                messages::history(&ctx, &caller, id, paging).await?
                            }
                        };
                        let body = HistoryBody {
                            messages: page.messages,
                            has_more: page.has_more,
                            changes_rev: page.changes_rev,
                        };
                        Ok(json(StatusCode::OK, &body))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

/// Query parameter `name` as a number. Parsed here rather than by warp's query filter, whose
/// rejection would lose to the sibling POST route's 405.
fn number<T: std::str::FromStr>(query: &HashMap<String, String>, name: &'static str) -> Result<Option<T>> {
    query
        .get(name)
        .map(|raw| {
            raw.parse()
                .map_err(|_| Error::invalid("invalid_query", name, format!("{name} must be a whole number")))
        })
        .transpose()
}

/// POST /api/rooms/{id}/messages — post a message (201; 200 with the original for a repeated
/// `client_msg_id`).
fn send(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("rooms" / RoomId / "messages")
        .and(warp::post())
        .and(authed(ctx))
        .and(json_body::<Draft>())
        .then(
            |id: RoomId, ctx: AppContext, caller: Result<Caller>, draft: Result<Draft>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let (message, created) = messages::send(&ctx, &caller, id, draft?).await?;
                        let status = if created {
                            StatusCode::CREATED
                        } else {
                            StatusCode::OK
                        };
                        Ok(json(status, &MessageBody { message }))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

#[derive(Deserialize)]
struct EditBody {
    content: String,
}

/// PUT /api/messages/{id} — edit my own message.
fn edit(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("messages" / MessageId)
        .and(warp::put())
        .and(authed(ctx))
        .and(json_body::<EditBody>())
        .then(
            |id: MessageId, ctx: AppContext, caller: Result<Caller>, body: Result<EditBody>| async move {
                respond(
                    async {
                        let caller = caller?;
                        let message = messages::edit(&ctx, &caller, id, &body?.content, None).await?;
                        Ok(json(StatusCode::OK, &MessageBody { message }))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

/// DELETE /api/messages/{id} — delete a message (its author or the room's admin).
fn delete(ctx: AppContext) -> BoxedFilter<(Response,)> {
    warp::path!("messages" / MessageId)
        .and(warp::delete())
        .and(authed(ctx))
        .then(
            |id: MessageId, ctx: AppContext, caller: Result<Caller>| async move {
                respond(
                    async {
                        messages::delete(&ctx, &caller?, id, None).await?;
                        Ok(no_content())
                    }
                    .await,
                )
            },
        )
        .boxed()
}
