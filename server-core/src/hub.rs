//! The hub: which live WebSocket connections belong to which user and which rooms, and the
//! fan-out of serialized events to them. Every connection has a bounded outgoing queue; the hub
//! only ever `try_send`s into it, never awaits and never holds its lock across an `.await`. A
//! connection whose queue is full is a client that stopped reading: it is cut off, not buffered.
//! The hub is the first implementation of [`Fanout`]: `chat/` says who receives an event, the
//! hub only delivers it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::{Notify, mpsc};

use crate::events::{self, Frame};
use crate::fanout::{Audience, Fanout, Scope, SessionEnd};
use crate::model::{RoomId, SessionId, UserId};

pub type ConnId = u64;

/// What a connection's writer receives.
#[derive(Debug)]
pub enum Outbound {
    Frame(Frame),
    /// Send a close frame with this code and reason, then end the connection.
    Close(u16, &'static str),
}

/// Close codes Confab uses besides the standard ones.
pub mod close {
    /// The server is shutting down ("going away").
    pub const GOING_AWAY: u16 = 1001;
    /// A frame that breaks RFC 6455 (reserved bits set, a fragmented control frame, …).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame that is not UTF-8.
    pub const NOT_UTF8: u16 = 1007;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// Not authenticated, or the session was revoked or expired.
    pub const UNAUTHORIZED: u16 = 4401;
    /// Authenticated, but the account must replace a temporary password first.
    pub const PASSWORD_CHANGE_REQUIRED: u16 = 4403;
    /// No frame for the idle timeout.
    pub const IDLE: u16 = 4408;
    /// The user opened more sockets than allowed; this, their oldest, made room.
    pub const TOO_MANY_SOCKETS: u16 = 4429;
}

/// A connection's end of its registration.
pub struct Registration {
    pub id: ConnId,
    pub outbound: mpsc::Receiver<Outbound>,
    /// Notified when the connection must end at once (its queue overflowed).
    pub kill: Arc<Notify>,
    /// This was the user's first live connection: they just came online.
    pub came_online: bool,
    /// Answers to this connection's own requests.
    pub replies: Replies,
}

/// A connection's way to answer its own requests (`pong`, a malformed frame's `error`) through
/// its queue, behind whatever the hub already queued for it. Answering the asker is not an
/// audience decision, so the transport may do it.
#[derive(Clone)]
pub struct Replies {
    hub: Hub,
    conn: ConnId,
}

impl Replies {
    pub fn send(&self, frame: &Frame) {
        self.hub.to_conn(self.conn, frame);
    }
}

/// What the hub knew about a connection that went away.
pub struct Departure {
    pub user_id: UserId,
    /// That was the user's last live connection.
    pub went_offline: bool,
}

type Sender = mpsc::Sender<Outbound>;

struct Conn {
    user: UserId,
    session: SessionId,
    tx: Sender,
    kill: Arc<Notify>,
    /// Set once the kill switch fired, so it fires (and is logged) once.
    killed: std::sync::atomic::AtomicBool,
    rooms: Vec<RoomId>,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, Conn>,
    rooms: HashMap<RoomId, Vec<(ConnId, UserId, Sender)>>,
    users: HashMap<UserId, Vec<ConnId>>,
}

/// Shared handle to the hub; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    state: RwLock<State>,
    next_id: AtomicU64,
    queue_capacity: usize,
    /// Live connections one user may have; registering one more closes their oldest.
    sockets_per_user: AtomicUsize,
}

impl Hub {
    /// A hub whose connections queue at most `queue_capacity` frames each.
    pub fn new(queue_capacity: usize) -> Hub {
        Hub {
            inner: Arc::new(Inner {
                state: RwLock::default(),
                next_id: AtomicU64::new(1),
                queue_capacity,
                sockets_per_user: AtomicUsize::new(usize::MAX),
            }),
        }
    }

