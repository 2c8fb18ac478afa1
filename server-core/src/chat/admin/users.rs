//! Accounts as server administrators manage them: listing and searching, deactivating and
//! reactivating, resetting a password, promoting and demoting. Each action is audited.

use std::net::IpAddr;

use super::{audit, cli, require};
use crate::chat::{accounts, validate};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::fanout::SessionEnd;
use crate::model::{AdminUser, Caller, UserId};
use crate::store::Demotion;

/// The most accounts one listing returns.
const MAX_LISTED: u32 = 500;

/// Accounts whose name contains `q` (all when empty), oldest first.
pub async fn list(ctx: &AppContext, caller: &Caller, q: &str) -> Result<Vec<AdminUser>> {
    require(caller)?;
    let q = validate::login_key(q).map_err(|_| Error::bad_request("invalid_query", "q is too long"))?;
    ctx.store.admin_users(&q, MAX_LISTED).await
}

/// An account an administrator creates.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub is_server_admin: bool,
}

/// Creates an account (a member of the default rooms, announced there) with a temporary
/// password, returned for the administrator to pass on; it must be changed at first sign-in.
pub async fn create(
    ctx: &AppContext,
    caller: &Caller,
    new: &NewAccount<'_>,
    addr: Option<IpAddr>,
) -> Result<(AdminUser, String)> {
    require(caller)?;
    let username = validate::new_username(new.username)?;
    let email = validate::email(new.email)?;
    let password = cli::temporary_password()?;
    let (me, rooms) =
        accounts::create_user(ctx, &username, &password, email.as_deref(), new.is_server_admin).await?;
    ctx.store.require_password_change(me.user.id).await?;
    accounts::welcome(ctx, &me, rooms).await;
    let action = if new.is_server_admin {
        "create_admin"
    } else {
        "create_user"
    };
    audit(ctx, actor(caller), action, Some(&me.user.username), addr).await;
    Ok((target(ctx, me.user.id).await?, password))
}

/// Signs `id` out everywhere (sockets closed at once) and refuses its sign-ins until it is
/// reactivated. Its messages stay.
pub async fn deactivate(
    ctx: &AppContext,
    caller: &Caller,
    id: UserId,
    addr: Option<IpAddr>,
) -> Result<AdminUser> {
    require(caller)?;
    not_own(caller, id, "another administrator must deactivate your account")?;
    let before = target(ctx, id).await?;
    let (outcome, revoked) = ctx.store.deactivate(id, ctx.clock.now()).await?;
    match outcome {
        Demotion::LastAdmin => return Err(cli::last_admin()),
        Demotion::NotAdmin => return target(ctx, id).await,
        Demotion::Done => {}
    }
    ctx.fanout
        .close_sessions(&revoked, SessionEnd::AccountDeactivated);
    audit(ctx, actor(caller), "deactivate", Some(&before.username), addr).await;
    target(ctx, id).await
}

/// Lets a deactivated account sign in again.
pub async fn reactivate(
    ctx: &AppContext,
    caller: &Caller,
    id: UserId,
    addr: Option<IpAddr>,
) -> Result<AdminUser> {
    require(caller)?;
    let before = target(ctx, id).await?;
    if ctx.store.reactivate(id).await? {
        audit(ctx, actor(caller), "reactivate", Some(&before.username), addr).await;
    }
    target(ctx, id).await
}

/// Sets a temporary password (returned, for the administrator to pass on) that signs in once
/// and must then be changed; every session of the account ends.
pub async fn reset_password(
    ctx: &AppContext,
    caller: &Caller,
    id: UserId,
    addr: Option<IpAddr>,
) -> Result<String> {
    require(caller)?;
    not_own(caller, id, "change your own password in your account settings")?;
    let before = target(ctx, id).await?;
    let password = cli::temporary_password()?;
    let hash = ctx.passwords.hash(password.clone()).await?;
    let revoked = ctx.store.reset_password(id, &hash).await?;
    ctx.fanout.close_sessions(&revoked, SessionEnd::PasswordReset);
    audit(ctx, actor(caller), "reset_password", Some(&before.username), addr).await;
    Ok(password)
}

/// Makes `id` a server administrator.
pub async fn promote(
    ctx: &AppContext,
    caller: &Caller,
    id: UserId,
    addr: Option<IpAddr>,
) -> Result<AdminUser> {
    require(caller)?;
    let before = target(ctx, id).await?;
    if ctx.store.promote(id).await? {
        audit(ctx, actor(caller), "promote", Some(&before.username), addr).await;
    }
    target(ctx, id).await
}

/// Takes the administrator role from `id`, never from the last active administrator.
pub async fn demote(
    ctx: &AppContext,
    caller: &Caller,
    id: UserId,
    addr: Option<IpAddr>,
) -> Result<AdminUser> {
    require(caller)?;
    let before = target(ctx, id).await?;
    match ctx.store.demote(id).await? {
        Demotion::LastAdmin => return Err(cli::last_admin()),
        Demotion::Done => audit(ctx, actor(caller), "demote", Some(&before.username), addr).await,
        Demotion::NotAdmin => {}
    }
    target(ctx, id).await
}

/// Refuses an action that would sign the acting administrator out of the very session they act
/// from (and, for deactivation, lock them out): `409 own_account`.
fn not_own(caller: &Caller, id: UserId, message: &'static str) -> Result<()> {
    if caller.user_id == id {
        return Err(Error::conflict("own_account", None, message));
    }
    Ok(())
}

fn actor(caller: &Caller) -> (UserId, &str) {
    (caller.user_id, &caller.username)
}

async fn target(ctx: &AppContext, id: UserId) -> Result<AdminUser> {
    ctx.store.admin_user(id).await?.ok_or(Error::not_found("user"))
}
