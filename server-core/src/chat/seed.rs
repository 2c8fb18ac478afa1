//! What a fresh server starts with: the three default public rooms (every profile) and, for
//! development and testing on loopback only, the demo accounts. Anywhere else an account that
//! still has its public demo password cannot be used, and each start says so in the log. Also
//! gives accounts from before confusable checks their NFKC key and skeleton.

use std::net::IpAddr;

use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};

/// The default public rooms: name and description.
pub const DEFAULT_ROOMS: [(&str, &str); 3] = [
    ("大厅", "所有人的大厅 · Everyone's lobby"),
    ("技术讨论", "技术问题与经验交流 · Tech talk"),
    ("随便聊聊", "轻松闲聊 · Chit-chat"),
];

/// The demo accounts: username, password, server admin.
pub const DEMO_ACCOUNTS: [(&str, &str, bool); 2] =
    [("admin", "admin123", true), ("testuser", "test123", false)];

/// How an operator gets a disabled demo account back, for the log and the login refusal.
pub const DEMO_RESET_HINT: &str = "start the server once on this data directory with `--profile development --bind 127.0.0.1:8080`, sign in to the account there and change its password (or delete the account)";

/// Creates whatever of the defaults is missing. Idempotent.
pub async fn run(ctx: &AppContext, bind: IpAddr) -> Result<()> {
    for (name, description) in DEFAULT_ROOMS {
        let (name, key) = validate::room_name(name)?;
        if ctx
            .store
            .ensure_room(&name, &key, description, ctx.clock.now())
            .await?
        {
            tracing::info!(room = %name, "created default room");
        }
    }
    fill_name_skeletons(ctx).await?;
    if !demo_accounts_allowed(ctx.config.profile.wants_demo_accounts(), bind) {
        if ctx.config.profile.wants_demo_accounts() {
            tracing::warn!(
                %bind,
                "not creating the demo accounts: their passwords are public and this server is reachable from the network"
            );
        }
        return disable_leftover_demo_accounts(ctx).await;
    }
    for (username, password, is_admin) in DEMO_ACCOUNTS {
        let username = validate::username(username)?;
        if ctx.store.user_exists(&username.key).await? {
            continue;
        }
        // Demo passwords predate the 8-character rule; they are fixed here, never chosen.
        super::accounts::create_user(ctx, &username, password, None, is_admin).await?;
        tracing::info!(username = %username.display, "created demo account");
    }
    Ok(())
}

/// Demo passwords are usable only in development or testing, listening on loopback alone.
fn demo_accounts_allowed(profile_wants_them: bool, bind: IpAddr) -> bool {
    profile_wants_them && bind.is_loopback()
}

/// Refuses a login that proved the password is the account's public demo password, unless
/// this server is a loopback-only development one.
pub fn refuse_demo_password(ctx: &AppContext, username_key: &str, password: &str) -> Result<()> {
    let demo = DEMO_ACCOUNTS.iter().any(|(name, demo_password, _)| {
        validate::name_key(name) == username_key && *demo_password == password
    });
    if demo && !demo_accounts_allowed(ctx.config.profile.wants_demo_accounts(), ctx.config.bind.ip()) {
        return Err(Error::forbidden(
            "demo_account_disabled",
            format!(
                "this account still has its public demo password, so it is disabled on a server others can reach; to reset it, {DEMO_RESET_HINT}"
            ),
        ));
    }
    Ok(())
}

/// Accounts left by an earlier development run with their demo password: their sessions end
/// now, logins are refused (`refuse_demo_password`), and the log says so at every start.
async fn disable_leftover_demo_accounts(ctx: &AppContext) -> Result<()> {
    for (username, password, _) in DEMO_ACCOUNTS {
        let key = validate::name_key(username);
        let Some(credentials) = ctx.store.credentials_by_key(&key).await? else {
            continue;
        };
        if !ctx
            .passwords
            .verify(password.to_owned(), Some(credentials.password_hash))
            .await?
        {
            continue;
        }
        let ended = ctx.store.delete_user_sessions(credentials.id).await?;
        tracing::warn!(
            username,
            sessions_ended = ended.len(),
            "the demo account {username:?} still has its public password and is disabled on this server; to reset it, {DEMO_RESET_HINT}"
        );
    }
    Ok(())
}

/// Gives accounts registered before usernames were NFKC-normalized and checked for look-alikes
/// their new key and skeleton. One that clashes with another account keeps its old key and no
/// skeleton, and the log names it for the operator.
async fn fill_name_skeletons(ctx: &AppContext) -> Result<()> {
    for (id, username) in ctx.store.users_without_skeleton().await? {
        let key = validate::name_key(&username);
        let skeleton = validate::name_skeleton(&validate::canonical_name(&username));
        match ctx.store.set_name_keys(id, &key, &skeleton).await {
            Ok(()) => {}
            Err(Error::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                tracing::warn!(
                    user_id = id,
                    username,
                    "this account's name looks like another account's; both keep working, but consider renaming one"
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0007 marks the seed's rooms as default by their keys, in databases made before
    /// the column existed; renaming a default room here must update it too.
    #[test]
    fn the_default_rooms_migration_names_every_default_room() {
        let migration = include_str!("../../migrations/sqlite/0007_default_rooms.sql");
        for (name, _) in DEFAULT_ROOMS {
            let (_, key) = validate::room_name(name).unwrap();
            assert!(migration.contains(&format!("'{key}'")), "{key} is not in 0007");
        }
    }
}
