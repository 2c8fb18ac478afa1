//! Routes for messages: history pages and posting under `/api/rooms/{id}/messages`, edits and
//! deletes under `/api/messages/{id}`.

use std::collections::HashMap;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, json_body, no_content, route};
use crate::chat::messages::{self, Draft};
use crate::context::AppContext;
use crate::error::{Error, ErrorResponse, Result};
use crate::model::{Caller, Message, MessageId, RoomId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let history = endpoint!(api, __path_history, RoomId)
        .and(warp::query::<HashMap<String, String>>())
        .and(authed())
        .then(history);
    let send = endpoint!(api, __path_send, RoomId)
        .and(authed())
        .and(json_body::<Draft>())
        .then(send);
    let edit = endpoint!(api, __path_edit, MessageId)
        .and(authed())
        .and(json_body::<EditBody>())
        .then(edit);
    let delete = endpoint!(api, __path_delete, MessageId)
        .and(authed())
        .then(delete);
    route(history)
        .or(route(send))
        .unify()
        .or(route(edit))
        .unify()
        .or(route(delete))
        .unify()
        .boxed()
}

#[derive(Serialize, utoipa::ToSchema)]
struct HistoryBody {
    messages: Vec<Message>,
    has_more: bool,
    /// Only for an `around` page: newer messages exist past it.
    #[serde(skip_serializing_if = "Option::is_none")]
    has_newer: Option<bool>,
    changes_rev: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct MessageBody {
    message: Message,
}

/// A page of history, oldest first;
/// `?around=MESSAGE&limit=` — the page around one message; or `?changed_after=REV&limit=` — the
/// messages edited or deleted since an earlier page.
#[utoipa::path(get, path = "/api/rooms/{id}/messages", tag = "messages",
    params(("id" = i64, Path),
        ("before" = Option<i64>, Query, description = "Messages older than this id."),
        ("after" = Option<i64>, Query, description = "Messages newer than this id (catching up)."),
        ("around" = Option<i64>, Query, description = "The page around this message (not with the others)."),
        ("changed_after" = Option<i64>, Query, description = "Messages edited, deleted or reacted to since this revision."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "At most this many (default 50).")),
    responses((status = 200, description = "A page of messages.", body = HistoryBody),
        (status = 400, description = "`invalid_query`: a parameter is not a number, or they do not go together.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn history(
    id: RoomId,
    query: HashMap<String, String>,
    ctx: AppContext,
    caller: Result<Caller>,
) -> Result<Response> {
    let caller = caller?;
    let before = number(&query, "before")?;
    let after = number(&query, "after")?;
    let limit = number(&query, "limit")?;
    let around = number(&query, "around")?;
    let changed_after = number(&query, "changed_after")?;
    if around.is_some() && (before.is_some() || after.is_some() || changed_after.is_some()) {
        return Err(Error::invalid(
            "invalid_query",
            "around",
            "around cannot be combined with before, after or changed_after",
        ));
    }
    let page = match (changed_after, around) {
        (Some(_), _) if before.is_some() || after.is_some() => {
            return Err(Error::invalid(
                "invalid_query",
                "changed_after",
                "changed_after cannot be combined with before or after",
            ));
        }
        (Some(rev), _) => messages::changes(&ctx, &caller, id, rev, limit).await?,
        (None, Some(around)) => messages::history_around(&ctx, &caller, id, around, limit).await?,
        (None, None) => {
            let paging = messages::paging(before, after, limit)?;
            messages::history(&ctx, &caller, id, paging).await?
        }
    };
    let body = HistoryBody {
        messages: page.messages,
        has_more: page.has_more,
        has_newer: page.has_newer,
        changes_rev: page.changes_rev,
    };
    Ok(json(StatusCode::OK, &body))
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

/// Post a message (201; 200 with the original for a repeated
/// `client_msg_id`).
#[utoipa::path(post, path = "/api/rooms/{id}/messages", tag = "messages",
    params(("id" = i64, Path)),
    request_body = Draft,
    responses((status = 201, description = "The message, stored.", body = MessageBody,
            links(("EditMessage" = (operation_id = "edit", parameters(("id" = "$response.body#/message/id")))), ("DeleteMessage" = (operation_id = "delete_message", parameters(("id" = "$response.body#/message/id")))), ("PinMessage" = (operation_id = "pin", parameters(("id" = "$response.body#/message/id")))), ("GetThread" = (operation_id = "thread", parameters(("id" = "$response.body#/message/id")))), ("FollowThread" = (operation_id = "follow", parameters(("id" = "$response.body#/message/id")))))),
        (status = 200, description = "A retried `client_msg_id`: the message stored the first time.", body = MessageBody),
        (status = 400, description = "`invalid_content`, `invalid_message_type`, `invalid_client_msg_id`, `invalid_reply_to`, `reply_to_deleted`, `invalid_thread_id`, `thread_root_deleted`.", body = ErrorResponse),
        (status = 403, description = "`not_a_member`, `room_archived`.", body = ErrorResponse),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn send(id: RoomId, ctx: AppContext, caller: Result<Caller>, draft: Result<Draft>) -> Result<Response> {
    let caller = caller?;
    let sent = messages::send(&ctx, &caller, id, draft?, None)
        .await?
        .ok_or_else(|| Error::Internal("a REST send was not answered".into()))?;
    Ok(sent_reply(sent))
}

/// The answer to a stored send or upload: `201` with the message when it was created, `200`
/// when a retried `client_msg_id` found the one stored before.
pub(super) fn sent_reply(sent: messages::Sent) -> Response {
    let status = if sent.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json(
        status,
        &MessageBody {
            message: sent.message,
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EditBody {
    content: String,
}

/// Edit my own message.
#[utoipa::path(put, path = "/api/messages/{id}", tag = "messages",
    params(("id" = i64, Path)),
    request_body = EditBody,
    responses((status = 200, description = "The message as edited.", body = MessageBody,
            links(("DeleteMessage" = (operation_id = "delete_message", parameters(("id" = "$request.path.id")))))),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn edit(
    id: MessageId,
    ctx: AppContext,
    caller: Result<Caller>,
    body: Result<EditBody>,
) -> Result<Response> {
    let caller = caller?;
    let message = messages::edit(&ctx, &caller, id, &body?.content, None).await?;
    Ok(json(StatusCode::OK, &MessageBody { message }))
}

/// Delete a message (its author or the room's admin).
#[utoipa::path(delete, path = "/api/messages/{id}", operation_id = "delete_message", tag = "messages",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn delete(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    messages::delete(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}
