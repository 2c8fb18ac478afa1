//! The store's interface for the limits several nodes sharing one database must count
//! together: token buckets, failed logins, the upload quota and each node's sockets per user.
//! Only PostgreSQL implements it (one SQLite server keeps these counters in memory, see
//! `chat/limits/`); [`super::Backend::limit_store`] says which.

use async_trait::async_trait;

use crate::cluster::NodeId;
use crate::error::Result;
use crate::model::UserId;
use crate::time::Millis;

/// What a counter is keyed by: a digest of what is limited (never the name or address itself).
pub type LimitKey = [u8; 16];

/// A token bucket's shape: `burst` tokens, all of them back within `period_ms`.
#[derive(Clone, Copy, Debug)]
pub struct BucketRate {
    pub burst: u32,
    pub period_ms: i64,
}

/// A bucket after a take: whether the token was there, and the tokens left.
#[derive(Clone, Copy, Debug)]
pub struct Take {
    pub granted: bool,
    pub tokens: f64,
}

/// A live login-failure counter as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FailureRow {
    /// A [`LimitKey`]'s bytes.
    pub key: Vec<u8>,
    pub failures: i32,
    pub first_ms: Millis,
    pub last_ms: Millis,
}

/// A user's uploads in the rolling window: per slot (its first upload's time), the bytes.
pub type UploadSlots = Vec<(Millis, i64)>;

/// Registers a socket on this node within the cap it is given (the cluster's cap less the
/// sockets other nodes hold) and returns how many the user then has here.
pub type RegisterWithin<'a> = dyn FnMut(usize) -> usize + Send + 'a;

/// Limits counted once for every node of one database. Every method is atomic against other
/// nodes doing the same: two nodes racing for the last token cannot both get it.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Takes a token from bucket `key` (created full), refilled for the time since its last
    /// take at `now`.
    async fn take_token(&self, key: &LimitKey, rate: BucketRate, now: Millis) -> Result<Take>;

    /// The counters among `keys` that failed within `window_ms` of `now` (an account's since
    /// its last failure, the others since their first).
    async fn login_failures(&self, keys: &[LimitKey], window_ms: i64, now: Millis)
    -> Result<Vec<FailureRow>>;

    /// Counts a failure against each key (`true`: a sliding window), starting afresh those
    /// whose window passed.
    async fn record_login_failure(
        &self,
        keys: &[(LimitKey, bool)],
        window_ms: i64,
        now: Millis,
    ) -> Result<()>;

    /// Forgets the failures of `key`.
    async fn forget_login_failures(&self, key: &LimitKey) -> Result<()>;

    /// The secret every node signs device tokens with: the stored one, or `fresh` if there
    /// is none yet.
    async fn device_secret(&self, fresh: [u8; 32]) -> Result<[u8; 32]>;

    /// Adds `size` bytes to `key`'s uploads at `now` if what it uploaded since `since_ms` plus
    /// `size` stays within `quota` (only checks when `record` is false): to its latest slot
    /// if that began less than `slot_len_ms` ago, else to a new slot beginning now
    /// (`window`: `(since_ms, slot_len_ms)`). `Err`
    /// with the slots of the window, oldest first, when it would not fit.
    async fn charge_upload(
        &self,
        key: &LimitKey,
        size: i64,
        quota: i64,
        record: bool,
        now: Millis,
        window: (Millis, i64),
    ) -> Result<std::result::Result<(), UploadSlots>>;

    /// Admits one more socket of `user` on `node` if the sockets other live nodes hold leave
    /// room under `cap`: `register` is called (under the user's lock) with what is left for
    /// this node and returns the user's sockets here, which are recorded. `false` when the
    /// other nodes hold `cap` already (`register` is not called).
    async fn claim_socket(
        &self,
        node: NodeId,
        user: UserId,
        cap: usize,
        register: &mut RegisterWithin<'_>,
    ) -> Result<bool>;

    /// Records the sockets `user` has on `node` now, as `count` reads them under the user's
    /// lock (0 forgets the row).
    async fn sync_sockets(
        &self,
        node: NodeId,
        user: UserId,
        count: &(dyn Fn() -> usize + Send + Sync),
    ) -> Result<()>;

    /// Removes what no longer holds anyone back at `now`: full buckets, aged-out failures,
    /// upload slots older than `upload_since`, and sockets of nodes that are gone. Returns the
    /// rows removed.
    async fn purge_limits(&self, now: Millis, upload_since: Millis) -> Result<u64>;
}
