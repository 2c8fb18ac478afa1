//! Counting what happened to every message: a latency histogram, and for each message how many
//! recipients should get it and how many did, so loss and duplicates are exact counts rather
//! than estimates.
//!
//! A run is split into phases (one rate step, the run with or without slow readers, …). Each
//! message carries its phase and its slot in that phase; each recipient records into the
//! phase's slot. All clients live in one process, so send and receive times come from one
//! monotonic clock.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Sub-buckets per power of two: values are kept to within 1/64 (1.6 %).
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
const LINEAR: u64 = 2 * SUB;
const BUCKETS: usize = (LINEAR + (64 - SUB_BITS as u64 - 1) * SUB) as usize;

/// A log-linear histogram of durations in nanoseconds (like HdrHistogram, with ~1.6 % error).
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

fn bucket(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exponent = u64::from(63 - value.leading_zeros()); // >= SUB_BITS + 1
    let shift = exponent - u64::from(SUB_BITS);
    let mantissa = (value >> shift) - SUB; // 0..SUB
    (LINEAR + (exponent - u64::from(SUB_BITS) - 1) * SUB + mantissa) as usize
}

/// The largest value that falls in bucket `index`.
fn bucket_high(index: usize) -> u64 {
    let index = index as u64;
    if index < LINEAR {
        return index;
    }
    let octave = (index - LINEAR) / SUB;
    let mantissa = (index - LINEAR) % SUB;
    let shift = octave + 1;
    let high = (u128::from(SUB + mantissa + 1) << shift) - 1;
    u64::try_from(high).unwrap_or(u64::MAX)
}

impl Histogram {
    pub fn record(&mut self, nanos: u64) {
        self.counts[bucket(nanos).min(BUCKETS - 1)] += 1;
        self.total += 1;
        self.max = self.max.max(nanos);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0..=1), rounded up to its bucket's top; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_high(index).min(self.max);
            }
        }
        self.max
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// p50, p99 and max in milliseconds.
    pub fn summary(&self) -> Latency {
        let ms = |nanos: u64| nanos as f64 / 1e6;
        Latency {
            count: self.total,
            p50_ms: ms(self.quantile(0.50)),
            p99_ms: ms(self.quantile(0.99)),
            max_ms: ms(self.max),
        }
    }
}

/// Latency figures of a set of deliveries.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Expected and actual recipients of one message.
#[derive(Default)]
struct Slot {
    expected: AtomicU32,
    delivered: AtomicU32,
}

/// One phase of a run: its messages, who should get them, who did and how fast.
pub struct Phase {
    pub id: u8,
    pub name: String,
    slots: Box<[Slot]>,
    next: AtomicU32,
    expected_total: AtomicU64,
    delivered_total: AtomicU64,
    duplicates: AtomicU64,
    unexpected: AtomicU64,
    refused: AtomicU64,
    acks: AtomicU64,
    errors: AtomicU64,
    latency: Mutex<Histogram>,
    ack_latency: Mutex<Histogram>,
    started: Instant,
    last_send: Mutex<Option<Instant>>,
}

/// What one phase amounted to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PhaseResult {
    /// Messages sent.
    pub sent: u64,
    /// Messages acknowledged to their sender (the sender's own copy came back).
    pub acked: u64,
    /// Deliveries expected (each message times its recipients) and made.
    pub expected_deliveries: u64,
    pub deliveries: u64,
    /// Expected deliveries that never came.
    pub lost: u64,
    /// Messages of which no recipient got a copy (a sign that they never reached the server).
    pub lost_messages: u64,
    /// Deliveries a client had already had (or got out of order).
    pub duplicated: u64,
    /// Deliveries to a client that was not a recipient, or of an unknown message.
    pub unexpected: u64,
    /// `error` events and failed sends.
    pub errors: u64,
    /// Messages not sent because the phase ran out of slots (raise the capacity).
    pub refused: u64,
    /// From the first send to the last send, seconds.
    pub send_secs: f64,
    /// Delivery latency, send → each recipient (the sender's own copy included).
    pub latency: Latency,
    /// Send → the sender's own copy (the acknowledgement).
    pub ack_latency: Latency,
}

impl Phase {
    fn new(id: u8, name: String, capacity: usize) -> Phase {
        Phase {
            id,
            name,
            slots: (0..capacity).map(|_| Slot::default()).collect(),
            next: AtomicU32::new(0),
            expected_total: AtomicU64::new(0),
            delivered_total: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            unexpected: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            acks: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            latency: Mutex::default(),
            ack_latency: Mutex::default(),
            started: Instant::now(),
            last_send: Mutex::new(None),
        }
    }

    /// Reserves the next message slot for a message with `recipients` recipients; `None` when
    /// the phase is full.
    pub fn reserve(&self, recipients: u32) -> Option<u32> {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = self.slots.get(seq as usize) else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        slot.expected.store(recipients, Ordering::Relaxed);
        self.expected_total
            .fetch_add(u64::from(recipients), Ordering::Relaxed);
        *lock(&self.last_send) = Some(Instant::now());
        Some(seq)
    }

