//! People: finding someone by the start of their name, a person's profile, and the status
//! each person sets for others to see (`online`, `away`, `dnd`, with an optional text).

use serde::Deserialize;

use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::{Audience, Origin};
use crate::model::{Caller, Status, User, UserId, UserStatus};

pub const DEFAULT_RESULTS: u32 = 20;
pub const MAX_RESULTS: u32 = 50;
/// Longest status text, in characters.
pub const STATUS_TEXT_CHARS: usize = 100;

/// People whose name starts with `q` (ignoring case in every script), by name; at most
/// `limit` (1–50, default 20). An empty `q` lists people from the start of the alphabet.
pub async fn search(ctx: &AppContext, q: &str, limit: Option<u32>) -> Result<Vec<User>> {
    let limit = limit.unwrap_or(DEFAULT_RESULTS);
    if limit == 0 || limit > MAX_RESULTS {
        return Err(Error::invalid(
            "invalid_limit",
            "limit",
            "limit must be between 1 and 50",
        ));
    }
    let prefix = validate::login_key(q.trim_start_matches('@'))
        .map_err(|_| Error::invalid("invalid_query", "q", "no username is that long"))?;
    let mut users = ctx.store.search_users(&prefix, limit).await?;
    for user in &mut users {
        super::presence::settle(ctx, user);
    }
    Ok(users)
}

/// Person `id`'s profile; 404 if there is no such account.
pub async fn profile(ctx: &AppContext, id: UserId) -> Result<User> {
    let mut user = ctx.store.user(id).await?.ok_or(Error::not_found("user"))?;
    super::presence::settle(ctx, &mut user);
    Ok(user)
}

/// The statuses someone may choose, for the document (`Status` without `offline`).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ChosenStatus {
    Online,
    Away,
    Dnd,
}

/// A status someone sets.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StatusChoice {
    /// `offline` is not chosen: it is having no connection.
    #[schema(value_type = ChosenStatus)]
    pub status: Status,
    /// Absent or empty: no text.
    #[serde(default)]
    pub status_text: Option<String>,
}

/// Sets the caller's status and tells everyone connected (`user_status_update`, as presence
/// changes are told; the asking socket's copy carries its `ref`).
pub async fn set_status(
    ctx: &AppContext,
    caller: &Caller,
    choice: StatusChoice,
    origin: Option<Origin<'_>>,
) -> Result<UserStatus> {
    if choice.status == Status::Offline {
        return Err(Error::invalid(
            "invalid_status",
            "status",
            "status is online, away or dnd; offline is when you have no connection",
        ));
    }
    let text = choice
        .status_text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(text) = text {
        if text.chars().count() > STATUS_TEXT_CHARS {
            return Err(Error::invalid(
                "invalid_status_text",
                "status_text",
                format!("status text may be at most {STATUS_TEXT_CHARS} characters long"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(Error::invalid(
                "invalid_status_text",
                "status_text",
                "status text may not contain control characters",
            ));
        }
    }
    let online = super::presence::is_online(ctx, caller.user_id).await?;
    let status = ctx
        .store
        .set_status(caller.user_id, choice.status, text, online)
        .await?
        .ok_or(Error::Unauthorized)?;
    ctx.fanout.publish(
        Audience::everyone().from(origin),
        &events::user_status_update(&status),
    );
    Ok(status)
}
