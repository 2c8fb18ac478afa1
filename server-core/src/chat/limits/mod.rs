//! Rate limits and quotas: token buckets per user (messages, edits and deletes, reactions,
//! typing — one set per user, so REST and WebSocket draw on the same tokens), a registration
//! bucket per client address, rooms created per rolling day; bytes uploaded per rolling day and
//! the free-disk floor under the uploads folder are `uploads.rs`. The socket cap per user is
//! enforced by the hub, which sees every registration (`Hub::set_sockets_per_user`).
//!
//! On a cluster the buckets and the upload quota are counted in the database instead, for
//! every node at once (see `shared_limits.rs`); the rules and the answers are the same.
//!
//! Memory is bounded: user buckets by the number of accounts (and forgotten once full again),
//! address buckets by [`MAX_ADDRESSES`] with the oldest evicted, upload windows by one slot per
//! hour per user.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::shared_limits::Shared;
use super::throttle::digest;
use crate::config::{Limits, Rate};
use crate::error::{Error, Result};
use crate::model::UserId;
use crate::store::Store;
use crate::time::Millis;

mod uploads;
pub(crate) use uploads::free_disk_bytes;

/// Client addresses whose registration buckets are remembered; beyond it the oldest is
/// forgotten (it gets a fresh bucket if it comes back).
pub const MAX_ADDRESSES: usize = 4096;
/// The rolling window of the rooms and upload quotas.
const DAY: Duration = Duration::from_secs(24 * 3600);
/// [`DAY`] on the server clock, which the database windows use.
const DAY_MS: Millis = 24 * 3600 * 1000;
/// Uploads are summed per slot of this length, so a user's window is at most 25 slots.
const UPLOAD_SLOT: Duration = Duration::from_secs(3600);
const MB: u64 = 1024 * 1024;

/// What a signed-in user does that draws on a token bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Sending a message or uploading a file.
    Message,
    /// Editing or deleting a message.
    Edit,
    /// Adding or removing a reaction.
    Reaction,
    /// A `typing_start` or `typing_stop`.
    Typing,
}

impl Action {
    const COUNT: usize = 4;

    fn index(self) -> usize {
        self as usize
    }

    fn refusal(self) -> &'static str {
        match self {
            Action::Message => "you are sending messages faster than this server allows",
            Action::Edit => "you are editing or deleting messages faster than this server allows",
            Action::Reaction => "you are reacting faster than this server allows",
            Action::Typing => "typing notifications are arriving faster than this server allows",
        }
    }
}

/// A token bucket's state; its [`Rate`] is kept once, in the limits.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(rate.burst),
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second(rate)).min(f64::from(rate.burst));
        self.at = now;
    }

    /// Takes one token, or says in how many whole seconds one will be there (at least 1).
    fn take(&mut self, rate: Rate, now: Instant) -> std::result::Result<(), u64> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(wait_for_token(self.tokens, rate))
    }

    fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let mut copy = *self;
        copy.refill(rate, now);
        copy.tokens >= f64::from(rate.burst)
    }
}

/// Whole seconds until a bucket holding `tokens` (less than one) has one, at least 1:
/// "try again in 0 seconds" would invite a refused retry.
fn wait_for_token(tokens: f64, rate: Rate) -> u64 {
    let wait = (1.0 - tokens) * rate.period.as_secs_f64() / f64::from(rate.burst);
    (wait.ceil() as u64).max(1)
}

fn per_second(rate: Rate) -> f64 {
    f64::from(rate.burst) / rate.period.as_secs_f64().max(0.001)
}

/// Registration buckets per address, at most [`MAX_ADDRESSES`] of them, oldest evicted first.
#[derive(Default)]
struct Addresses {
    buckets: HashMap<IpAddr, Bucket>,
    /// Insertion order, for eviction: each key of `buckets` exactly once.
    order: VecDeque<IpAddr>,
}

impl Addresses {
    fn bucket(&mut self, key: IpAddr, rate: Rate, now: Instant) -> &mut Bucket {
        if !self.buckets.contains_key(&key) {
            while self.order.len() >= MAX_ADDRESSES {
                if let Some(oldest) = self.order.pop_front() {
                    self.buckets.remove(&oldest);
                }
            }
            self.order.push_back(key);
        }
        self.buckets.entry(key).or_insert_with(|| Bucket::full(rate, now))
    }
}

