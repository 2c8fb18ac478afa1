//! Password hashing with argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1) on a pool of
//! its own, behind a bounded, two-lane queue: logins wait ahead of registrations and password
//! changes, and when a lane is full the request is refused with `503` and `Retry-After` at once
//! instead of queueing forever (300 parallel registrations used to hold a login for 7.6 s).
//! Also the check of new passwords against the 20,000 most common ones.

use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::oneshot;

use super::validate;
use crate::blocking::BlockingPool;
use crate::error::{Error, Result};

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
/// Logins that may wait for a free hashing thread: a whole office arriving at nine.
const LOGIN_QUEUE: usize = 256;
/// Registrations and password changes that may wait: nobody needs more at once.
const OTHER_QUEUE: usize = 16;
/// What a refused request is told: a queue drains in well under this.
const BUSY_RETRY_AFTER: u64 = 2;

/// Django's list of the 20,000 most common passwords, lowercased (see `data/NOTICE`).
const COMMON_PASSWORDS_GZ: &[u8] = include_bytes!("../../data/common-passwords.txt.gz");

#[derive(Clone)]
pub struct Passwords {
    argon: Arc<Argon2<'static>>,
    pool: BlockingPool,
    gate: Arc<Gate>,
    /// Verified against when a username is unknown, so that answer takes as long as a wrong
    /// password does.
    dummy_hash: Arc<str>,
    common: Arc<HashSet<Box<str>>>,
}

/// Which lane of the queue a hashing job waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    Login,
    Other,
}

impl Passwords {
    /// Builds the hasher, computing the dummy hash (tens of milliseconds) on the blocking pool.
    pub async fn new() -> Result<Passwords> {
        let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
            .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
        let argon = Arc::new(Argon2::new(Algorithm::Argon2id, Version::V0x13, params));
        let pool = BlockingPool::default();
        let mut passwords = Passwords {
            argon,
            gate: Arc::new(Gate::new(pool.threads())),
            pool,
            dummy_hash: Arc::from(""),
            common: Arc::new(common_passwords()?),
        };
        let mut noise = [0u8; 16];
        getrandom::fill(&mut noise).map_err(|e| Error::Internal(format!("random: {e}")))?;
        passwords.dummy_hash = passwords.hash(format!("{noise:?}")).await?.into();
        Ok(passwords)
    }

    /// Hashes `password` into a PHC string (registrations and password changes: the second lane).
    pub async fn hash(&self, password: String) -> Result<String> {
        let argon = self.argon.clone();
        let _permit = self.gate.enter(Lane::Other).await?;
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
        let _permit = self.gate.enter(Lane::Login).await?;
        self.pool
            .run(move || {
                // Verify first, unconditionally: `known && verify(…)` would skip the dummy
                // check and answer an unknown name thirty times faster than a wrong password.
                let matches = argon.verify_password(password.as_bytes(), hash.as_str()).is_ok();
                known && matches
            })
            .await
    }

    /// Judges a password someone chooses: 8–128 characters, not one of the 20,000 most common
    /// passwords (ignoring case), not containing the username.
    pub fn check_new(&self, password: &str, username_key: &str, field: &'static str) -> Result<()> {
        validate::new_password(password, field)?;
        let lower = password.to_lowercase();
        if self.common.contains(lower.as_str()) {
            return Err(Error::invalid(
                "invalid_password",
                field,
                "this password is on the list of the 20,000 most common passwords, which attackers try first; choose a less common one",
            ));
        }
        if !username_key.is_empty() && lower.contains(username_key) {
            return Err(Error::invalid(
                "invalid_password",
                field,
                "the password must not contain the username",
            ));
        }
        Ok(())
    }
}

fn common_passwords() -> Result<HashSet<Box<str>>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(COMMON_PASSWORDS_GZ)
        .read_to_string(&mut text)
        .map_err(|e| Error::Internal(format!("reading the common-password list: {e}")))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(Box::from)
        .collect())
}

/// Admits at most `slots` hashing jobs at once (one per hashing thread, so a queued job holds
/// no 19 MiB yet) and keeps the waiting ones in two bounded lanes, logins first.
struct Gate {
    slots: usize,
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    running: usize,
    logins: VecDeque<oneshot::Sender<Permit>>,
    others: VecDeque<oneshot::Sender<Permit>>,
}

