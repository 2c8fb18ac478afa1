//! What a fresh server starts with: the three default public rooms (every profile) and, for
//! development and testing on loopback only, the demo accounts.

use std::net::IpAddr;

use super::validate;
use crate::context::AppContext;
use crate::error::Result;

/// The default public rooms: name and description.
pub const DEFAULT_ROOMS: [(&str, &str); 3] = [
    ("大厅", "所有人的大厅 · Everyone's lobby"),
    ("技术讨论", "技术问题与经验交流 · Tech talk"),
    ("随便聊聊", "轻松闲聊 · Chit-chat"),
];

/// The demo accounts: username, password, server admin.
pub const DEMO_ACCOUNTS: [(&str, &str, bool); 2] =
    [("admin", "admin123", true), ("testuser", "test123", false)];

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
    if !ctx.config.profile.wants_demo_accounts() {
        return Ok(());
    }
    if !bind.is_loopback() {
        tracing::warn!(
            %bind,
            "not creating the demo accounts: their passwords are public and this server is reachable from the network"
        );
        return Ok(());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0007 marks the seed's rooms as default by their keys, in databases made before
    /// the column existed; renaming a default room here must update it too.
    #[test]
    fn the_default_rooms_migration_names_every_default_room() {
        let migration = include_str!("../../migrations/0007_default_rooms.sql");
        for (name, _) in DEFAULT_ROOMS {
            let (_, key) = validate::room_name(name).unwrap();
            assert!(migration.contains(&format!("'{key}'")), "{key} is not in 0007");
        }
    }
}