/// The key an address is limited by: one IPv4 address, or one IPv6 /64 (what a single home or
/// office network is given, so rotating through it does not escape the limit).
fn address_key(addr: Option<IpAddr>) -> IpAddr {
    match addr.map(|a| a.to_canonical()) {
        Some(IpAddr::V6(v6)) => {
            let masked = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(masked))
        }
        Some(v4) => v4,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

/// Bytes uploaded per hour slot, oldest first.
type UploadWindow = VecDeque<(Instant, u64)>;

#[derive(Default)]
struct State {
    users: HashMap<UserId, [Option<Bucket>; Action::COUNT]>,
    addresses: Addresses,
    uploads: HashMap<UserId, UploadWindow>,
}

/// The limits in force and what each user and address has used; cheap to clone.
#[derive(Clone)]
pub struct Limiter {
    limits: Arc<Limits>,
    state: Arc<Mutex<State>>,
    /// The database's counters, when other nodes count with this one.
    shared: Option<Shared>,
}

impl Limiter {
    /// Limits counted in this process's memory: it is the only server.
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits: Arc::new(limits),
            state: Arc::default(),
            shared: None,
        }
    }

    /// Limits counted in the database, together with every node sharing it.
    pub fn shared(limits: Limits, shared: Shared) -> Limiter {
        Limiter {
            shared: Some(shared),
            ..Limiter::new(limits)
        }
    }

    /// The shared counters, on a cluster.
    pub fn cluster(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rate(&self, action: Action) -> Rate {
        match action {
            Action::Message => self.limits.messages,
            Action::Edit => self.limits.edits,
            Action::Reaction => self.limits.reactions,
            Action::Typing => self.limits.typing,
        }
    }

    /// Takes a token for `user` doing `action`.
    ///
    /// # Errors
    /// `429 rate_limited` with the seconds until a token is back.
    pub async fn take(&self, user: UserId, action: Action) -> Result<()> {
        let Some(shared) = self.shared.as_ref().filter(|_| self.limits.rate_limits) else {
            return self.take_at(user, action, Instant::now());
        };
        let rate = self.rate(action);
        let mut id = user.to_le_bytes().to_vec();
        id.push(action as u8);
        Self::take_shared(shared, &digest(b"bucket", &id), rate, action.refusal()).await
    }

    async fn take_shared(shared: &Shared, key: &[u8; 16], rate: Rate, message: &'static str) -> Result<()> {
        let period_ms = i64::try_from(rate.period.as_millis()).unwrap_or(i64::MAX);
        shared
            .take(key, rate.burst, period_ms)
            .await?
            .map_err(|tokens| Error::RateLimited {
                message,
                retry_after: wait_for_token(tokens, rate),
            })
    }

    fn take_at(&self, user: UserId, action: Action, now: Instant) -> Result<()> {
        if !self.limits.rate_limits {
            return Ok(());
        }
        let rate = self.rate(action);
        let mut state = self.lock();
        let slot = &mut state.users.entry(user).or_default()[action.index()];
        slot.get_or_insert_with(|| Bucket::full(rate, now))
            .take(rate, now)
            .map_err(|retry_after| Error::RateLimited {
                message: action.refusal(),
                retry_after,
            })
    }

    /// Takes a registration token for the client at `addr`.
    ///
    /// # Errors
    /// `429 rate_limited` when this address (or IPv6 /64) registered too many accounts lately.
    pub async fn register(&self, addr: Option<IpAddr>) -> Result<()> {
        let Some(shared) = self.shared.as_ref().filter(|_| self.limits.rate_limits) else {
            return self.register_at(addr, Instant::now());
        };
        let key = match address_key(addr) {
            IpAddr::V4(v4) => digest(b"register-ipv4", &v4.octets()),
            IpAddr::V6(v6) => digest(b"register-ipv6", &v6.octets()),
        };
        Self::take_shared(shared, &key, self.limits.registrations, REGISTRATIONS).await
    }

    fn register_at(&self, addr: Option<IpAddr>, now: Instant) -> Result<()> {
        if !self.limits.rate_limits {
            return Ok(());
        }
        let rate = self.limits.registrations;
        self.lock()
            .addresses
            .bucket(address_key(addr), rate, now)
            .take(rate, now)
            .map_err(|retry_after| Error::RateLimited {
                message: REGISTRATIONS,
                retry_after,
            })
    }

    /// Whether `user` may create another room now (`now`: the server clock).
    ///
    /// # Errors
    /// `429 rate_limited` with the seconds until their oldest room of the last 24 hours ages
    /// out; database errors.
    pub async fn create_room(&self, store: &Store, user: UserId, now: Millis) -> Result<()> {
        let cap = self.limits.rooms_per_day;
        if !self.limits.rate_limits {
            return Ok(());
        }
        let recent = store.rooms_created_since(user, now - DAY_MS, cap).await?;
        if recent.len() < cap as usize {
            return Ok(());
        }
        let oldest = recent.iter().copied().min().unwrap_or(now);
        let wait_ms = u64::try_from(oldest + DAY_MS - now).unwrap_or(0);
        Err(Error::RateLimited {
            message: "you have created as many rooms as this server allows in a day",
            retry_after: wait_ms.div_ceil(1000).max(1),
        })
    }

    /// On a cluster, removes the database's counters that hold nobody back any more (the
    /// caller holds the purge's lock, so one node does it). Returns the rows removed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_shared(&self) -> Result<u64> {
        let Some(shared) = &self.shared else {
            return Ok(0);
        };
        let now = shared.now();
        shared.store.purge_limits(now, now - DAY_MS).await
    }

    /// Forgets buckets that are full again and windows that are empty, so memory follows
    /// recent activity rather than everyone who ever did anything.
    pub fn prune(&self, now: Instant) {
        let limits = &self.limits;
        let rates = [limits.messages, limits.edits, limits.reactions, limits.typing];
        let mut state = self.lock();
        state.users.retain(|_, buckets| {
            for (slot, rate) in buckets.iter_mut().zip(rates) {
                if slot.is_some_and(|bucket| bucket.is_full(rate, now)) {
                    *slot = None;
                }
            }
            buckets.iter().any(Option::is_some)
        });
        let addresses = &mut state.addresses;
        addresses
            .buckets
            .retain(|_, bucket| !bucket.is_full(limits.registrations, now));
        let Addresses { buckets, order } = addresses;
        order.retain(|key| buckets.contains_key(key));
        state.uploads.retain(|_, window| {
            window.retain(|(slot, _)| now.saturating_duration_since(*slot) < DAY);
            !window.is_empty()
        });
    }
}

