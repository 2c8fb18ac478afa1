//! Routes for threads: a thread's replies, the threads I follow, following and reading one.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::api::{Api, endpoint};
use super::{authed, json, no_content, route};
use crate::chat::threads;
use crate::context::AppContext;
use crate::error::{ErrorResponse, Result};
use crate::model::{Caller, Message, MessageId};

pub fn routes(ctx: AppContext, api: &mut Api) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let page = endpoint!(api, __path_page, MessageId)
        .and(warp::query::<PageQuery>())
        .and(authed())
        .then(page);
    let read = endpoint!(api, __path_read, MessageId).and(authed()).then(read);
    let follow = endpoint!(api, __path_follow, MessageId)
        .and(authed())
        .then(follow);
    let unfollow = endpoint!(api, __path_unfollow, MessageId)
        .and(authed())
        .then(unfollow);
    let followed = endpoint!(api, __path_followed).and(authed()).then(followed);
    route(page)
        .or(route(read))
        .unify()
        .or(route(follow))
        .unify()
        .or(route(unfollow))
        .unify()
        .or(route(followed))
        .unify()
        .boxed()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    after: Option<MessageId>,
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ThreadBody {
    root: Message,
    messages: Vec<Message>,
    has_more: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct FollowedBody {
    threads: Vec<FollowedItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct FollowedItem {
    root: Message,
    unread_count: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
struct FollowBody {
    root_id: MessageId,
    is_following: bool,
}

/// The thread's root and its replies after
/// `after`, oldest first.
#[utoipa::path(get, path = "/api/messages/{id}/thread", operation_id = "thread", tag = "threads",
    params(("id" = i64, Path)),
    responses((status = 200, description = "A page of the thread’s replies.", body = ThreadBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn page(id: MessageId, query: PageQuery, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let page = threads::replies(&ctx, &caller?, id, query.after, query.limit).await?;
    Ok(json(
        StatusCode::OK,
        &ThreadBody {
            root: page.root,
            messages: page.replies,
            has_more: page.has_more,
        },
    ))
}

/// I have read the thread up to its newest reply.
#[utoipa::path(post, path = "/api/messages/{id}/thread/read", operation_id = "mark_thread_read", tag = "threads",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Done."),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn read(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    threads::mark_read(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}

/// Follow the thread.
#[utoipa::path(put, path = "/api/messages/{id}/follow", tag = "threads",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The thread's root, now followed.", body = FollowBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn follow(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    set_following(id, ctx, caller, true).await
}

/// Stop following the thread.
#[utoipa::path(delete, path = "/api/messages/{id}/follow", tag = "threads",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The thread's root, no longer followed.", body = FollowBody),
        (status = 404, description = "`not_found`.", body = ErrorResponse)))]
async fn unfollow(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    set_following(id, ctx, caller, false).await
}

async fn set_following(id: MessageId, ctx: AppContext, caller: Result<Caller>, on: bool) -> Result<Response> {
    let root_id = threads::follow(&ctx, &caller?, id, on).await?;
    Ok(json(
        StatusCode::OK,
        &FollowBody {
            root_id,
            is_following: on,
        },
    ))
}

/// The threads I follow, most recently active first, with unread replies.
#[utoipa::path(get, path = "/api/threads", tag = "threads",
    responses((status = 200, description = "The threads I follow, with unread counts.", body = FollowedBody)))]
async fn followed(ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    let threads = threads::followed(&ctx, &caller?).await?;
    let threads = threads
        .into_iter()
        .map(|t| FollowedItem {
            root: t.root,
            unread_count: t.unread_count,
        })
        .collect();
    Ok(json(StatusCode::OK, &FollowedBody { threads }))
}
