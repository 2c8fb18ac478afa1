//! Who receives an event, and the one call that delivers it. `chat/` builds an [`Audience`] and
//! hands it with the serialized frame to [`Fanout::publish`]; the implementation only delivers.
//! Today that is the local [`Hub`](crate::hub::Hub); [`ClusterFanout`](crate::cluster::ClusterFanout)
//! also forwards to the other server processes, which is why the seam stays this narrow.

use serde::{Deserialize, Serialize};

pub use crate::events::Frame;
use crate::hub::{ConnId, close};
use crate::model::{MessageId, RoomId, SessionId, UserId};

/// Delivers events to audiences and keeps room subscriptions in step with memberships.
pub trait Fanout: Send + Sync {
    /// Sends `frame` to `audience`. Never waits: a connection that cannot take it is cut off.
    fn publish(&self, audience: Audience<'_>, frame: &Frame);
    /// Sends `frame`, which announces (or follows up on) a new message, to `audience`. A
    /// single server announces in commit order already and just publishes; a cluster node
    /// never lets it overtake an earlier message of the room (see `cluster/order.rs`).
    fn publish_in_room(&self, audience: Audience<'_>, frame: &Frame, at: InRoom) {
        let _ = at;
        self.publish(audience, frame);
    }
    /// Every connection of `user` starts receiving `room`'s events.
    fn subscribe(&self, user: UserId, room: RoomId);
    /// Every connection of `user` stops receiving `room`'s events.
    fn unsubscribe(&self, user: UserId, room: RoomId);
    /// Closes every connection of `sessions` (after what is queued for them), telling the
    /// client `why`.
    fn close_sessions(&self, sessions: &[SessionId], why: SessionEnd);
}

/// Where a frame about a new message stands in its room's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InRoom {
    /// The `new_message` of message `id`, whose room's previous message is `prev` (`Some(0)`:
    /// none; `None`: unknown, as on SQLite).
    New {
        room: RoomId,
        id: MessageId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prev: Option<MessageId>,
    },
    /// Another frame about new message `id` (a `thread_reply`): it must not reach a socket
    /// before the room's messages up to `id` did.
    About { room: RoomId, id: MessageId },
}

/// Why a session's sockets are closed. One closed list rather than a free-form reason, so a
/// node can tell another which reason to show (a code and a `'static` text each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    LoggedOut,
    PasswordChanged,
    PasswordReset,
    AccountDeactivated,
    SignedOutByAdministrator,
}

impl SessionEnd {
    /// The WebSocket close code: each of these means the session no longer authenticates.
    pub fn code(self) -> u16 {
        close::UNAUTHORIZED
    }

    /// The close frame's reason.
    pub fn reason(self) -> &'static str {
        match self {
            SessionEnd::LoggedOut => "logged out",
            SessionEnd::PasswordChanged => "password changed",
            SessionEnd::PasswordReset => "password reset",
            SessionEnd::AccountDeactivated => "account deactivated",
            SessionEnd::SignedOutByAdministrator => "signed out by an administrator",
        }
    }
}

/// The connections an [`Audience`] starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every connection subscribed to the room.
    Room(RoomId),
    /// Every connection of the user.
    User(UserId),
    /// Every authenticated connection.
    Everyone,
    /// One connection.
    Conn(ConnId),
}

/// The socket a request came from, and the `ref` its answer must echo. REST requests have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    pub conn: ConnId,
    pub reference: Option<&'a str>,
}

/// Who receives one event: a scope, minus one connection and/or every connection of one user,
/// and the origin socket, which gets its own copy carrying its `ref` whether or not it is in
/// the scope. Frames are published without a `ref`; the origin's copy has it spliced in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audience<'a> {
    pub scope: Scope,
    pub except_conn: Option<ConnId>,
    pub except_user: Option<UserId>,
    pub origin: Option<Origin<'a>>,
}

impl<'a> Audience<'a> {
    fn of(scope: Scope) -> Audience<'a> {
        Audience {
            scope,
            except_conn: None,
            except_user: None,
            origin: None,
        }
    }

    /// Every connection subscribed to `room`.
    pub fn room(room: RoomId) -> Audience<'a> {
        Audience::of(Scope::Room(room))
    }

    /// Every connection of `user`.
    pub fn user(user: UserId) -> Audience<'a> {
        Audience::of(Scope::User(user))
    }

    /// Every authenticated connection.
    pub fn everyone() -> Audience<'a> {
        Audience::of(Scope::Everyone)
    }

    /// Connection `conn` alone.
    pub fn conn(conn: ConnId) -> Audience<'a> {
        Audience::of(Scope::Conn(conn))
    }

    /// Only the socket that asked, with its `ref`.
    pub fn origin(origin: Origin<'a>) -> Audience<'a> {
        Audience::conn(origin.conn).from(Some(origin))
    }

    /// Leaves out connection `conn` (no copy for it at all, unlike an origin).
    #[must_use]
    pub fn except_conn(self, conn: ConnId) -> Audience<'a> {
        Audience {
            except_conn: Some(conn),
            ..self
        }
    }

    /// Leaves out every connection of `user`.
    #[must_use]
    pub fn except_user(self, user: UserId) -> Audience<'a> {
        Audience {
            except_user: Some(user),
            ..self
        }
    }

    /// The socket the request came from (if any) gets its own copy carrying its `ref`.
    #[must_use]
    pub fn from(self, origin: Option<Origin<'a>>) -> Audience<'a> {
        Audience { origin, ..self }
    }

    /// Whether connection `conn` of `user` gets the scope's plain copy.
    pub fn skips(&self, conn: ConnId, user: UserId) -> bool {
        self.except_conn == Some(conn)
            || self.except_user == Some(user)
            || self.origin.is_some_and(|o| o.conn == conn)
    }
}