const REGISTRATIONS: &str = "too many accounts were registered from your network";

#[cfg(test)]
mod tests {
    use super::*;

    /// Also the upload tests' (`uploads.rs`).
    pub(super) fn limiter(adjust: impl FnOnce(&mut Limits)) -> Limiter {
        let mut limits = Limits::default();
        adjust(&mut limits);
        Limiter::new(limits)
    }

    fn retry_after(result: Result<()>) -> u64 {
        match result {
            Err(Error::RateLimited { retry_after, .. } | Error::UploadQuota { retry_after, .. }) => {
                retry_after
            }
            other => panic!("expected a limit, got {other:?}"),
        }
    }

    #[test]
    fn a_burst_passes_then_tokens_come_back_at_the_rate() {
        let limits = limiter(|l| l.messages = Rate::new(30, Duration::from_secs(30)));
        let t0 = Instant::now();
        for i in 0..30 {
            assert!(limits.take_at(1, Action::Message, t0).is_ok(), "message {i}");
        }
        assert_eq!(retry_after(limits.take_at(1, Action::Message, t0)), 1);
        // Another user, and another action of the same user, have their own buckets.
        assert!(limits.take_at(2, Action::Message, t0).is_ok());
        assert!(limits.take_at(1, Action::Edit, t0).is_ok());
        // One second later one more message is allowed, and only one.
        let t1 = t0 + Duration::from_secs(1);
        assert!(limits.take_at(1, Action::Message, t1).is_ok());
        assert!(limits.take_at(1, Action::Message, t1).is_err());
        // After the whole period the burst is back.
        let t2 = t1 + Duration::from_secs(30);
        for _ in 0..30 {
            assert!(limits.take_at(1, Action::Message, t2).is_ok());
        }
    }

