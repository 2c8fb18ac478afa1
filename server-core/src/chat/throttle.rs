//! Login throttling that slows guessing without letting anyone lock an owner out:
//! - per account, a progressive delay once five failures pile up (1 s, 2 s, 4 s, … up to 15
//!   minutes between attempts), forgotten after 15 quiet minutes;
//! - per client address (an IPv6 /64 counts as one), at most twenty failures across all
//!   usernames per 15 minutes;
//! - server-wide, at most a thousand failures per 15 minutes;
//! - a device the account logged in from before (it holds a device token the server signed for
//!   that account) skips all three, so the owner's own browser still gets in during an attack.
//!   Five failures from one device withdraw that trust until the window passes.
//!
//! On a cluster the counters, and the secret device tokens are signed with, are the
//! database's, shared by every node (`shared_limits.rs`): failures through one node count on
//! all, and a device trusted through one is trusted by all.
//!
//! Memory has a hard ceiling whatever arrives: every counter is keyed by a 16-byte digest (never
//! by the name or token itself), counters are created only by a failure the checks let through,
//! and the map never holds more than [`MAX_ENTRIES`] (the oldest are evicted first).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::shared_limits::Shared;
use crate::error::{Error, Result};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures an account may collect before each attempt has to wait.
const FREE_ACCOUNT_FAILURES: u32 = 5;
const MAX_ACCOUNT_DELAY: Duration = WINDOW;
const ADDRESS_FAILURES: u32 = 20;
const DEVICE_FAILURES: u32 = 5;
const GLOBAL_FAILURES: u32 = 1_000;
/// At most this many counters (about 100 bytes each with the map's overhead: ~7 MB).
pub const MAX_ENTRIES: usize = 65_536;

/// What the counters are keyed by: a digest of the kind and the thing, so its size is fixed.
type Key = [u8; 16];

#[derive(Clone, Copy, Debug)]
struct Counter {
    failures: u32,
    first: Instant,
    last: Instant,
    /// An account's failures last until it has been quiet for a window; an address's or a
    /// device's until a window after the first.
    sliding: bool,
}

impl Counter {
    fn new(now: Instant, sliding: bool) -> Counter {
        Counter {
            failures: 0,
            first: now,
            last: now,
            sliding,
        }
    }

    fn is_live(&self, now: Instant) -> bool {
        let since = if self.sliding { self.last } else { self.first };
        now.duration_since(since) < WINDOW
    }
}

struct State {
    counters: HashMap<Key, Counter>,
    global: Counter,
}

/// A live counter as the checks read it: its times in milliseconds, on one scale with the
/// `now` they are checked at.
#[derive(Clone, Copy, Debug)]
struct Seen {
    failures: u32,
    first: i64,
    last: i64,
}

impl Seen {
    /// A counter in memory, seen at `now` (which is 0 on the scale).
    fn of(counter: &Counter, now: Instant) -> Seen {
        let before =
            |at: Instant| -i64::try_from(now.saturating_duration_since(at).as_millis()).unwrap_or(i64::MAX);
        Seen {
            failures: counter.failures,
            first: before(counter.first),
            last: before(counter.last),
        }
    }
}

/// One login attempt, as the throttle sees it.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// The normalized username, whether or not such an account exists.
    pub account: &'a str,
    pub addr: Option<IpAddr>,
    /// The device this attempt comes from, if it proved it is one the account used before.
    pub device: Option<Device>,
}

/// A device known to an account: from a valid device token, or a signed-in session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device(Key);

impl Device {
    /// The device behind a signed-in session (re-entering the current password).
    pub fn session(session_id: i64) -> Device {
        Device(digest(b"session", &session_id.to_le_bytes()))
    }
}

