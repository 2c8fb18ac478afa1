//! Backups and exports over HTTP: the whole server's archive for administrators, and a
//! person's own messages for themselves.

use std::net::IpAddr;

use super::{audit, require};
use crate::backup::{self, Snapshot};
use crate::context::AppContext;
use crate::error::Result;
use crate::model::Caller;

/// Takes the database snapshot a backup download streams (with the uploads).
pub async fn start(ctx: &AppContext, caller: &Caller, addr: Option<IpAddr>) -> Result<Snapshot> {
    require(caller)?;
    let snapshot = backup::snapshot(&ctx.store, &ctx.config).await?;
    audit(ctx, (caller.user_id, &caller.username), "backup", None, addr).await;
    Ok(snapshot)
}