/// A running job's slot; dropping it hands the slot to the next waiter.
struct Permit {
    gate: Option<Arc<Gate>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.release();
        }
    }
}

impl Gate {
    fn new(slots: usize) -> Gate {
        Gate {
            slots: slots.max(1),
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a slot in `lane`, or refuses at once with 503 if that lane is full.
    async fn enter(self: &Arc<Self>, lane: Lane) -> Result<Permit> {
        let admitted = {
            let mut state = self.lock();
            if state.running < self.slots && state.logins.is_empty() && state.others.is_empty() {
                state.running += 1;
                None
            } else {
                let (queue, capacity) = match lane {
                    Lane::Login => (&mut state.logins, LOGIN_QUEUE),
                    Lane::Other => (&mut state.others, OTHER_QUEUE),
                };
                // Waiters whose request was abandoned hold no place.
                queue.retain(|waiter| !waiter.is_closed());
                if queue.len() >= capacity {
                    return Err(Error::Busy {
                        retry_after: BUSY_RETRY_AFTER,
                    });
                }
                let (tx, rx) = oneshot::channel();
                queue.push_back(tx);
                Some(rx)
            }
        };
        match admitted {
            None => Ok(Permit {
                gate: Some(self.clone()),
            }),
            Some(rx) => rx
                .await
                .map_err(|_| Error::Internal("the hashing queue was dropped".into())),
        }
    }

    /// Hands a finished job's slot to the first waiting login, else the first other job.
    fn release(self: &Arc<Self>) {
        let mut state = self.lock();
        loop {
            let next = match state.logins.pop_front() {
                Some(waiter) => Some(waiter),
                None => state.others.pop_front(),
            };
            let Some(waiter) = next else {
                state.running -= 1;
                return;
            };
            let permit = Permit {
                gate: Some(self.clone()),
            };
            match waiter.send(permit) {
                Ok(()) => return,
                // That waiter gave up; its permit must not release the slot again.
                Err(mut permit) => permit.gate = None,
            }
        }
    }

    #[cfg(test)]
    fn waiting(&self) -> (usize, usize) {
        let state = self.lock();
        (state.logins.len(), state.others.len())
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

    #[tokio::test]
    async fn the_queue_is_bounded_and_logins_go_first() {
        let gate = Arc::new(Gate::new(1));
        let running = gate.enter(Lane::Other).await.unwrap();
        // Fill the second lane; one more is refused at once with a retry hint.
        let mut others = Vec::new();
        for _ in 0..OTHER_QUEUE {
            let gate = gate.clone();
            others.push(tokio::spawn(
                async move { gate.enter(Lane::Other).await.map(|_| ()) },
            ));
        }
        while gate.waiting().1 < OTHER_QUEUE {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            gate.enter(Lane::Other).await,
            Err(Error::Busy {
                retry_after: BUSY_RETRY_AFTER
            })
        ));
        // A login arriving last is admitted first.
        let login = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter(Lane::Login).await })
        };
        while gate.waiting().0 < 1 {
            tokio::task::yield_now().await;
        }
        drop(running);
        let login_permit = login.await.unwrap().unwrap();
        assert_eq!(gate.waiting(), (0, OTHER_QUEUE));
        drop(login_permit);
        for other in others {
            other.await.unwrap().unwrap();
        }
        assert_eq!(gate.lock().running, 0);
    }

    #[tokio::test]
    async fn common_passwords_and_the_username_are_refused() {
        let passwords = Passwords::new().await.unwrap();
        assert!(passwords.common.len() >= 10_000, "{}", passwords.common.len());
        for weak in ["12345678", "password", "PassWord1", "iloveyou", "qwertyuiop"] {
            let error = passwords.check_new(weak, "alice", "password").unwrap_err();
            assert_eq!(error.code(), "invalid_password", "{weak}");
            assert!(error.to_string().contains("common"), "{weak}: {error}");
        }
        let error = passwords
            .check_new("xx-Alice-2026", "alice", "password")
            .unwrap_err();
        assert!(error.to_string().contains("username"), "{error}");
        passwords
            .check_new("correct-horse-42", "alice", "password")
            .unwrap();
    }
}