#[derive(Clone)]
pub struct LoginThrottle {
    state: Arc<Mutex<State>>,
    /// Signs device tokens; new on every start, so tokens last as long as the counters do
    /// (on a cluster, the database's, as its counters are).
    secret: Arc<[u8; 32]>,
    /// The database's counters, when other nodes count with this one.
    shared: Option<Shared>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        let mut secret = [0u8; 32];
        if getrandom::fill(&mut secret).is_err() {
            // The OS refused randomness: std's hasher seeds are still random per process.
            use std::hash::{BuildHasher, Hasher};
            for chunk in secret.chunks_mut(8) {
                let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
                hasher.write_u8(0);
                chunk.copy_from_slice(&hasher.finish().to_le_bytes());
            }
        }
        let now = Instant::now();
        LoginThrottle {
            state: Arc::new(Mutex::new(State {
                counters: HashMap::new(),
                global: Counter::new(now, false),
            })),
            secret: Arc::new(secret),
            shared: None,
        }
    }
}

impl LoginThrottle {
    /// A throttle counting in the database with every node sharing it, signing device tokens
    /// with the secret stored there.
    ///
    /// # Errors
    /// Database errors.
    pub async fn shared(shared: Shared) -> Result<LoginThrottle> {
        let mut throttle = LoginThrottle::default();
        throttle.secret = Arc::new(shared.store.device_secret(*throttle.secret).await?);
        throttle.shared = Some(shared);
        Ok(throttle)
    }

    /// Whether this attempt may go ahead now.
    ///
    /// # Errors
    /// `429 too_many_attempts` with the seconds to wait (a trusted device is never made to);
    /// database errors.
    pub async fn allow(&self, attempt: &Attempt<'_>) -> Result<()> {
        let verdict = match &self.shared {
            None => self.check(attempt, Instant::now()),
            Some(shared) => {
                let now = shared.now();
                let mut keys = vec![global_key(), account_key(attempt.account)];
                keys.extend(attempt.addr.map(address_key));
                keys.extend(attempt.device.map(|device| device.0));
                let rows = shared.store.login_failures(&keys, WINDOW_MS, now).await?;
                let seen = |key: &Key| {
                    rows.iter().find(|row| row.key == key).map(|row| Seen {
                        failures: u32::try_from(row.failures).unwrap_or(0),
                        first: row.first_ms,
                        last: row.last_ms,
                    })
                };
                verdict(attempt, now, seen, seen(&global_key()))
            }
        };
        verdict.map_err(|retry_after| Error::TooManyAttempts { retry_after })
    }

    /// Records a failed attempt (see [`LoginThrottle::fail`]).
    ///
    /// # Errors
    /// Database errors.
    pub async fn failed(&self, attempt: &Attempt<'_>) -> Result<()> {
        let Some(shared) = &self.shared else {
            self.fail(attempt, Instant::now());
            return Ok(());
        };
        let mut keys = vec![(global_key(), false), (account_key(attempt.account), true)];
        keys.extend(attempt.addr.map(|addr| (address_key(addr), false)));
        keys.extend(attempt.device.map(|device| (device.0, false)));
        shared
            .store
            .record_login_failure(&keys, WINDOW_MS, shared.now())
            .await
    }

    /// `Err(seconds)` if this attempt must wait; a trusted device is never made to.
    fn check(&self, attempt: &Attempt<'_>, now: Instant) -> std::result::Result<(), u64> {
        let state = self.lock();
        let seen = |key: &Key| {
            state
                .counters
                .get(key)
                .filter(|c| c.is_live(now))
                .map(|c| Seen::of(c, now))
        };
        let global = Some(&state.global)
            .filter(|c| c.is_live(now))
            .map(|c| Seen::of(c, now));
        verdict(attempt, 0, seen, global)
    }

