//! Password hashing with argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1), on the bounded
//! blocking pool: a login storm queues instead of allocating 19 MiB per request and starving the
//! async workers.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::blocking::BlockingPool;
use crate::error::{Error, Result};

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

#[derive(Clone)]
pub struct Passwords {
    argon: Arc<Argon2<'static>>,
    pool: BlockingPool,
    /// Verified against when a username is unknown, so that answer takes as long as a wrong
    /// password does.
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// Builds the hasher, computing the dummy hash (tens of milliseconds) on the blocking pool.
    pub async fn new() -> Result<Passwords> {
        let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
            .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
        let argon = Arc::new(Argon2::new(Algorithm::Argon2id, Version::V0x13, params));
        let mut passwords = Passwords {
            argon,
            pool: BlockingPool::default(),
            dummy_hash: Arc::from(""),
        };
        let mut noise = [0u8; 16];
        getrandom::fill(&mut noise).map_err(|e| Error::Internal(format!("random: {e}")))?;
        passwords.dummy_hash = passwords.hash(format!("{noise:?}")).await?.into();
        Ok(passwords)
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String> {
        let argon = self.argon.clone();
        self.pool
            .run(move || {
                argon
                    .hash_password(password.as_bytes())
                    .map(|hash| hash.to_string())
                    .map_err(|e| Error::Internal(format!("hashing password: {e}")))
            })
            .await?
    }

    /// Whether `password` matches `hash`. With no hash (unknown user) it checks against a
    /// dummy and answers false, taking the same time as a real mismatch.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool> {
        let argon = self.argon.clone();
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        self.pool
            .run(move || known && argon.verify_password(password.as_bytes(), hash.as_str()).is_ok())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let passwords = Passwords::new().await.unwrap();
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(
            passwords
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("wrong horse".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let passwords = Passwords::new().await.unwrap();
        assert!(!passwords.verify(String::new(), None).await.unwrap());
    }
}
