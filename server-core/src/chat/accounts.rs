//! Accounts and sessions: registration, login (throttled, timing-safe), bearer-token
//! authentication, logout, password changes and profile edits.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::throttle::{Attempt, Device};
use super::validate;
use crate::config::RegistrationPolicy;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::fanout::SessionEnd;
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
    /// Signed in with a temporary password an administrator set: the client must have its
    /// owner choose a new one now.
    pub password_change_required: bool,
}

/// Registration input.
pub struct Registration<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub email: Option<&'a str>,
    /// The client's address: registrations are limited per address.
    pub addr: Option<IpAddr>,
    /// The first-administrator setup code (see `admin::setup`): the account becomes the
    /// server's administrator.
    pub setup_code: Option<&'a str>,
    /// An invite, needed under the `invite` policy.
    pub invite: Option<&'a str>,
}

/// Creates an account (a member of the default rooms, announced there) and logs it in.
pub async fn register(ctx: &AppContext, input: Registration<'_>) -> Result<Issued> {
    let username = validate::new_username(input.username)?;
    ctx.passwords
        .check_new(input.password, &username.key, "password")?;
    let email = validate::email(input.email)?;
    ctx.limits.register(input.addr).await?;
    let ticket = admit(ctx, &input).await?;
    let is_admin = matches!(ticket, Ticket::Setup(_));
    let (me, rooms) = match create_user(ctx, &username, input.password, email.as_deref(), is_admin).await {
        Ok(created) => created,
        Err(e) => {
            ticket.give_back(ctx).await?;
            return Err(e);
        }
    };
    if is_admin {
        tracing::info!(user_id = me.user.id, username = %me.user.username, "the first administrator registered with the setup code");
        let actor = (me.user.id, me.user.username.as_str());
        super::admin::audit(ctx, actor, "register_admin", Some(&me.user.username), input.addr).await;
    }
    welcome(ctx, &me, rooms).await;
    issue(ctx, me, false, &username.key).await
}

/// What let a registration through, used up before the account is created and given back
/// if it could not be.
enum Ticket<'a> {
    Open,
    Setup(&'a str),
    Invite(&'a str),
}

impl Ticket<'_> {
    async fn give_back(&self, ctx: &AppContext) -> Result<()> {
        match self {
            Ticket::Open => Ok(()),
            Ticket::Setup(code) => super::admin::setup::restore(ctx, code).await,
            Ticket::Invite(code) => super::admin::invites::give_back(ctx, code).await,
        }
    }
}

/// The registration policy: the setup code always admits (it makes the first administrator);
/// an invite admits under `open` and `invite`; nothing else admits under `invite` or `closed`.
async fn admit<'a>(ctx: &AppContext, input: &Registration<'a>) -> Result<Ticket<'a>> {
    if let Some(code) = input.setup_code {
        super::admin::setup::consume(ctx, code).await?;
        return Ok(Ticket::Setup(code));
    }
    let policy = ctx.settings.get().registration;
    let closed = || {
        Error::forbidden(
            "registration_closed",
            match policy {
                RegistrationPolicy::Closed => {
                    "this server does not accept new accounts; ask an administrator to create yours"
                }
                _ => "this server accepts new accounts only with an invite; ask an administrator for one",
            },
        )
    };
    match (input.invite, policy) {
        (_, RegistrationPolicy::Closed) => Err(closed()),
        (Some(code), _) => {
            super::admin::invites::take(ctx, code).await?;
            Ok(Ticket::Invite(code))
        }
        (None, RegistrationPolicy::Invite) => Err(closed()),
        (None, RegistrationPolicy::Open) => Ok(Ticket::Open),
    }
}

/// Tells the default rooms a new account joined them.
pub async fn welcome(ctx: &AppContext, me: &Me, rooms: Vec<crate::store::RoomRow>) {
    for room in rooms {
        super::rooms::announce_member(ctx, room.id, me.user.id).await;
        let event = SystemEvent::MemberJoined {
            user_id: me.user.id,
            username: me.user.username.clone(),
        };
        ctx.log.post_system(room.id, &room.name, &event).await;
    }
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
    ctx.throttle.allow(&attempt).await?;
    let credentials = ctx.store.credentials_by_key(&key).await?;
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    if !ctx.passwords.verify(input.password.to_owned(), hash).await? {
        ctx.throttle.failed(&attempt).await?;
        return Err(Error::InvalidCredentials);
    }
    ctx.throttle.succeed(&attempt).await?;
    let Some(credentials) = credentials else {
        return Err(Error::InvalidCredentials);
    };
    super::seed::refuse_demo_password(ctx, &key, input.password)?;
    // Only after the password proved who is asking: nobody else learns the account's state.
    if credentials.is_deactivated {
        return Err(Error::forbidden(
            "account_deactivated",
            "this account has been deactivated; ask a server administrator",
        ));
    }
    let me = ctx
        .store
        .me(credentials.id)
        .await?
        .ok_or(Error::InvalidCredentials)?;
    let mut issued = issue(ctx, me, input.remember, &key).await?;
    issued.password_change_required = credentials.must_change_password;
    Ok(issued)
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
        password_change_required: false,
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
        must_change_password: session.must_change_password,
    })
}

/// Refuses a caller who signed in with a temporary password and has not replaced it yet:
/// everything but changing it, signing out and reading their own account answers
/// `403 password_change_required`.
pub fn require_own_password(caller: Caller) -> Result<Caller> {
    if caller.must_change_password {
        return Err(Error::forbidden(
            "password_change_required",
            "choose a new password first (PUT /api/auth/change-password)",
        ));
    }
    Ok(caller)
}

/// Revokes the caller's session and closes its sockets.
pub async fn logout(ctx: &AppContext, caller: &Caller) -> Result<()> {
    ctx.store.delete_session(caller.session_id).await?;
    ctx.fanout
        .close_sessions(&[caller.session_id], SessionEnd::LoggedOut);
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
    ctx.throttle.allow(&attempt).await?;
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
        ctx.throttle.failed(&attempt).await?;
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
    ctx.fanout.close_sessions(&revoked, SessionEnd::PasswordChanged);
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
