//! Routes for threads: a thread's replies, the threads I follow, following and reading one.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::{authed, json, no_content, route};
use crate::chat::threads;
use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Message, MessageId};

pub fn routes(ctx: AppContext) -> BoxedFilter<(Response,)> {
    let authed = || authed(ctx.clone());
    let page = warp::path!("messages" / MessageId / "thread")
        .and(warp::get())
        .and(warp::query::<PageQuery>())
        .and(authed())
        .then(page);
    let read = warp::path!("messages" / MessageId / "thread" / "read")
        .and(warp::post())
        .and(authed())
        .then(read);
    let follow = warp::path!("messages" / MessageId / "follow")
        .and(warp::put())
        .and(authed())
        .then(follow);
    let unfollow = warp::path!("messages" / MessageId / "follow")
        .and(warp::delete())
        .and(authed())
        .then(unfollow);
    let followed = warp::path!("threads")
        .and(warp::get())
        .and(authed())
        .then(followed);
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

#[derive(Deserialize)]
struct PageQuery {
    after: Option<MessageId>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct ThreadBody {
    root: Message,
    messages: Vec<Message>,
    has_more: bool,
}

#[derive(Serialize)]
struct FollowedBody {
    threads: Vec<FollowedItem>,
}

#[derive(Serialize)]
struct FollowedItem {
    root: Message,
    unread_count: i64,
}

#[derive(Serialize)]
struct FollowBody {
    root_id: MessageId,
    is_following: bool,
}

/// GET /api/messages/{id}/thread?after=&limit= — the thread's root and its replies after
/// `after`, oldest first.
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

/// POST /api/messages/{id}/thread/read — I have read the thread up to its newest reply.
async fn read(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    threads::mark_read(&ctx, &caller?, id, None).await?;
    Ok(no_content())
}

/// PUT /api/messages/{id}/follow — follow the thread.
async fn follow(id: MessageId, ctx: AppContext, caller: Result<Caller>) -> Result<Response> {
    set_following(id, ctx, caller, true).await
}

/// DELETE /api/messages/{id}/follow — stop following the thread.
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

/// GET /api/threads — the threads I follow, most recently active first, with unread replies.
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