    /// Records a failed attempt against its account, address, device and the global count.
    fn fail(&self, attempt: &Attempt<'_>, now: Instant) {
        let mut state = self.lock();
        if !state.global.is_live(now) {
            state.global = Counter::new(now, false);
        }
        state.global.failures = state.global.failures.saturating_add(1);
        state.global.last = now;
        let mut keys = vec![(account_key(attempt.account), true)];
        keys.extend(attempt.addr.map(|addr| (address_key(addr), false)));
        keys.extend(attempt.device.map(|device| (device.0, false)));
        for (key, sliding) in keys {
            if !state.counters.contains_key(&key) && state.counters.len() >= MAX_ENTRIES {
                make_room(&mut state.counters, now);
            }
            let counter = state
                .counters
                .entry(key)
                .or_insert_with(|| Counter::new(now, sliding));
            if !counter.is_live(now) {
                *counter = Counter::new(now, sliding);
            }
            counter.failures = counter.failures.saturating_add(1);
            counter.last = now;
        }
    }

    /// After a successful login: the device's failures are forgiven. The account's and the
    /// address's are not, or every login by the owner would hand a guesser five fresh tries.
    ///
    /// # Errors
    /// Database errors.
    pub async fn succeed(&self, attempt: &Attempt<'_>) -> Result<()> {
        let Some(device) = attempt.device else {
            return Ok(());
        };
        match &self.shared {
            Some(shared) => shared.store.forget_login_failures(&device.0).await,
            None => {
                self.lock().counters.remove(&device.0);
                Ok(())
            }
        }
    }

    /// A token proving a later login for `account` comes from this device.
    pub fn device_token(&self, account: &str) -> String {
        let mut nonce = [0u8; 16];
        if getrandom::fill(&mut nonce).is_err() {
            nonce = digest(b"nonce", format!("{:?}", Instant::now()).as_bytes());
        }
        let mut token = nonce.to_vec();
        token.extend_from_slice(&self.sign(account, &nonce));
        URL_SAFE_NO_PAD.encode(token)
    }

    /// The device behind `token` if the server signed it for `account`.
    pub fn device(&self, account: &str, token: Option<&str>) -> Option<Device> {
        let token = token.filter(|t| t.len() <= 64)?;
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        let (nonce, mac) = raw.split_at_checked(16)?;
        if mac.len() != 16 {
            return None;
        }
        // Not constant-time: the MAC covers a secret-keyed digest, and learning a prefix of
        // the right MAC for one nonce needs the server to answer 2^64 attempts.
        (self.sign(account, nonce).as_slice() == mac).then(|| Device(digest(b"device", nonce)))
    }

    fn sign(&self, account: &str, nonce: &[u8]) -> [u8; 16] {
        // Secret first, fixed-length fields after it: no length-extension to worry about.
        let mut hasher = Sha256::new();
        hasher.update(self.secret.as_slice());
        hasher.update(account_key(account));
        hasher.update(nonce);
        let full: [u8; 32] = hasher.finalize().into();
        let mut mac = [0u8; 16];
        mac.copy_from_slice(&full[..16]);
        mac
    }

