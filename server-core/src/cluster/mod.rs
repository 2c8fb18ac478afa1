//! How server processes sharing one PostgreSQL database tell each other about events, so a
//! client on any node hears what happened on every node.
//!
//! [`ClusterFanout`] is the [`Fanout`] of such a node: it delivers to this node's sockets
//! through the [`Hub`] as a single server does, and forwards a compact hint of every publish,
//! subscription change and session closing to the other nodes over a [`HintBus`]
//! (PostgreSQL NOTIFY: [`PgNotify`]). Each node applies the others' hints to its own hub.
//! Only what means the same on every node crosses: rooms, users, everyone, and an excluded
//! user; connection ids and the origin's `ref` stay home.
//!
//! Publishing never waits: hints queue (bounded — past the cap they are dropped, counted and
//! logged) for one background task that sends whatever is waiting as one batch, after the
//! write that caused them committed, outside any transaction of the store's.
//!
//! Local publishes and other nodes' hints reach the hub through one task, in order
//! (`order.rs`): a room's new messages reach every socket in id order with no hole, and what
//! lost hints missed is repaired from the database through a [`Backfill`] `chat/` provides.
//! Hints are lost when a node's listener connection drops (and when a sender drops them: it
//! then skips a number, at the latest a second later); [`ClusterFanout::resyncs`] then ticks
//! and the node repairs.

mod bus;
mod hint;
mod order;
mod postgres;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::{CancellationToken, DropGuard};

pub use self::bus::{HintBus, HintReceiver, Received};
pub use self::hint::NodeId;
use self::hint::{Event, Hint, Reach};
pub use self::order::{Backfill, Head, Missed};
use self::order::{Job, Orderer, Target};
pub use self::postgres::{PgNotify, PgReceiver};
use crate::error::Result;
use crate::fanout::{Audience, Fanout, Frame, InRoom, SessionEnd};
use crate::hub::Hub;
use crate::model::{RoomId, SessionId, UserId};

/// How much a node queues and sends at once.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    /// Hints waiting to be sent; past this, new ones are dropped.
    pub queue: usize,
    /// Hints sent in one statement at most.
    pub batch: usize,
    /// Frames waiting for local delivery (the orderer); past this, local ones are delivered
    /// at once, out of order, and a repair follows.
    pub deliveries: usize,
    /// How often the rooms with sockets here are compared with the database, lost hints or
    /// not: the last resort for a loss nothing reported.
    pub check: Duration,
}

impl Default for Tuning {
    fn default() -> Tuning {
        // A burst of a few thousand events (a busy room, a presence sweep) fits; a stalled
        // database fills it in seconds rather than growing memory without end.
        Tuning {
            queue: 8192,
            batch: 256,
            deliveries: 8192,
            // One short query per room with sockets here: cheap at this pace.
            check: Duration::from_secs(30),
        }
    }
}

/// The longest pause after a failed send before the next attempt.
const SEND_PAUSE_AT_MOST: Duration = Duration::from_secs(5);
/// How many remembered senders before the numbering memory is cleared (nodes get a new id at
/// every start; a cleared sender's next hint is simply taken as its first).
const SENDERS_REMEMBERED: usize = 1024;
/// How long dropped hints may stay unknown to the other nodes when nothing else is sent.
const DISCLOSE_AFTER: Duration = Duration::from_secs(1);
/// A warning per this many dropped hints, not one each.
const WARN_EVERY: u64 = 1000;

/// A [`Fanout`] for one node of a cluster: local delivery plus hints to the other nodes.
pub struct ClusterFanout {
    hub: Hub,
    node: NodeId,
    queue: mpsc::Sender<Event>,
    /// The orderer's: every local delivery goes through it.
    jobs: mpsc::Sender<Job>,
    dropped: Arc<AtomicU64>,
    /// Local frames delivered past a full orderer queue, out of order.
    overflowed: Arc<AtomicU64>,
    resync_tx: Arc<watch::Sender<u64>>,
    resyncs: watch::Receiver<u64>,
    /// Stops the listener when this fanout goes; the sender stops once the queue is drained.
    _stop: DropGuard,
}

impl ClusterFanout {
    /// Starts a node on `bus` delivering to `hub` and repairing through `backfill`, with
    /// [`Tuning::default`].
    ///
    /// # Errors
    /// When the bus cannot start receiving (the database is unreachable, say).
    pub async fn start<B: HintBus>(hub: Hub, bus: B, backfill: Arc<dyn Backfill>) -> Result<ClusterFanout> {
        ClusterFanout::start_with(hub, bus, backfill, Tuning::default()).await
    }

