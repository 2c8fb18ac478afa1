//! Accounts and sessions: registration, login (throttled, timing-safe), bearer-token
//! authentication, logout, password changes and profile edits.

use std::net::IpAddr;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::throttle::{Attempt, Device};
use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::hub::close;
use crate::model::{Caller, Me, SystemEvent};
use crate::store::{NewUser, ProfileUpdate};
use crate::time::Millis;

const SESSION_DAYS: i64 = 7;
const REMEMBERED_SESSION_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A freshly issued session.
#[derive(Debug)]
pub struct Issued {
    /// The bearer token: shown to the client once, stored only as a hash.
    pub token: String,
    pub user: Me,
    pub expires_at: Millis,
    /// Lets this device through the login throttle for this account later (see `throttle`).
    pub device_token: String,
}

/// Registration input.
pub struct Registration<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub email: Option<&'a str>,
    /// The client's address: registrations are limited per address.
    pub addr: Option<IpAddr>,
}

/// Creates an account (a member of the default rooms, announced there) and logs it in.
pub async fn register(ctx: &AppContext, input: Registration<'_>) -> Result<Issued> {
    let username = validate::new_username(input.username)?;
    ctx.passwords
        .check_new(input.password, &username.key, "password")?;
    let email = validate::email(input.email)?;
    ctx.limits.register(input.addr)?;
    let (me, rooms) = create_user(ctx, &username, input.password, email.as_deref(), false).await?;
    for room in rooms {
        super::rooms::announce_member(ctx, room.id, me.user.id).await;
        let event = SystemEvent::MemberJoined {
            user_id: me.user.id,
            username: me.user.username.clone(),
        };
        ctx.log.post_system(room.id, &room.name, &event).await;
    }
    issue(ctx, me, false, &username.key).await
}

/// Creates an account without logging in; used for registration and the demo accounts.
pub async fn create_user(
    ctx: &AppContext,
    username: &validate::Username,
    password: &str,
    email: Option<&str>,
    is_admin: bool,
) -> Result<(Me, Vec<crate::store::RoomRow>)> {
    let password_hash = ctx.passwords.hash(password.to_owned()).await?;
    let new = NewUser {
        username: &username.display,
        username_key: &username.key,
        username_skeleton: &username.skeleton,
        email,
        password_hash: &password_hash,
        is_admin,
    };
    // Emails are deliberately not unique: a conflict would tell anyone which addresses have
    // accounts here (see docs/security.md).
    ctx.store.create_user(&new, ctx.clock.now()).await
}

/// Login input.
pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub remember: bool,
    /// The device token an earlier login or registration on this device received.
    pub device_token: Option<&'a str>,
    pub addr: Option<IpAddr>,
}

/// Checks a username and password and opens a session. Unknown users and wrong passwords get
/// the same answer after the same work; repeated failures are slowed down by the throttle.
pub async fn login(ctx: &AppContext, input: Login<'_>) -> Result<Issued> {
    // Before any lookup or hashing, so the name's length costs nothing.
    let key = validate::login_key(input.username)?;
    let attempt = Attempt {
        account: &key,
        addr: input.addr,
        device: ctx.throttle.device(&key, input.device_token),
    };
    ctx.throttle
        .check(&attempt, Instant::now())
        .map_err(|retry_after| Error::TooManyAttempts { retry_after })?;
    let credentials = ctx.store.credentials_by_key(&key).await?;
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    if !ctx.passwords.verify(input.password.to_owned(), hash).await? {
        ctx.throttle.fail(&attempt, Instant::now());
        return Err(Error::InvalidCredentials);
    }
    ctx.throttle.succeed(&attempt);
    let Some(credentials) = credentials else {
        return Err(Error::InvalidCredentials);
    };
    super::seed::refuse_demo_password(ctx, &key, input.password)?;
    let me = ctx
        .store
        .me(credentials.id)
        .await?
        .ok_or(Error::InvalidCredentials)?;
    issue(ctx, me, input.remember, &key).await
}