    #[test]
    fn every_action_has_its_own_configured_bucket() {
        let limits = limiter(|l| {
            l.edits = Rate::new(2, Duration::from_secs(60));
            l.reactions = Rate::new(3, Duration::from_secs(60));
            l.typing = Rate::new(4, Duration::from_secs(60));
        });
        let t0 = Instant::now();
        for (action, burst) in [(Action::Edit, 2), (Action::Reaction, 3), (Action::Typing, 4)] {
            for _ in 0..burst {
                assert!(limits.take_at(7, action, t0).is_ok(), "{action:?}");
            }
            // One token per 60 s / burst.
            assert_eq!(
                retry_after(limits.take_at(7, action, t0)),
                60 / burst,
                "{action:?}"
            );
        }
    }

    #[tokio::test]
    async fn off_switches_off_rates_and_quotas_only() {
        let limits = limiter(|l| {
            l.rate_limits = false;
            l.messages = Rate::new(1, Duration::from_secs(3600));
            l.upload_bytes_per_day = 1;
            l.min_free_disk_bytes = u64::MAX / 2;
        });
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(limits.take_at(1, Action::Message, t0).is_ok());
            assert!(limits.register_at(None, t0).is_ok());
        }
        assert!(limits.record_upload(1, 1 << 30).await.is_ok());
        // The disk floor stays.
        assert!(matches!(
            limits.upload_allowed(1, 1, std::path::Path::new("/")).await,
            Err(Error::InsufficientStorage)
        ));
    }

    #[test]
    fn registrations_are_limited_per_address_and_ipv6_network() {
        let limits = limiter(|l| l.registrations = Rate::new(3, Duration::from_secs(3600)));
        let t0 = Instant::now();
        let home: IpAddr = "192.168.1.20".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.register_at(Some(home), t0).is_ok());
        }
        assert_eq!(retry_after(limits.register_at(Some(home), t0)), 1200);
        assert!(
            limits
                .register_at(Some("192.168.1.21".parse().unwrap()), t0)
                .is_ok()
        );
        // An IPv4-mapped address is the same client.
        assert!(
            limits
                .register_at(Some("::ffff:192.168.1.20".parse().unwrap()), t0)
                .is_err()
        );
        // Every address of one IPv6 /64 shares a bucket.
        for i in 0..3 {
            let addr: IpAddr = format!("2001:db8:1:2::{i}").parse().unwrap();
            assert!(limits.register_at(Some(addr), t0).is_ok());
        }
        let other_host: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(limits.register_at(Some(other_host), t0).is_err());
        assert!(
            limits
                .register_at(Some("2001:db8:1:3::1".parse().unwrap()), t0)
                .is_ok()
        );
    }

    #[test]
    fn address_memory_is_capped_evicting_the_oldest() {
        let limits = limiter(|l| l.registrations = Rate::new(1, Duration::from_secs(3600)));
        let t0 = Instant::now();
        let first: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limits.register_at(Some(first), t0).is_ok());
        assert!(limits.register_at(Some(first), t0).is_err());
        for i in 0..(MAX_ADDRESSES as u32 * 3) {
            let addr = IpAddr::V4(Ipv4Addr::from(0x0B00_0000 + i));
            let _ = limits.register_at(Some(addr), t0);
        }
        {
            let state = limits.lock();
            assert_eq!(state.addresses.buckets.len(), MAX_ADDRESSES);
            assert_eq!(state.addresses.order.len(), MAX_ADDRESSES);
        }
        // The first address was evicted long ago: it starts afresh.
        assert!(limits.register_at(Some(first), t0).is_ok());
    }

    #[test]
    fn prune_forgets_full_buckets_and_old_uploads() {
        let limits = limiter(|l| l.messages = Rate::new(2, Duration::from_secs(10)));
        let t0 = Instant::now();
        limits.take_at(1, Action::Message, t0).unwrap();
        limits.register_at(None, t0).unwrap();
        limits.quota_check(1, 10, t0, true).unwrap();
        limits.prune(t0);
        {
            let state = limits.lock();
            assert_eq!(state.users.len(), 1);
            assert_eq!(state.addresses.buckets.len(), 1);
            assert_eq!(state.uploads.len(), 1);
        }
        limits.prune(t0 + DAY);
        let state = limits.lock();
        assert!(state.users.is_empty());
        assert!(state.addresses.buckets.is_empty() && state.addresses.order.is_empty());
        assert!(state.uploads.is_empty());
    }
}
