//! Session tokens in the operating system's credential store (Secret Service on Linux, Keychain
//! on macOS, Credential Manager on Windows, through the `keyring` crate), never in the settings
//! file. Where no credential store answers, tokens live only in memory for this run: signing in
//! again after a restart beats writing a password-equivalent to disk in clear.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// The credential store's service name for Confab's session tokens; the account is the server
/// URL.
pub const SERVICE: &str = "chat.confab.desktop";

/// What the person is told, once, when there is no credential store.
pub const NO_STORE_NOTICE: &str = "No password store (keychain) is running on this computer, so \
     Confab keeps your sign-in only until it quits: you will be asked to sign in again next time.";

/// Session tokens per server URL.
pub struct TokenStore {
    service: String,
    /// Whether the credential store answered when the app started.
    keychain: bool,
    /// Every token known this run: the only copy without a keychain, a cache with one.
    memory: Mutex<BTreeMap<String, String>>,
}

/// What moving tokens out of an old settings file did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Migration {
    /// Tokens now in the credential store.
    pub to_keychain: usize,
    /// Tokens kept in memory only (no credential store).
    pub to_memory: usize,
}

impl TokenStore {
    /// Opens the store under `service`, asking the credential store whether it is there. Blocks
    /// on D-Bus on Linux: call it off the window's thread.
    pub fn open(service: &str) -> TokenStore {
        let keychain = probe(service);
        if !keychain {
            tracing::warn!("no credential store; session tokens stay in memory");
        }
        TokenStore {
            service: service.to_owned(),
            keychain,
            memory: Mutex::new(BTreeMap::new()),
        }
    }

    /// A store that never touches the credential store (tests, and platforms without one).
    pub fn in_memory() -> TokenStore {
        TokenStore {
            service: SERVICE.to_owned(),
            keychain: false,
            memory: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether tokens survive a restart.
    pub fn persistent(&self) -> bool {
        self.keychain
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token for `server`, if one is kept.
    pub fn get(&self, server: &str) -> Option<String> {
        if let Some(token) = self.memory().get(server) {
            return Some(token.clone());
        }
        if !self.keychain {
            return None;
        }
        let token = keyring::Entry::new(&self.service, server)
            .and_then(|entry| entry.get_password())
            .map_err(|e| {
                if !matches!(e, keyring::Error::NoEntry) {
                    tracing::warn!(error = %e, "reading a session token from the credential store failed");
                }
            })
            .ok()?;
        self.memory().insert(server.to_owned(), token.clone());
        Some(token)
    }

    /// Keeps `token` for `server`: in the credential store when there is one (else, or if
    /// writing there fails, in memory only).
    pub fn set(&self, server: &str, token: &str) {
        self.memory().insert(server.to_owned(), token.to_owned());
        if self.keychain
            && let Err(e) =
                keyring::Entry::new(&self.service, server).and_then(|entry| entry.set_password(token))
        {
            tracing::warn!(error = %e, "saving a session token in the credential store failed; kept in memory");
        }
    }

    /// Forgets the token for `server` everywhere.
    pub fn remove(&self, server: &str) {
        self.memory().remove(server);
        if self.keychain {
            match keyring::Entry::new(&self.service, server).and_then(|e| e.delete_credential()) {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(e) => tracing::warn!(error = %e, "removing a session token failed"),
            }
        }
    }

    /// Moves tokens an older version kept in the settings file into this store, emptying
    /// `sessions` (the caller then saves the settings without them).
    pub fn migrate(&self, sessions: &mut BTreeMap<String, String>) -> Migration {
        let mut migration = Migration::default();
        for (server, token) in std::mem::take(sessions) {
            self.set(&server, &token);
            if self.keychain {
                migration.to_keychain += 1;
            } else {
                migration.to_memory += 1;
            }
        }
        migration
    }
}

/// Whether the credential store answers: reading an entry that is not there is an answer.
fn probe(service: &str) -> bool {
    match keyring::Entry::new(service, "confab-probe").and_then(|e| e.get_password()) {
        Ok(_) | Err(keyring::Error::NoEntry) => true,
        Err(e) => {
            tracing::info!(error = %e, "the credential store did not answer");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_keychain_tokens_live_in_memory_only() {
        let store = TokenStore::in_memory();
        assert!(!store.persistent());
        store.set("http://a.example", "tok-a");
        assert_eq!(store.get("http://a.example").as_deref(), Some("tok-a"));
        store.remove("http://a.example");
        assert_eq!(store.get("http://a.example"), None);

        let mut sessions = BTreeMap::from([("http://b.example".to_owned(), "tok-b".to_owned())]);
        let migration = store.migrate(&mut sessions);
        assert!(sessions.is_empty(), "nothing is left for the settings file");
        assert_eq!(
            migration,
            Migration {
                to_keychain: 0,
                to_memory: 1
            }
        );
        assert_eq!(store.get("http://b.example").as_deref(), Some("tok-b"));
    }
}