async fn issue(ctx: &AppContext, user: Me, remember: bool, key: &str) -> Result<Issued> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let now = ctx.clock.now();
    let days = if remember {
        REMEMBERED_SESSION_DAYS
    } else {
        SESSION_DAYS
    };
    let expires_at = now + days * DAY_MS;
    ctx.store
        .create_session(user.user.id, &token_hash(&token), now, expires_at)
        .await?;
    Ok(Issued {
        token,
        user,
        expires_at,
        device_token: ctx.throttle.device_token(key),
    })
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The caller owning `token`; 401 if it is unknown, revoked or expired.
pub async fn authenticate(ctx: &AppContext, token: &str) -> Result<Caller> {
    // Real tokens are 43 characters; anything wildly different is not worth a query.
    if token.is_empty() || token.len() > 128 {
        return Err(Error::Unauthorized);
    }
    let session = ctx
        .store
        .find_session(&token_hash(token), ctx.clock.now())
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok(Caller {
        session_id: session.session_id,
        user_id: session.user_id,
        username: session.username,
        is_server_admin: session.is_admin,
        expires_at: session.expires_at,
    })
}

/// Revokes the caller's session and closes its sockets.
pub async fn logout(ctx: &AppContext, caller: &Caller) -> Result<()> {
    ctx.store.delete_session(caller.session_id).await?;
    ctx.hub
        .close_sessions(&[caller.session_id], close::UNAUTHORIZED, "logged out");
    Ok(())
}

/// Changes the caller's password after checking the current one, and revokes every other
/// session (closing their sockets). Wrong current passwords count towards the login throttle.
pub async fn change_password(
    ctx: &AppContext,
    caller: &Caller,
    current: &str,
    new: &str,
    addr: Option<IpAddr>,
) -> Result<()> {
    let key = validate::name_key(&caller.username);
    ctx.passwords.check_new(new, &key, "new_password")?;
    // A signed-in session is a known device: an attacker elsewhere cannot lock its owner out
    // of changing the password, and five wrong guesses from the session stop it guessing.
    let attempt = Attempt {
        account: &key,
        addr,
        device: Some(Device::session(caller.session_id)),
    };
    ctx.throttle
        .check(&attempt, Instant::now())
        .map_err(|retry_after| Error::TooManyAttempts { retry_after })?;
    let credentials = ctx
        .store
        .credentials_by_id(caller.user_id)
        .await?
        .ok_or(Error::Unauthorized)?;
    if !ctx
        .passwords
        .verify(current.to_owned(), Some(credentials.password_hash))
        .await?
    {
        ctx.throttle.fail(&attempt, Instant::now());
        return Err(Error::invalid(
            "wrong_password",
            "current_password",
            "the current password is not correct",
        ));
    }
    let hash = ctx.passwords.hash(new.to_owned()).await?;
    ctx.store.set_password_hash(caller.user_id, &hash).await?;
    let revoked = ctx
        .store
        .delete_other_sessions(caller.user_id, caller.session_id)
        .await?;
    ctx.hub
        .close_sessions(&revoked, close::UNAUTHORIZED, "password changed");
    Ok(())
}

/// Profile edit input: absent fields stay, `null` or `""` clears.
pub struct ProfileEdit<'a> {
    pub email: Option<Option<&'a str>>,
    pub avatar_url: Option<Option<&'a str>>,
}

/// Updates the caller's email; `avatar_url` may only clear the avatar or repeat the current
/// one (avatars are uploaded, see [`super::avatars`]). Any valid email is accepted, even one
/// another account uses, so the answer never reveals whose addresses are registered.
pub async fn update_profile(ctx: &AppContext, caller: &Caller, edit: ProfileEdit<'_>) -> Result<Me> {
    let email = edit.email.map(validate::email).transpose()?;
    if let Some(url) = edit.avatar_url {
        super::avatars::from_profile(ctx, caller, url).await?;
    }
    let update = ProfileUpdate {
        email,
        avatar_url: None,
    };
    ctx.store
        .update_profile(caller.user_id, &update)
        .await?
        .ok_or(Error::Unauthorized)
}

/// The caller's own account, online as the hub sees it now.
pub async fn me(ctx: &AppContext, caller: &Caller) -> Result<Me> {
    let mut me = ctx.store.me(caller.user_id).await?.ok_or(Error::Unauthorized)?;
    super::presence::settle(ctx, &mut me.user);
    Ok(me)
}
