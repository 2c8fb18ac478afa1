//! `confab-server admin …`: account administration on the data dir, whether a server is running
//! on it or not (SQLite in WAL mode lets both write). Each change bumps the revision a running
//! server watches (see `watch`), so revoked sessions lose their sockets at once.

use crate::chat::Passwords;
use crate::chat::validate;
use crate::config::{AdminAction, Config};
use crate::error::{Error, Result};
use crate::store::{AccountRow, AuditEntry, Demotion, NewUser, Store};
use crate::time::Clock;

/// Characters of a temporary password: no look-alikes (0/o, 1/l/i), easy to read aloud.
const TEMPORARY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// 16 of 31 characters: about 79 bits.
const TEMPORARY_LENGTH: usize = 16;

/// Runs one admin command and returns what to print.
pub async fn run(config: &Config, action: &AdminAction) -> Result<String> {
    config.create_data_dir()?;
    let store = crate::server::open_store(config).await?;
    let result = Admin {
        store: &store,
        clock: &config.clock,
    }
    .run(action)
    .await;
    store.close().await;
    result
}

struct Admin<'a> {
    store: &'a Store,
    clock: &'a Clock,
}

impl Admin<'_> {
    async fn run(&self, action: &AdminAction) -> Result<String> {
        match action {
            AdminAction::List => self.list().await,
            AdminAction::CreateUser { name, admin } => self.create_user(name, *admin).await,
            AdminAction::ResetPassword { name } => {
                let account = self.account(name).await?;
                let password = self.reset(&account).await?;
                self.done("reset_password", &account.username).await?;
                Ok(format!(
                    "{}'s sessions are signed out. Temporary password (valid until first sign-in, then it must be changed):\n{password}\n",
                    account.username
                ))
            }
            AdminAction::Promote { name } => {
                let account = self.account(name).await?;
                if !self.store.promote(account.id).await? {
                    return Ok(format!(
                        "{} is already a server administrator.\n",
                        account.username
                    ));
                }
                self.done("promote", &account.username).await?;
                Ok(format!("{} is now a server administrator.\n", account.username))
            }
            AdminAction::Demote { name } => {
                let account = self.account(name).await?;
                match self.store.demote(account.id).await? {
                    Demotion::Done => {
                        self.done("demote", &account.username).await?;
                        Ok(format!(
                            "{} is no longer a server administrator.\n",
                            account.username
                        ))
                    }
                    Demotion::NotAdmin => {
                        Ok(format!("{} is not a server administrator.\n", account.username))
                    }
                    Demotion::LastAdmin => Err(last_admin()),
                }
            }
        }
    }

    async fn list(&self) -> Result<String> {
        let mut out = format!(
            "{:>6}  {:<32}  {:<13}  {:<11}  {:<24}  {}\n",
            "id", "name", "role", "status", "created", "last seen"
        );
        for account in self.store.accounts().await? {
            out.push_str(&format!(
                "{:>6}  {:<32}  {:<13}  {:<11}  {:<24}  {}\n",
                account.id,
                account.username,
                if account.is_admin {
                    "administrator"
                } else {
                    "member"
                },
                if account.deactivated_at.is_some() {
                    "deactivated"
                } else {
                    "active"
                },
                crate::time::rfc3339(account.created_at),
                account
                    .last_seen
                    .map_or_else(|| "never".to_owned(), crate::time::rfc3339),
            ));
        }
        Ok(out)
    }

    async fn create_user(&self, name: &str, admin: bool) -> Result<String> {
        let username = validate::new_username(name)?;
        let password = temporary_password()?;
        let hash = Passwords::new().await?.hash(password.clone()).await?;
        let new = NewUser {
            username: &username.display,
            username_key: &username.key,
            username_skeleton: &username.skeleton,
            email: None,
            password_hash: &hash,
            is_admin: admin,
        };
        let (me, _) = self.store.create_user(&new, self.clock.now()).await?;
        self.store.reset_password(me.user.id, &hash).await?;
        self.done(
            if admin { "create_admin" } else { "create_user" },
            &username.display,
        )
        .await?;
        Ok(format!(
            "Created {}{}. Temporary password (valid until first sign-in, then it must be changed):\n{password}\n",
            username.display,
            if admin { " (server administrator)" } else { "" }
        ))
    }

    async fn account(&self, name: &str) -> Result<AccountRow> {
        let key = validate::login_key(name)?;
        self.store
            .account_by_key(&key)
            .await?
            .ok_or(Error::not_found("user"))
    }

    async fn reset(&self, account: &AccountRow) -> Result<String> {
        let password = temporary_password()?;
        let hash = Passwords::new().await?.hash(password.clone()).await?;
        self.store.reset_password(account.id, &hash).await?;
        Ok(password)
    }

    /// Audits a change and tells a running server about it.
    async fn done(&self, action: &str, target: &str) -> Result<()> {
        let entry = AuditEntry {
            actor_id: None,
            actor_name: "cli",
            action,
            target: Some(target),
            address: None,
        };
        self.store.audit(&entry, self.clock.now()).await?;
        self.store.bump_admin_revision().await
    }
}

/// The refusal to demote the last active administrator.
pub fn last_admin() -> Error {
    Error::conflict(
        "last_admin",
        None,
        "this is the server's last administrator; promote someone else first",
    )
}

/// A random one-time password for a reset or a new account.
pub fn temporary_password() -> Result<String> {
    let mut out = String::with_capacity(TEMPORARY_LENGTH);
    let mut raw = [0u8; 64];
    while out.len() < TEMPORARY_LENGTH {
        getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("random: {e}")))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % TEMPORARY_ALPHABET.len();
        for b in raw.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == TEMPORARY_LENGTH {
                break;
            }
            out.push(char::from(
                TEMPORARY_ALPHABET[usize::from(*b) % TEMPORARY_ALPHABET.len()],
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_long_readable_and_differ() {
        let a = temporary_password().unwrap();
        let b = temporary_password().unwrap();
        assert_eq!(a.len(), TEMPORARY_LENGTH);
        assert!(a.bytes().all(|c| TEMPORARY_ALPHABET.contains(&c)));
        assert_ne!(a, b);
    }
}