    /// Starts a node on `bus` delivering to `hub`. Returns once it receives: every hint
    /// another node sends from then on reaches `hub`, or a resync is reported.
    ///
    /// # Errors
    /// When the bus cannot start receiving.
    pub async fn start_with<B: HintBus>(
        hub: Hub,
        bus: B,
        backfill: Arc<dyn Backfill>,
        tuning: Tuning,
    ) -> Result<ClusterFanout> {
        let receiver = bus.receive().await?;
        let node = random_node_id()?;
        let (queue, outgoing) = mpsc::channel(tuning.queue.max(1));
        let (jobs, incoming) = mpsc::channel(tuning.deliveries.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let (resync_tx, resyncs) = watch::channel(0);
        let resync_tx = Arc::new(resync_tx);
        let stop = CancellationToken::new();
        tokio::spawn(
            Sender {
                bus,
                node,
                seq: 0,
                dropped: dropped.clone(),
                batch: tuning.batch.max(1),
            }
            .run(outgoing),
        );
        tokio::spawn(
            Orderer {
                hub: hub.clone(),
                backfill,
                delivered: HashMap::new(),
            }
            .run(incoming),
        );
        tokio::spawn(checks(jobs.clone(), resyncs.clone(), tuning.check, stop.clone()));
        tokio::spawn(
            Listener {
                node,
                jobs: jobs.clone(),
                last_seq: HashMap::new(),
                hub: hub.clone(),
                resyncs: resync_tx.clone(),
            }
            .run(receiver, stop.clone()),
        );
        Ok(ClusterFanout {
            hub,
            node,
            queue,
            jobs,
            dropped,
            overflowed: Arc::new(AtomicU64::new(0)),
            resync_tx,
            resyncs,
            _stop: stop.drop_guard(),
        })
    }

    /// This node's id in the cluster (random, new at every start).
    pub fn node_id(&self) -> NodeId {
        self.node
    }

    /// Hints this node could not send (queue full, or the bus refused them) since it started.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Ticks every time this node may have missed other nodes' hints: its listener
    /// reconnected, a sender's numbering skipped, or a hint was unreadable. Each tick asks
    /// for a repair from the database.
    pub fn resyncs(&self) -> watch::Receiver<u64> {
        self.resyncs.clone()
    }

    /// Queues `event` for the other nodes without waiting.
    fn forward(&self, event: Event) {
        if self.queue.try_send(event).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed);
            if dropped % WARN_EVERY == 0 {
                tracing::warn!(
                    dropped = dropped + 1,
                    "the cluster hint queue is full: other nodes miss events until they resync"
                );
            }
        }
    }
}

impl ClusterFanout {
    /// Delivers here through the orderer, and forwards to the other nodes.
    fn publish_at(&self, audience: Audience<'_>, frame: &Frame, at: Option<InRoom>) {
        let job = Job::Publish {
            target: Target::of(audience),
            frame: frame.clone(),
            at,
        };
        if self.jobs.try_send(job).is_err() {
            // Far behind: deliver now rather than lose it (an answer to a socket may be in
            // it), and have the rooms repaired once the orderer catches up.
            self.hub.publish(audience, frame);
            let overflowed = self.overflowed.fetch_add(1, Ordering::Relaxed);
            if overflowed % WARN_EVERY == 0 {
                tracing::warn!(
                    overflowed = overflowed + 1,
                    "the cluster delivery queue is full: delivering out of order, then resyncing"
                );
            }
            self.resync_tx.send_modify(|count| *count += 1);
        }
        if let Some(reach) = Reach::of(audience.scope) {
            self.forward(Event::Publish {
                reach,
                except_user: audience.except_user,
                frame: frame.clone(),
                at,
            });
        }
    }
}

impl Fanout for ClusterFanout {
    fn publish(&self, audience: Audience<'_>, frame: &Frame) {
        self.publish_at(audience, frame, None);
    }

    fn publish_in_room(&self, audience: Audience<'_>, frame: &Frame, at: InRoom) {
        self.publish_at(audience, frame, Some(at));
    }

    fn subscribe(&self, user: UserId, room: RoomId) {
        self.hub.subscribe(user, room);
        self.forward(Event::Subscribe { user, room });
    }

    fn unsubscribe(&self, user: UserId, room: RoomId) {
        self.hub.unsubscribe(user, room);
        self.forward(Event::Unsubscribe { user, room });
    }

    fn close_sessions(&self, sessions: &[SessionId], why: SessionEnd) {
        self.hub.close_sessions(sessions, why);
        self.forward(Event::CloseSessions {
            sessions: sessions.to_vec(),
            why,
        });
    }
}

fn random_node_id() -> Result<NodeId> {
    let mut bytes = [0; 8];
    getrandom::fill(&mut bytes).map_err(|e| crate::error::Error::Internal(format!("random: {e}")))?;
    Ok(NodeId::from_le_bytes(bytes))
}

/// The background task that numbers queued hints and sends them in batches.
struct Sender<B> {
    bus: B,
    node: NodeId,
    /// The last number given.
    seq: u64,
    /// Shared with [`ClusterFanout::forward`].
    dropped: Arc<AtomicU64>,
    batch: usize,
}

