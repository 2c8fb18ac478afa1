//! The order a cluster node delivers in: every socket hears a room's new messages in id order
//! with no hole, whichever node each message came from, and after lost hints the node repairs
//! from the database.
//!
//! Every publish of a cluster node, its own and the other nodes' hints alike, goes through one
//! task, the [`Orderer`], in arrival order. Per room it remembers the newest message it
//! delivered (rooms without sockets too: a socket that subscribes is then
//! kept in order from its first frame). A `new_message` carries (room, id, prev): `prev`, the
//! room's message before it, was read under the room's lock when it was stored, so every
//! message of the room up to `prev` had committed by then. If `prev` is past what was
//! delivered, the messages in between are read from the database (committed, by that
//! argument, though their own hints are still on their way), delivered in order, then this
//! one. A hint for a message already delivered is dropped (its sender, if it is a socket here,
//! still gets its acknowledgement).
//!
//! Repair: when hints may have been lost, and every [`Tuning::check`](super::Tuning) anyway,
//! each room with sockets here is compared with the database: messages past what was
//! delivered are delivered (in order); after a loss, its sockets also get a `resync` event
//! naming the room, which makes clients fetch the edits, deletes and reactions they may have
//! missed (revisions are not carried by hints, so only a known loss asks for that). A known
//! loss also redoes what lost subscription and session hints would have done: sockets of
//! sessions that ended are closed, and each person's subscriptions here are made their rooms'
//! memberships again.
//!
//! What the frames say is `chat/`'s business: this module reads missed messages and asks for
//! frames through [`Backfill`], which `chat/` implements.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::error::Result;
use crate::fanout::SessionEnd;
use crate::fanout::{Audience, Fanout, Frame, InRoom, Origin, Scope};
use crate::hub::{ConnId, Hub};
use crate::model::{MessageId, RoomId, SessionId, UserId};

/// Pages of missed messages read for one gap at most; past that the room's sockets are told
/// to catch up by themselves.
const MAX_PAGES: usize = 10;

/// Messages of a room this node missed, oldest first.
pub struct Missed {
    /// Each message's id and its `new_message` frame for the room.
    pub frames: Vec<(MessageId, Frame)>,
    /// More messages remain in the range asked for.
    pub more: bool,
}

/// A room as the database has it now.
#[derive(Clone, Copy, Debug)]
pub struct Head {
    pub room: RoomId,
    /// Its newest message's id (0 if none).
    pub latest: MessageId,
}

/// What the orderer needs from `chat/` and the store to fill gaps and repair.
#[async_trait]
pub trait Backfill: Send + Sync {
    /// The messages of `room` with `after < id < before`, oldest first, a page at most, as
    /// the frames a room hears when they are sent.
    async fn missed(&self, room: RoomId, after: MessageId, before: MessageId) -> Result<Missed>;
    /// The newest message of each of `rooms`.
    async fn heads(&self, rooms: &[RoomId]) -> Result<Vec<Head>>;
    /// The frame telling a room's sockets to catch up with the database.
    fn resync(&self, room: RoomId) -> Frame;
    /// Of `sessions`, those that still exist.
    async fn live_sessions(&self, sessions: &[SessionId]) -> Result<Vec<SessionId>>;
    /// The rooms `user` is a member of now.
    async fn memberships(&self, user: UserId) -> Result<Vec<RoomId>>;
}

/// An [`Audience`] that outlives its publish call.
#[derive(Debug)]
pub struct Target {
    scope: Scope,
    except_conn: Option<ConnId>,
    except_user: Option<UserId>,
    origin: Option<(ConnId, Option<String>)>,
}

impl Target {
    pub fn of(audience: Audience<'_>) -> Target {
        Target {
            scope: audience.scope,
            except_conn: audience.except_conn,
            except_user: audience.except_user,
            origin: audience.origin.map(|o| (o.conn, o.reference.map(str::to_owned))),
        }
    }

    fn origin(&self) -> Option<Origin<'_>> {
        self.origin.as_ref().map(|(conn, reference)| Origin {
            conn: *conn,
            reference: reference.as_deref(),
        })
    }

    fn audience(&self) -> Audience<'_> {
        Audience {
            scope: self.scope,
            except_conn: self.except_conn,
            except_user: self.except_user,
            origin: self.origin(),
        }
    }
}

/// What the orderer is asked to do.
pub enum Job {
    /// Deliver `frame` to `target` here, in its room's order if `at` says where it stands.
    Publish {
        target: Target,
        frame: Frame,
        at: Option<InRoom>,
    },
    /// Compare the rooms with sockets here with the database; `lost`: hints were lost, so
    /// their sockets must also catch up on changes.
    Check { lost: bool },
}

/// The one task that delivers a cluster node's frames to its hub.
pub struct Orderer {
    pub hub: Hub,
    pub backfill: Arc<dyn Backfill>,
    /// Per room, the newest message delivered to its sockets here (or that would have been,
    /// had it had any). One entry per room a message was seen in since the node started: a
    /// few bytes each, bounded by the rooms the database holds.
    pub delivered: HashMap<RoomId, MessageId>,
}

