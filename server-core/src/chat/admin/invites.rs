//! Invites: administrators make, list and revoke them; registration under the `invite`
//! policy uses one up (see `accounts::register`).

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{audit, require};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Invite};
use crate::store::NewInvite;

const HOUR_MS: i64 = 60 * 60 * 1000;
/// A year: longer-lived invites are better made unlimited and revoked when done.
const MAX_HOURS: u32 = 24 * 366;
const MAX_USES: u32 = 10_000;

/// What an administrator asks for: both optional (unlimited uses, never expires).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Request {
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_uses: Option<u32>,
    #[schema(minimum = 1, maximum = 8784)]
    pub expires_in_hours: Option<u32>,
}

pub async fn create(
    ctx: &AppContext,
    caller: &Caller,
    request: &Request,
    addr: Option<IpAddr>,
) -> Result<Invite> {
    require(caller)?;
    if request.max_uses.is_some_and(|n| !(1..=MAX_USES).contains(&n)) {
        return Err(Error::invalid(
            "invalid_invite",
            "max_uses",
            format!("max_uses must be 1 to {MAX_USES}"),
        ));
    }
    if request
        .expires_in_hours
        .is_some_and(|h| !(1..=MAX_HOURS).contains(&h))
    {
        return Err(Error::invalid(
            "invalid_invite",
            "expires_in_hours",
            format!("expires_in_hours must be 1 to {MAX_HOURS}"),
        ));
    }
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let code = URL_SAFE_NO_PAD.encode(raw);
    let now = ctx.clock.now();
    let new = NewInvite {
        code: &code,
        created_by: caller.user_id,
        expires_at: request.expires_in_hours.map(|h| now + i64::from(h) * HOUR_MS),
        max_uses: request.max_uses,
    };
    let invite = ctx.store.create_invite(&new, now).await?;
    audit(
        ctx,
        (caller.user_id, &caller.username),
        "create_invite",
        Some(&code),
        addr,
    )
    .await;
    Ok(invite)
}

pub async fn list(ctx: &AppContext, caller: &Caller) -> Result<Vec<Invite>> {
    require(caller)?;
    ctx.store.invites().await
}

pub async fn revoke(ctx: &AppContext, caller: &Caller, code: &str, addr: Option<IpAddr>) -> Result<()> {
    require(caller)?;
    if !ctx.store.revoke_invite(code, ctx.clock.now()).await? {
        return Err(Error::not_found("invite"));
    }
    audit(
        ctx,
        (caller.user_id, &caller.username),
        "revoke_invite",
        Some(code),
        addr,
    )
    .await;
    Ok(())
}

/// Takes one use of `code` for a registration, or answers `403 invalid_invite`.
pub async fn take(ctx: &AppContext, code: &str) -> Result<()> {
    if code.len() > 64 || !ctx.store.use_invite(code, ctx.clock.now()).await? {
        return Err(Error::forbidden(
            "invalid_invite",
            "this invite is not valid: it is wrong, expired, used up or revoked",
        ));
    }
    Ok(())
}

/// Gives the use back when the registration then failed (a taken name).
pub async fn give_back(ctx: &AppContext, code: &str) -> Result<()> {
    ctx.store.unuse_invite(code).await
}
