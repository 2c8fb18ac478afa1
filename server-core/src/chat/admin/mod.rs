//! Server administration: who is a server administrator and how the first one comes to be
//! (`setup`), the `confab-server admin` commands that work on the data dir (`cli`), and how a
//! running server notices what those commands changed (`watch`).

pub mod backup;
pub mod cli;
pub mod invites;
pub mod rooms;
pub mod settings;
pub mod setup;
pub mod stats;
pub mod users;
pub mod watch;

use std::net::IpAddr;

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{AuditRecord, Caller, UserId};
use crate::store::AuditEntry;

/// The most audit entries one page holds.
const MAX_AUDIT_PAGE: u32 = 200;

/// Refuses everyone but server administrators with `403 not_server_admin`.
pub fn require(caller: &Caller) -> Result<()> {
    if caller.is_server_admin {
        Ok(())
    } else {
        Err(Error::forbidden(
            "not_server_admin",
            "only a server administrator may do this",
        ))
    }
}

/// Audit entries older than the entry `before` (newest first), at most `limit` (default 50).
pub async fn audit_log(
    ctx: &AppContext,
    caller: &Caller,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<Vec<AuditRecord>> {
    require(caller)?;
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "invalid_limit",
            "limit",
            format!("limit must be 1 to {MAX_AUDIT_PAGE}"),
        ));
    }
    ctx.store.audit_page(before, limit).await
}

/// Records an administrative action by `actor` (id, name). A failed write is logged, never
/// fatal: the action itself already happened.
pub async fn audit(
    ctx: &AppContext,
    actor: (UserId, &str),
    action: &str,
    target: Option<&str>,
    addr: Option<IpAddr>,
) {
    let address = addr.map(|a| a.to_string());
    let entry = AuditEntry {
        actor_id: Some(actor.0),
        actor_name: actor.1,
        action,
        target,
        address: address.as_deref(),
    };
    if let Err(e) = ctx.store.audit(&entry, ctx.clock.now()).await {
        tracing::warn!(error = %e, action, "could not write the audit log");
    }
}
