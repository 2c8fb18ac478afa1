//! Login throttling: five failed attempts per username and client address within 15 minutes
//! lock that pair out until the oldest failure ages out of the window.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

type Key = (String, Option<IpAddr>);

#[derive(Clone, Default)]
pub struct LoginThrottle {
    failures: Arc<Mutex<HashMap<Key, VecDeque<Instant>>>>,
}

impl LoginThrottle {
    /// `Err(seconds)` if this username/address pair must wait before trying again.
    pub fn check(&self, username_key: &str, addr: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let mut failures = self.lock();
        let Some(times) = failures.get_mut(&(username_key.to_owned(), addr)) else {
            return Ok(());
        };
        prune(times, now);
        if times.len() < MAX_FAILURES {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        let wait = (oldest + WINDOW).saturating_duration_since(now);
        // Round up: "try again in 0 seconds" would invite an immediate, refused retry.
        Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }

    /// Records a failed attempt.
    pub fn fail(&self, username_key: &str, addr: Option<IpAddr>, now: Instant) {
        let mut failures = self.lock();
        let times = failures.entry((username_key.to_owned(), addr)).or_default();
        prune(times, now);
        times.push_back(now);
    }

    /// Forgets failures after a successful login.
    pub fn succeed(&self, username_key: &str, addr: Option<IpAddr>) {
        self.lock().remove(&(username_key.to_owned(), addr));
    }

    /// Drops entries whose failures have all aged out, so the map stays bounded.
    pub fn prune_all(&self, now: Instant) {
        self.lock().retain(|_, times| {
            prune(times, now);
            !times.is_empty()
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_failure_locks_until_window_passes() {
        let throttle = LoginThrottle::default();
        let ip = Some("10.0.0.7".parse().unwrap());
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(throttle.check("alice", ip, t0).is_ok(), "attempt {i}");
            throttle.fail("alice", ip, t0 + Duration::from_secs(i as u64));
        }
        let wait = throttle
            .check("alice", ip, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, 15 * 60 - 10);
        // Other users and other addresses are unaffected.
        assert!(throttle.check("bob", ip, t0).is_ok());
        assert!(
            throttle
                .check("alice", Some("10.0.0.8".parse().unwrap()), t0)
                .is_ok()
        );
        // Once the oldest failure ages out, one more attempt is allowed.
        assert!(throttle.check("alice", ip, t0 + WINDOW).is_ok());
    }

    #[test]
    fn success_clears_and_prune_forgets_old_entries() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            throttle.fail("carol", None, t0);
        }
        throttle.succeed("carol", None);
        assert!(throttle.check("carol", None, t0).is_ok());
        throttle.fail("dave", None, t0);
        throttle.prune_all(t0 + WINDOW);
        assert!(throttle.lock().is_empty());
    }
}