    /// Records one delivery of message `seq`, `latency` after it was sent. `fresh` is false
    /// when this client had already seen this message (or a later one from the same sender).
    pub fn deliver(&self, seq: u32, latency: Duration, fresh: bool, own: bool) {
        if !fresh {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let Some(slot) = self.slots.get(seq as usize) else {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let before = slot.delivered.fetch_add(1, Ordering::Relaxed);
        if before >= slot.expected.load(Ordering::Relaxed) {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.delivered_total.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        lock(&self.latency).record(nanos);
        if own {
            self.acks.fetch_add(1, Ordering::Relaxed);
            lock(&self.ack_latency).record(nanos);
        }
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Expected deliveries not made yet.
    pub fn outstanding(&self) -> u64 {
        self.expected_total
            .load(Ordering::Relaxed)
            .saturating_sub(self.delivered_total.load(Ordering::Relaxed))
    }

    pub fn acked(&self) -> u64 {
        self.acks.load(Ordering::Relaxed)
    }

    pub fn sent(&self) -> u64 {
        u64::from(self.next.load(Ordering::Relaxed)).min(self.slots.len() as u64)
    }

    /// Waits until every expected delivery was made, or `limit` passes.
    pub async fn drain(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.outstanding() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The latency histogram so far (e.g. to merge phases).
    pub fn latency(&self) -> Histogram {
        lock(&self.latency).clone()
    }

    pub fn result(&self) -> PhaseResult {
        let (mut lost, mut lost_messages) = (0, 0);
        for slot in self.slots.iter().take(self.sent() as usize) {
            let expected = slot.expected.load(Ordering::Relaxed);
            let delivered = slot.delivered.load(Ordering::Relaxed);
            lost += u64::from(expected.saturating_sub(delivered));
            lost_messages += u64::from(delivered == 0 && expected > 0);
        }
        let send_secs =
            lock(&self.last_send).map_or(0.0, |last| last.duration_since(self.started).as_secs_f64());
        PhaseResult {
            sent: self.sent(),
            acked: self.acked(),
            expected_deliveries: self.expected_total.load(Ordering::Relaxed),
            deliveries: self.delivered_total.load(Ordering::Relaxed),
            lost,
            lost_messages,
            duplicated: self.duplicates.load(Ordering::Relaxed),
            unexpected: self.unexpected.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            send_secs,
            latency: lock(&self.latency).summary(),
            ack_latency: lock(&self.ack_latency).summary(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Most phases one run may have (stamps carry the phase in one byte).
pub const MAX_PHASES: usize = 64;

/// The phases of one run, looked up by id from every client.
pub struct Phases {
    phases: Vec<OnceLock<Arc<Phase>>>,
    next: AtomicU32,
}

impl Default for Phases {
    fn default() -> Self {
        Phases {
            phases: (0..MAX_PHASES).map(|_| OnceLock::new()).collect(),
            next: AtomicU32::new(0),
        }
    }
}

impl Phases {
    /// Opens a new phase able to track `capacity` messages.
    ///
    /// # Panics
    /// If a run opens more than [`MAX_PHASES`] phases.
    pub fn open(&self, name: impl Into<String>, capacity: usize) -> Arc<Phase> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        assert!(id < MAX_PHASES, "a run has at most {MAX_PHASES} phases");
        let phase = Arc::new(Phase::new(id as u8, name.into(), capacity));
        let _ = self.phases[id].set(phase.clone());
        phase
    }

    pub fn get(&self, id: u8) -> Option<&Arc<Phase>> {
        self.phases.get(usize::from(id))?.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for value in (0..2_000_000u64)
            .step_by(997)
            .chain([1 << 40, u64::MAX / 4, u64::MAX])
        {
            let index = bucket(value);
            assert!(index >= last, "{value}");
            assert!(index < BUCKETS, "{value} -> {index}");
            assert!(bucket_high(index) >= value, "{value}");
            assert!(
                bucket_high(index) as f64 <= value as f64 * 1.016 + 1.0,
                "{value}: {}",
                bucket_high(index)
            );
            last = index;
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.02, "{p50}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.02, "{p99}");
        assert_eq!(h.quantile(1.0), 1_000_000);
    }

    #[test]
    fn loss_duplicates_and_unexpected_are_exact() {
        let phases = Phases::default();
        let phase = phases.open("p", 4);
        let a = phase.reserve(2).unwrap();
        let b = phase.reserve(2).unwrap();
        let ms = Duration::from_millis(1);
        phase.deliver(a, ms, true, true);
        phase.deliver(a, ms, true, false);
        phase.deliver(a, ms, true, false); // a third recipient: unexpected
        phase.deliver(b, ms, true, true);
        phase.deliver(b, ms, false, false); // seen twice by one client
        let result = phase.result();
        assert_eq!((result.sent, result.deliveries, result.lost), (2, 3, 1));
        assert_eq!((result.duplicated, result.unexpected, result.acked), (1, 1, 2));
        assert_eq!(phase.outstanding(), 1);
    }
}