    /// Drops counters whose failures have all aged out.
    pub fn prune_all(&self, now: Instant) {
        self.lock().counters.retain(|_, counter| counter.is_live(now));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().counters.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The checks on the counters `seen` (live ones only) and the global one, at `now` on their
/// scale: `Err(seconds)` if the attempt must wait.
fn verdict(
    attempt: &Attempt<'_>,
    now: i64,
    seen: impl Fn(&Key) -> Option<Seen>,
    global: Option<Seen>,
) -> std::result::Result<(), u64> {
    let trusted = attempt
        .device
        .is_some_and(|device| seen(&device.0).is_none_or(|c| c.failures < DEVICE_FAILURES));
    if trusted {
        return Ok(());
    }
    let mut until = now;
    if let Some(c) = global.filter(|c| c.failures >= GLOBAL_FAILURES) {
        until = until.max(c.first + WINDOW_MS);
    }
    let address = attempt.addr.and_then(|addr| seen(&address_key(addr)));
    if let Some(c) = address.filter(|c| c.failures >= ADDRESS_FAILURES) {
        until = until.max(c.first + WINDOW_MS);
    }
    let account = seen(&account_key(attempt.account));
    if let Some(c) = account.filter(|c| c.failures >= FREE_ACCOUNT_FAILURES) {
        let delay = i64::try_from(account_delay(c.failures).as_millis()).unwrap_or(WINDOW_MS);
        until = until.max(c.last + delay);
    }
    let wait = u64::try_from(until - now).unwrap_or(0);
    if wait == 0 {
        Ok(())
    } else {
        // Round up: "try again in 0 seconds" would invite an immediate, refused retry.
        Err(wait.div_ceil(1000))
    }
}

fn account_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(FREE_ACCOUNT_FAILURES).min(20);
    Duration::from_secs(1u64 << doublings).min(MAX_ACCOUNT_DELAY)
}

/// Frees space once the map is full: first what has aged out, then the eighth least recently
/// failed, so a flood costs one sort per several thousand insertions.
fn make_room(counters: &mut HashMap<Key, Counter>, now: Instant) {
    counters.retain(|_, counter| counter.is_live(now));
    if counters.len() < MAX_ENTRIES - MAX_ENTRIES / 8 {
        return;
    }
    let mut by_age: Vec<(Instant, Key)> = counters.iter().map(|(k, c)| (c.last, *k)).collect();
    let evict = counters.len() - (MAX_ENTRIES - MAX_ENTRIES / 8);
    by_age.select_nth_unstable_by_key(evict, |(last, _)| *last);
    for (_, key) in &by_age[..evict] {
        counters.remove(key);
    }
}

/// A fixed-size key for `bytes` of `kind` (also the shared limits' keys, `limits/`).
pub(crate) fn digest(kind: &[u8], bytes: &[u8]) -> Key {
    let mut hasher = Sha256::new();
    hasher.update([u8::try_from(kind.len()).unwrap_or(u8::MAX)]);
    hasher.update(kind);
    hasher.update(bytes);
    let full: [u8; 32] = hasher.finalize().into();
    let mut key = [0u8; 16];
    key.copy_from_slice(&full[..16]);
    key
}

/// The server-wide count's key in the database.
fn global_key() -> Key {
    digest(b"global", b"")
}

fn account_key(account: &str) -> Key {
    digest(b"account", account.as_bytes())
}

/// IPv6 clients usually own a whole /64, so that is what one address means there.
fn address_key(addr: IpAddr) -> Key {
    match addr {
        IpAddr::V4(v4) => digest(b"ipv4", &v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => digest(b"ipv4", &v4.octets()),
            None => digest(b"ipv6", &v6.octets()[..8]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(account: &'a str, addr: &str) -> Attempt<'a> {
        Attempt {
            account,
            addr: Some(addr.parse().unwrap()),
            device: None,
        }
    }

    #[test]
    fn account_delay_grows_across_addresses_but_never_locks_a_trusted_device() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        // Eight addresses used to give 40 free guesses; now the account slows after five.
        let mut allowed = 0;
        let mut now = t0;
        for i in 0..40 {
            let attempt = at("alice", &format!("10.0.0.{}", i % 8 + 1));
            if throttle.check(&attempt, now).is_ok() {
                allowed += 1;
                throttle.fail(&attempt, now);
            }
            now += Duration::from_millis(100);
        }
        // Five at once, then one after 1 s and one 2 s later: the next must wait 4 s.
        assert_eq!(allowed, FREE_ACCOUNT_FAILURES + 2, "guesses in 4 s");
        let wait = throttle.check(&at("alice", "10.0.0.9"), now).unwrap_err();
        assert!((1..=4).contains(&wait), "{wait}");
        // The delay doubles with every further failure, up to the window.
        assert_eq!(account_delay(FREE_ACCOUNT_FAILURES + 3), Duration::from_secs(8));
        assert_eq!(account_delay(FREE_ACCOUNT_FAILURES + 30), WINDOW);
        // The owner's device, signed for alice, is let through at once; not for another name.
        let token = throttle.device_token("alice");
        let device = throttle.device("alice", Some(&token));
        assert!(device.is_some());
        assert!(throttle.device("bob", Some(&token)).is_none());
        assert!(throttle.device("alice", Some("forged-token")).is_none());
        let owner = Attempt {
            device,
            ..at("alice", "10.0.0.1")
        };
        assert!(throttle.check(&owner, now).is_ok());
        // …until that device itself fails five times.
        for _ in 0..DEVICE_FAILURES {
            throttle.fail(&owner, now);
        }
        assert!(throttle.check(&owner, now).is_err());
        // Quiet for a window: the account is free again.
        assert!(throttle.check(&at("alice", "10.0.0.9"), now + WINDOW).is_ok());
    }

    #[test]
    fn one_address_fails_at_most_twenty_times_across_usernames() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let mut allowed = 0;
        for i in 0..100 {
            let name = format!("user{i}");
            let attempt = at(&name, "192.168.1.50");
            if throttle.check(&attempt, t0).is_ok() {
                allowed += 1;
                throttle.fail(&attempt, t0);
            }
        }
        assert_eq!(allowed, ADDRESS_FAILURES);
        assert_eq!(
            throttle.check(&at("someone", "192.168.1.50"), t0).unwrap_err(),
            WINDOW.as_secs()
        );
        assert!(throttle.check(&at("someone", "192.168.1.51"), t0).is_ok());
        // One IPv6 /64 is one address.
        for i in 0..ADDRESS_FAILURES {
            throttle.fail(&at(&format!("v6user{i}"), &format!("2001:db8::{i:x}")), t0);
        }
        assert!(throttle.check(&at("another", "2001:db8::ffff"), t0).is_err());
        assert!(throttle.check(&at("another", "2001:db8:0:1::1"), t0).is_ok());
        assert!(
            throttle
                .check(&at("someone", "192.168.1.50"), t0 + WINDOW)
                .is_ok()
        );
    }

    #[test]
    fn global_ceiling_stops_a_spread_out_attack() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let mut allowed = 0;
        for i in 0..(GLOBAL_FAILURES * 2) {
            let name = format!("n{i}");
            let addr = format!("10.{}.{}.1", i / 250, i % 250);
            let attempt = at(&name, &addr);
            if throttle.check(&attempt, t0).is_ok() {
                allowed += 1;
                throttle.fail(&attempt, t0);
            }
        }
        assert_eq!(allowed, GLOBAL_FAILURES);
        assert!(throttle.check(&at("fresh", "172.16.0.1"), t0).is_err());
        // A trusted device still gets through.
        let device = throttle.device("fresh", Some(&throttle.device_token("fresh")));
        let owner = Attempt {
            device,
            ..at("fresh", "172.16.0.1")
        };
        assert!(throttle.check(&owner, t0).is_ok());
    }

    #[test]
    fn memory_has_a_hard_ceiling_whatever_arrives() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        // Three halves of the ceiling of distinct names and addresses (two counters each),
        // bypassing `check` as a flood of trusted-device failures would.
        let flood = MAX_ENTRIES * 3 / 2;
        for i in 0..flood {
            let name = format!("n{i}");
            let addr = IpAddr::from((i as u32).to_be_bytes());
            throttle.fail(
                &Attempt {
                    account: &name,
                    addr: Some(addr),
                    device: None,
                },
                t0 + Duration::from_micros(i as u64),
            );
            assert!(throttle.len() <= MAX_ENTRIES, "{} after {i}", throttle.len());
        }
        assert!(throttle.len() > MAX_ENTRIES / 2, "{}", throttle.len());
        // The newest failures survived eviction, the oldest did not.
        let counters = |name: &str| throttle.lock().counters.contains_key(&account_key(name));
        assert!(counters(&format!("n{}", flood - 1)));
        assert!(!counters("n0"));
        // Keys are digests: a 60,000-character name costs the same 16 bytes as "bob".
        let long_name = "x".repeat(60_000);
        throttle.fail(&at(&long_name, "10.9.9.9"), t0 + Duration::from_secs(1));
        assert!(counters(&long_name));
        assert_eq!(size_of::<Key>(), 16);
        throttle.prune_all(t0 + WINDOW * 2);
        assert_eq!(throttle.len(), 0);
    }
}