    /// Caps the live connections of one user (at least 1; unlimited until set).
    pub fn set_sockets_per_user(&self, cap: usize) {
        self.inner.sockets_per_user.store(cap.max(1), Ordering::Relaxed);
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers an authenticated connection of `user`, subscribed to `rooms`. Beyond the
    /// user's socket cap their oldest connections are closed with
    /// [`close::TOO_MANY_SOCKETS`] and stop counting as theirs at once.
    pub fn register(&self, user: UserId, session: SessionId, rooms: Vec<RoomId>) -> Registration {
        self.register_within(user, session, rooms, self.sockets_cap())
    }

    /// The live connections one user may have (see [`Hub::set_sockets_per_user`]).
    pub fn sockets_cap(&self) -> usize {
        self.inner.sockets_per_user.load(Ordering::Relaxed)
    }

    /// [`Hub::register`] with a cap of `cap` (at least 1) connections of `user` on this hub:
    /// what the cluster-wide cap leaves for this node once other nodes' sockets are counted.
    pub fn register_within(
        &self,
        user: UserId,
        session: SessionId,
        rooms: Vec<RoomId>,
        cap: usize,
    ) -> Registration {
        let cap = cap.max(1);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, outbound) = mpsc::channel(self.inner.queue_capacity);
        let kill = Arc::new(Notify::new());
        let mut state = self.write();
        for room in &rooms {
            state.rooms.entry(*room).or_default().push((id, user, tx.clone()));
        }
        let user_conns = state.users.entry(user).or_default();
        user_conns.push(id);
        let came_online = user_conns.len() == 1;
        let evicted: Vec<ConnId> = user_conns.drain(..user_conns.len().saturating_sub(cap)).collect();
        state.conns.insert(
            id,
            Conn {
                user,
                session,
                tx,
                kill: kill.clone(),
                killed: std::sync::atomic::AtomicBool::new(false),
                rooms,
            },
        );
        let unreachable: Vec<ConnId> = evicted
            .into_iter()
            .filter(|old| {
                state.conns.get(old).is_some_and(|conn| {
                    let farewell =
                        Outbound::Close(close::TOO_MANY_SOCKETS, "too many connections for this account");
                    conn.tx.try_send(farewell).is_err()
                })
            })
            .collect();
        drop(state);
        self.kill_all(&unreachable);
        Registration {
            id,
            outbound,
            kill,
            came_online,
            replies: Replies {
                hub: self.clone(),
                conn: id,
            },
        }
    }

    /// Forgets a connection; `None` if it was already gone.
    pub fn unregister(&self, id: ConnId) -> Option<Departure> {
        let mut state = self.write();
        let conn = state.conns.remove(&id)?;
        for room in &conn.rooms {
            if let Some(members) = state.rooms.get_mut(room) {
                members.retain(|(conn_id, _, _)| *conn_id != id);
                if members.is_empty() {
                    state.rooms.remove(room);
                }
            }
        }
        let mut went_offline = false;
        if let Some(conns) = state.users.get_mut(&conn.user) {
            conns.retain(|c| *c != id);
            if conns.is_empty() {
                state.users.remove(&conn.user);
                went_offline = true;
            }
        }
        Some(Departure {
            user_id: conn.user,
            went_offline,
        })
    }

    /// Whether connection `id` receives events of `room`.
    pub fn is_subscribed(&self, id: ConnId, room: RoomId) -> bool {
        self.read()
            .conns
            .get(&id)
            .is_some_and(|conn| conn.rooms.contains(&room))
    }

    /// Whether any connection receives events of `room`.
    pub fn has_subscribers(&self, room: RoomId) -> bool {
        self.read().rooms.contains_key(&room)
    }