impl<B: HintBus> Sender<B> {
    async fn run(mut self, mut queue: mpsc::Receiver<Event>) {
        let mut dropped_seen = 0;
        let mut pause = Duration::from_millis(50);
        let mut events = Vec::with_capacity(self.batch);
        loop {
            let received = if self.dropped.load(Ordering::Relaxed) == dropped_seen {
                queue.recv_many(&mut events, self.batch).await
            } else {
                // Hints were dropped and no receiver can know until a number is skipped: if
                // nothing else is sent soon, send a hint that only skips it, so they repair
                // now (edits included) instead of whenever this node next has something.
                match tokio::time::timeout(DISCLOSE_AFTER, queue.recv_many(&mut events, self.batch)).await {
                    Ok(received) => received,
                    Err(_) => {
                        events.push(Event::Skipped);
                        1
                    }
                }
            };
            if received == 0 {
                return;
            }
            // Hints were dropped since the last batch: skip a number, so every receiver sees
            // the gap and resyncs. The lost events were committed before they were dropped,
            // so a repair the gap triggers finds them.
            let dropped = self.dropped.load(Ordering::Relaxed);
            if dropped != dropped_seen {
                dropped_seen = dropped;
                self.seq += 1;
            }
            let hints: Vec<String> = events
                .drain(..)
                .map(|event| {
                    self.seq += 1;
                    hint::encode(self.node, self.seq, &event)
                })
                .collect();
            let count = hints.len() as u64;
            match self.bus.send(hints).await {
                Ok(()) => pause = Duration::from_millis(50),
                Err(e) => {
                    self.dropped.fetch_add(count, Ordering::Relaxed);
                    tracing::warn!(error = %e, hints = count, retry_in = ?pause, "sending cluster hints failed; other nodes will resync");
                    // Whatever queues meanwhile is sent next, or dropped if the queue fills.
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(SEND_PAUSE_AT_MOST);
                }
            }
        }
    }
}

/// Asks the orderer for a check every `every`, and for a repair at each resync tick.
async fn checks(
    jobs: mpsc::Sender<Job>,
    mut resyncs: watch::Receiver<u64>,
    every: Duration,
    stop: CancellationToken,
) {
    let mut timer = tokio::time::interval(every.max(Duration::from_millis(10)));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: nothing to compare yet.
    timer.tick().await;
    loop {
        let lost = tokio::select! {
            () = stop.cancelled() => return,
            _ = timer.tick() => false,
            changed = resyncs.changed() => match changed {
                Ok(()) => true,
                Err(_) => return,
            },
        };
        if jobs.send(Job::Check { lost }).await.is_err() {
            return;
        }
    }
}

/// The background task that applies other nodes' hints to this node.
struct Listener {
    node: NodeId,
    /// The orderer's queue, for published frames.
    jobs: mpsc::Sender<Job>,
    /// Subscriptions and closings apply to it directly.
    hub: Hub,
    /// Per sender, the last number applied.
    last_seq: HashMap<NodeId, u64>,
    resyncs: Arc<watch::Sender<u64>>,
}

impl Listener {
    async fn run<R: HintReceiver>(mut self, mut receiver: R, stop: CancellationToken) {
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => return,
                received = receiver.next() => received,
            };
            let job = match received {
                Received::Hint(text) => match hint::decode(&text) {
                    Ok(hint) => self.apply(hint),
                    Err(e) => {
                        tracing::warn!(error = %e, "an unreadable cluster hint");
                        self.resync();
                        None
                    }
                },
                Received::Gap => {
                    self.resync();
                    None
                }
            };
            // Waiting here only slows reading hints; the database holds them meanwhile.
            if let Some(job) = job {
                if self.jobs.send(job).await.is_err() {
                    return;
                }
            }
        }
    }

    /// Applies `hint`, or returns the delivery it asks the orderer for.
    fn apply(&mut self, hint: Hint) -> Option<Job> {
        if hint.node == self.node {
            return None;
        }
        if self.last_seq.len() >= SENDERS_REMEMBERED && !self.last_seq.contains_key(&hint.node) {
            self.last_seq.clear();
        }
        if let Some(last) = self.last_seq.insert(hint.node, hint.seq) {
            if hint.seq != last + 1 {
                tracing::warn!(
                    node = hint.node,
                    expected = last + 1,
                    got = hint.seq,
                    "cluster hints from a node were lost"
                );
                self.resync();
            }
        }
        match hint.event {
            Event::Publish {
                reach,
                except_user,
                frame,
                at,
            } => {
                return Some(Job::Publish {
                    target: Target::of(Event::audience(reach, except_user)),
                    frame,
                    at,
                });
            }
            Event::Subscribe { user, room } => self.hub.subscribe(user, room),
            Event::Unsubscribe { user, room } => self.hub.unsubscribe(user, room),
            Event::CloseSessions { sessions, why } => self.hub.close_sessions(&sessions, why),
            // Its number, checked above, was all it carried.
            Event::Skipped => {}
        }
        None
    }

    fn resync(&self) {
        self.resyncs.send_modify(|count| *count += 1);
    }
}
