//! Server administration: who is a server administrator and how the first one comes to be
//! (`setup`), the `confab-server admin` commands that work on the data dir (`cli`), and how a
//! running server notices what those commands changed (`watch`).

pub mod cli;
pub mod setup;
pub mod watch;

use std::net::IpAddr;

use crate::context::AppContext;
use crate::model::UserId;
use crate::store::AuditEntry;

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