    /// The rooms some connection receives events of.
    pub fn room_ids(&self) -> Vec<RoomId> {
        let mut ids: Vec<RoomId> = self.read().rooms.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Sends `frame` to one connection.
    fn to_conn(&self, id: ConnId, frame: &Frame) {
        let overflowed = {
            let state = self.read();
            state.conns.get(&id).is_some_and(|conn| !offer(&conn.tx, frame))
        };
        if overflowed {
            self.kill_all(&[id]);
        }
    }

    /// Closes every connection of the given sessions on this server (after what is queued).
    /// [`Fanout::close_sessions`] is the same on every server.
    pub fn close_sessions(&self, sessions: &[SessionId], why: SessionEnd) {
        self.close_matching(|conn| sessions.contains(&conn.session), why.code(), why.reason());
    }

    /// Closes every connection with `code` (after what is queued).
    pub fn close_all(&self, code: u16, reason: &'static str) {
        self.close_matching(|_| true, code, reason);
    }

    fn close_matching(&self, wanted: impl Fn(&Conn) -> bool, code: u16, reason: &'static str) {
        let mut overflowed = Vec::new();
        {
            let state = self.read();
            for (id, conn) in &state.conns {
                if wanted(conn) && conn.tx.try_send(Outbound::Close(code, reason)).is_err() {
                    overflowed.push(*id);
                }
            }
        }
        self.kill_all(&overflowed);
    }

    fn kill_all(&self, ids: &[ConnId]) {
        if ids.is_empty() {
            return;
        }
        let state = self.read();
        for id in ids {
            if let Some(conn) = state.conns.get(id) {
                if !conn.killed.swap(true, Ordering::Relaxed) {
                    tracing::info!(
                        conn = id,
                        user = conn.user,
                        "disconnecting a client that stopped reading"
                    );
                    conn.kill.notify_one();
                }
            }
        }
    }

    /// The sessions that have a live connection right now.
    pub fn session_ids(&self) -> Vec<SessionId> {
        let mut ids: Vec<_> = self.read().conns.values().map(|conn| conn.session).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The rooms `user`'s connections here are subscribed to.
    pub fn rooms_of(&self, user: UserId) -> Vec<RoomId> {
        let state = self.read();
        let mut rooms: Vec<RoomId> = state
            .users
            .get(&user)
            .into_iter()
            .flatten()
            .filter_map(|id| state.conns.get(id))
            .flat_map(|conn| conn.rooms.iter().copied())
            .collect();
        rooms.sort_unstable();
        rooms.dedup();
        rooms
    }

    /// Whether `user` has a live connection right now.
    pub fn is_online(&self, user: UserId) -> bool {
        self.read().users.contains_key(&user)
    }

    /// How many live connections `user` has on this hub.
    pub fn sockets_of(&self, user: UserId) -> usize {
        self.read().users.get(&user).map_or(0, Vec::len)
    }

    /// Every user with a live connection right now.
    pub fn online_user_ids(&self) -> Vec<UserId> {
        self.read().users.keys().copied().collect()
    }

    /// Number of live authenticated connections.
    pub fn connection_count(&self) -> usize {
        self.read().conns.len()
    }
}

impl Fanout for Hub {
    fn publish(&self, audience: Audience<'_>, frame: &Frame) {
        let mut overflowed = Vec::new();
        {
            let state = self.read();
            let mut offer_to = |id: ConnId, user: UserId, tx: &Sender| {
                if !audience.skips(id, user) && !offer(tx, frame) {
                    overflowed.push(id);
                }
            };
            match audience.scope {
                Scope::Room(room) => {
                    for (id, user, tx) in state.rooms.get(&room).into_iter().flatten() {
                        offer_to(*id, *user, tx);
                    }
                }
                Scope::User(user) => {
                    for id in state.users.get(&user).into_iter().flatten() {
                        if let Some(conn) = state.conns.get(id) {
                            offer_to(*id, conn.user, &conn.tx);
                        }
                    }
                }
                Scope::Everyone => {
                    for (id, conn) in &state.conns {
                        offer_to(*id, conn.user, &conn.tx);
                    }
                }
                Scope::Conn(id) => {
                    if let Some(conn) = state.conns.get(&id) {
                        offer_to(id, conn.user, &conn.tx);
                    }
                }
            }
        }
        self.kill_all(&overflowed);
        if let Some(origin) = audience.origin {
            self.to_conn(origin.conn, &events::with_ref(frame, origin.reference));
        }
    }

    fn subscribe(&self, user: UserId, room: RoomId) {
        let mut state = self.write();
        let State { conns, rooms, users } = &mut *state;
        let Some(ids) = users.get(&user) else { return };
        let members = rooms.entry(room).or_default();
        for id in ids {
            let Some(conn) = conns.get_mut(id) else { continue };
            if !conn.rooms.contains(&room) {
                conn.rooms.push(room);
                members.push((*id, user, conn.tx.clone()));
            }
        }
    }

    fn unsubscribe(&self, user: UserId, room: RoomId) {
        let mut state = self.write();
        let State { conns, rooms, users } = &mut *state;
        if let Some(ids) = users.get(&user) {
            for id in ids {
                if let Some(conn) = conns.get_mut(id) {
                    conn.rooms.retain(|r| *r != room);
                }
            }
        }
        if let Some(members) = rooms.get_mut(&room) {
            members.retain(|(_, member, _)| *member != user);
            if members.is_empty() {
                rooms.remove(&room);
            }
        }
    }

    fn close_sessions(&self, sessions: &[SessionId], why: SessionEnd) {
        Hub::close_sessions(self, sessions, why);
    }
}

/// Queues `frame` unless the queue is full; false means the receiver is not keeping up.
/// A closed queue (connection already ending) is not an overflow.
fn offer(tx: &Sender, frame: &Frame) -> bool {
    !matches!(
        tx.try_send(Outbound::Frame(frame.clone())),
        Err(mpsc::error::TrySendError::Full(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fanout::Origin;

    fn text(s: &str) -> Frame {
        Frame::from(s.to_owned())
    }

    fn drain(reg: &mut Registration) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(Outbound::Frame(f)) = reg.outbound.try_recv() {
            out.push(f.to_string());
        }
        out
    }

    #[test]
    fn room_fanout_respects_subscriptions_and_exceptions() {
        let hub = Hub::new(8);
        let mut a = hub.register(1, 10, vec![100]);
        let mut b = hub.register(2, 20, vec![100, 200]);
        let mut c = hub.register(2, 21, vec![200]);
        assert!(a.came_online && b.came_online && !c.came_online);

        hub.publish(Audience::room(100), &text("x"));
        hub.publish(Audience::room(200).except_conn(b.id), &text("y"));
        hub.publish(Audience::room(100).except_user(1), &text("z"));
        assert_eq!(drain(&mut a), ["x"]);
        assert_eq!(drain(&mut b), ["x", "z"]);
        assert_eq!(drain(&mut c), ["y"]);

        hub.subscribe(1, 200);
        hub.unsubscribe(2, 200);
        hub.publish(Audience::room(200), &text("w"));
        assert_eq!(drain(&mut a), ["w"]);
        assert!(drain(&mut c).is_empty());
    }

    #[test]
    fn the_origin_gets_its_own_copy_with_its_ref() {
        let hub = Hub::new(8);
        let mut a = hub.register(1, 10, vec![100]);
        let mut b = hub.register(1, 11, vec![]);
        let mut c = hub.register(2, 20, vec![100]);
        let frame = crate::events::message_deleted(7, 100, None);
        let origin = Origin {
            conn: b.id,
            reference: Some("r1"),
        };
        // Not subscribed to the room, the origin still hears its answer, once.
        hub.publish(Audience::room(100).from(Some(origin)), &frame);
        assert_eq!(drain(&mut a), [frame.to_string()]);
        assert_eq!(drain(&mut c), [frame.to_string()]);
        let answered = crate::events::message_deleted(7, 100, Some("r1"));
        assert_eq!(drain(&mut b), [answered.to_string()]);

        hub.publish(Audience::user(1).from(Some(origin)), &frame);
        assert_eq!(drain(&mut a), [frame.to_string()]);
        assert_eq!(drain(&mut b), [answered.to_string()]);
        assert!(drain(&mut c).is_empty());

        hub.publish(Audience::everyone().except_user(1), &frame);
        assert!(drain(&mut a).is_empty() && drain(&mut b).is_empty());
        assert_eq!(drain(&mut c), [frame.to_string()]);
    }

    #[test]
    fn unregister_reports_the_last_connection() {
        let hub = Hub::new(8);
        let a = hub.register(1, 10, vec![]);
        let b = hub.register(1, 11, vec![]);
        assert!(!hub.unregister(a.id).unwrap().went_offline);
        assert_eq!(hub.connection_count(), 1);
        assert!(hub.unregister(b.id).unwrap().went_offline);
        assert_eq!(hub.connection_count(), 0);
        assert!(hub.unregister(b.id).is_none());
    }

    #[test]
    fn a_socket_beyond_the_cap_closes_the_oldest() {
        let hub = Hub::new(8);
        hub.set_sockets_per_user(2);
        let mut first = hub.register(1, 10, vec![]);
        let mut second = hub.register(1, 10, vec![]);
        let mut other_user = hub.register(2, 20, vec![]);
        let mut third = hub.register(1, 11, vec![]);
        assert!(matches!(
            first.outbound.try_recv(),
            Ok(Outbound::Close(close::TOO_MANY_SOCKETS, _))
        ));
        assert!(second.outbound.try_recv().is_err());
        assert!(third.outbound.try_recv().is_err());
        assert!(other_user.outbound.try_recv().is_err());
        // The closing socket no longer counts: the user's next socket closes the second.
        let _fourth = hub.register(1, 11, vec![]);
        assert!(matches!(
            second.outbound.try_recv(),
            Ok(Outbound::Close(close::TOO_MANY_SOCKETS, _))
        ));
        assert!(third.outbound.try_recv().is_err());
        // When the evicted sockets end, the user is still online.
        assert!(!hub.unregister(first.id).unwrap().went_offline);
        assert!(!hub.unregister(second.id).unwrap().went_offline);
        assert!(hub.is_online(1));
    }

    #[tokio::test]
    async fn a_full_queue_kills_only_that_connection() {
        let hub = Hub::new(2);
        let slow = hub.register(1, 10, vec![5]);
        let mut fast = hub.register(2, 20, vec![5]);
        for i in 0..3 {
            hub.publish(Audience::room(5), &text(&i.to_string()));
            drain(&mut fast);
        }
        // The slow connection's kill switch fired; the fast one's did not.
        tokio::time::timeout(std::time::Duration::from_secs(1), slow.kill.notified())
            .await
            .expect("slow connection was not killed");
        let fast_killed =
            tokio::time::timeout(std::time::Duration::from_millis(50), fast.kill.notified()).await;
        assert!(fast_killed.is_err());
    }
}