impl Orderer {
    pub async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        while let Some(job) = jobs.recv().await {
            match job {
                Job::Publish { target, frame, at } => self.publish(&target, &frame, at).await,
                Job::Check { lost } => self.check(lost).await,
            }
        }
    }

    async fn publish(&mut self, target: &Target, frame: &Frame, at: Option<InRoom>) {
        let Some(at) = at else {
            self.hub.publish(target.audience(), frame);
            return;
        };
        let (room, id, prev) = match at {
            InRoom::New { room, id, prev } => (room, id, prev),
            // Everything up to the message itself comes first.
            InRoom::About { room, id } => (room, id + 1, Some(id)),
        };
        let delivered = self.delivered.get(&room).copied();
        if !self.hub.has_subscribers(room) {
            // Nobody here to keep in order, so no gap to fill; but the room is followed all
            // the same, so that a socket subscribing later is kept in order from its first
            // message on (a message that committed before it subscribed is in the history it
            // loads then).
            if let InRoom::New { .. } = at {
                self.delivered.insert(room, delivered.unwrap_or(0).max(id));
            }
            self.hub.publish(target.audience(), frame);
            return;
        }
        if let InRoom::New { .. } = at {
            if delivered.is_some_and(|d| id <= d) {
                // Delivered already, from the database; its sender still gets its answer.
                if let Some(origin) = target.origin() {
                    self.hub.publish(Audience::origin(origin), frame);
                }
                return;
            }
        }
        if let (Some(delivered), Some(prev)) = (delivered, prev) {
            if prev > delivered {
                self.fill(room, delivered, prev + 1).await;
            }
        }
        self.hub.publish(target.audience(), frame);
        if let InRoom::New { .. } = at {
            let newest = self.delivered.entry(room).or_insert(id);
            *newest = (*newest).max(id);
        }
    }

    /// Delivers the messages of `room` with `after < id < before` from the database, in order.
    async fn fill(&mut self, room: RoomId, mut after: MessageId, before: MessageId) {
        for _ in 0..MAX_PAGES {
            let missed = match self.backfill.missed(room, after, before).await {
                Ok(missed) => missed,
                Err(e) => {
                    tracing::warn!(error = %e, room, "reading missed messages failed; its sockets catch up by themselves");
                    break;
                }
            };
            for (id, frame) in &missed.frames {
                self.hub.publish(Audience::room(room), frame);
                after = *id;
            }
            self.delivered.insert(room, after);
            if !missed.more {
                return;
            }
        }
        // Too many, or unreadable: the clients fetch what they lack.
        self.hub
            .publish(Audience::room(room), &self.backfill.resync(room));
        self.delivered.insert(room, before - 1);
    }

    async fn check(&mut self, lost: bool) {
        let rooms = self.hub.room_ids();
        if rooms.is_empty() {
            return;
        }
        let heads = match self.backfill.heads(&rooms).await {
            Ok(heads) => heads,
            Err(e) => {
                tracing::warn!(error = %e, "comparing rooms with the database failed");
                if lost {
                    for room in rooms {
                        self.hub
                            .publish(Audience::room(room), &self.backfill.resync(room));
                    }
                }
                return;
            }
        };
        for Head { room, latest } in heads {
            match self.delivered.get(&room).copied() {
                Some(delivered) if latest > delivered => self.fill(room, delivered, latest + 1).await,
                // Unknown here: only a loss says anything was missed; the resync below covers
                // it, and from now on the room is followed.
                None if lost => {
                    self.delivered.insert(room, latest);
                }
                _ => {}
            }
            if lost {
                self.hub
                    .publish(Audience::room(room), &self.backfill.resync(room));
            }
        }
        if lost {
            self.end_revoked_sessions().await;
            self.resubscribe().await;
        }
    }

    /// Closes the sockets here whose session ended while its node's hint was lost.
    async fn end_revoked_sessions(&self) {
        let open = self.hub.session_ids();
        if open.is_empty() {
            return;
        }
        match self.backfill.live_sessions(&open).await {
            Ok(live) => {
                let ended: Vec<_> = open.into_iter().filter(|s| !live.contains(s)).collect();
                if !ended.is_empty() {
                    tracing::info!(
                        sessions = ended.len(),
                        "closing sockets of sessions that ended while hints were lost"
                    );
                    self.hub.close_sessions(&ended, SessionEnd::LoggedOut);
                }
            }
            Err(e) => tracing::warn!(error = %e, "checking this node's sessions after lost hints failed"),
        }
    }

    /// Makes each connected person's subscriptions here their memberships again, as lost
    /// subscribe and unsubscribe hints would have. The subscriptions are read before the
    /// memberships, so a join or leave racing with this is not undone: a room subscribed then
    /// and not a membership after was left (and is unsubscribed either way); a join that
    /// subscribed before the snapshot had committed before the memberships were read.
    async fn resubscribe(&self) {
        for user in self.hub.online_user_ids() {
            let before = self.hub.rooms_of(user);
            let rooms = match self.backfill.memberships(user).await {
                Ok(rooms) => rooms,
                Err(e) => {
                    tracing::warn!(error = %e, user, "reading memberships after lost hints failed");
                    continue;
                }
            };
            for &room in before.iter().filter(|r| !rooms.contains(r)) {
                self.hub.unsubscribe(user, room);
            }
            for &room in rooms.iter().filter(|r| !before.contains(r)) {
                self.hub.subscribe(user, room);
            }
        }
    }
}
