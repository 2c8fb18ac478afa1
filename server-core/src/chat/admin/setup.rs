//! The first administrator. While a server has none, every start makes a new random setup
//! code (128 bits), stores only its SHA-256 and prints the code on the console and in the log,
//! never over the network. Registering with it (`"setup_code"`) or claiming with it
//! (`POST /api/admin/claim`) makes that account an administrator and uses the code up.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::Caller;
use crate::store::Store;

/// Makes a new setup code if the server has no administrator (returning it), or removes any
/// old one if it has.
pub async fn prepare(store: &Store) -> Result<Option<String>> {
    if store.admin_count().await? > 0 {
        store.set_setup_code(None).await?;
        return Ok(None);
    }
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let code = URL_SAFE_NO_PAD.encode(raw);
    store.set_setup_code(Some(&code_hash(&code))).await?;
    Ok(Some(code))
}

/// Uses up `code`, or answers `403 invalid_setup_code` (wrong, already used, or the server
/// already has an administrator: deliberately one answer).
pub async fn consume(ctx: &AppContext, code: &str) -> Result<()> {
    if code.len() > 64 || !ctx.store.consume_setup_code(&code_hash(code)).await? {
        return Err(invalid());
    }
    Ok(())
}

/// Puts a consumed code back when the account it was for could not be created, so a taken
/// name does not cost the operator their code.
pub async fn restore(ctx: &AppContext, code: &str) -> Result<()> {
    if ctx.store.admin_count().await? == 0 {
        ctx.store.set_setup_code(Some(&code_hash(code))).await?;
    }
    Ok(())
}

/// POST /api/admin/claim: the signed-in caller becomes the first administrator.
pub async fn claim(ctx: &AppContext, caller: &Caller, code: &str, addr: Option<IpAddr>) -> Result<()> {
    consume(ctx, code).await?;
    ctx.store.promote(caller.user_id).await?;
    tracing::info!(user_id = caller.user_id, username = %caller.username, "the first administrator claimed the role with the setup code");
    super::audit(
        ctx,
        (caller.user_id, &caller.username),
        "claim_admin",
        Some(&caller.username),
        addr,
    )
    .await;
    Ok(())
}

fn invalid() -> Error {
    Error::forbidden(
        "invalid_setup_code",
        "this setup code is not valid: it is wrong, was already used, or the server already has an administrator",
    )
}

fn code_hash(code: &str) -> String {
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_hashes_are_hex_sha256() {
        assert_eq!(
            code_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
