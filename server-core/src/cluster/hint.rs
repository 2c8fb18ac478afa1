//! The hint one node sends the others: a one-line JSON header (sender, sequence number, what to
//! do) and, for an event, the frame's JSON after a newline, verbatim — no second escaping of
//! the body, which is most of the bytes.

use serde::{Deserialize, Serialize};

use crate::fanout::{Audience, Frame, InRoom, Scope, SessionEnd};
use crate::model::{RoomId, SessionId, UserId};

/// A server process's id in the cluster: random at each start, so a restarted node is a new
/// sender whose numbering starts afresh.
pub type NodeId = u64;

/// What one node asks the others to do with their local connections.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Deliver `frame` to the reach, minus every connection of `except_user`.
    Publish {
        reach: Reach,
        except_user: Option<UserId>,
        frame: Frame,
        /// For a frame about a new message, its place in the room's order: in the header, so
        /// receivers order it without parsing the frame.
        at: Option<InRoom>,
    },
    Subscribe {
        user: UserId,
        room: RoomId,
    },
    Unsubscribe {
        user: UserId,
        room: RoomId,
    },
    CloseSessions {
        sessions: Vec<SessionId>,
        why: SessionEnd,
    },
    /// Nothing to do: sent when the sender dropped hints and has nothing else to send, so the
    /// number it skips reaches the receivers now rather than with its next event.
    Skipped,
}

/// The scopes that mean the same on every node. A connection id (`Scope::Conn`, an origin, an
/// excluded connection) names a socket of one node only and never crosses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Room(RoomId),
    User(UserId),
    Everyone,
}

impl Reach {
    /// The crossing part of `scope`; `None` for one connection.
    pub fn of(scope: Scope) -> Option<Reach> {
        match scope {
            Scope::Room(room) => Some(Reach::Room(room)),
            Scope::User(user) => Some(Reach::User(user)),
            Scope::Everyone => Some(Reach::Everyone),
            Scope::Conn(_) => None,
        }
    }
}

impl Event {
    /// The audience a receiving node delivers a published frame to.
    pub fn audience(reach: Reach, except_user: Option<UserId>) -> Audience<'static> {
        let audience = match reach {
            Reach::Room(room) => Audience::room(room),
            Reach::User(user) => Audience::user(user),
            Reach::Everyone => Audience::everyone(),
        };
        match except_user {
            Some(user) => audience.except_user(user),
            None => audience,
        }
    }
}

/// A decoded hint: who sent it, its place in the sender's numbering, and the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Hint {
    pub node: NodeId,
    /// 1, 2, 3, … per sender; a skipped number means hints in between were lost.
    pub seq: u64,
    pub event: Event,
}

#[derive(Serialize, Deserialize)]
struct Header {
    node: NodeId,
    seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<InRoom>,
    #[serde(flatten)]
    what: What,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum What {
    Room {
        room: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        except_user: Option<UserId>,
    },
    User {
        user: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        except_user: Option<UserId>,
    },
    Everyone {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        except_user: Option<UserId>,
    },
    Subscribe {
        user: UserId,
        room: RoomId,
    },
    Unsubscribe {
        user: UserId,
        room: RoomId,
    },
    CloseSessions {
        sessions: Vec<SessionId>,
        why: SessionEnd,
    },
    Skipped,
}

/// The text of `event` as sender `node`'s hint number `seq`.
pub fn encode(node: NodeId, seq: u64, event: &Event) -> String {
    let mut at = None;
    let (what, frame) = match event {
        Event::Publish {
            reach,
            except_user,
            frame,
            at: order,
        } => {
            at = *order;
            let except_user = *except_user;
            let what = match *reach {
                Reach::Room(room) => What::Room { room, except_user },
                Reach::User(user) => What::User { user, except_user },
                Reach::Everyone => What::Everyone { except_user },
            };
            (what, Some(frame))
        }
        Event::Subscribe { user, room } => (
            What::Subscribe {
                user: *user,
                room: *room,
            },
            None,
        ),
        Event::Unsubscribe { user, room } => (
            What::Unsubscribe {
                user: *user,
                room: *room,
            },
            None,
        ),
        Event::CloseSessions { sessions, why } => (
            What::CloseSessions {
                sessions: sessions.clone(),
                why: *why,
            },
            None,
        ),
        Event::Skipped => (What::Skipped, None),
    };
    // Plain data with string keys: serializing cannot fail.
    let mut text = serde_json::to_string(&Header { node, seq, at, what }).unwrap_or_default();
    if let Some(frame) = frame {
        // Compact JSON escapes every newline inside strings: the first one ends the header.
        text.push('\n');
        text.push_str(frame);
    }
    text
}

/// Reads a hint [`encode`] wrote.
///
/// # Errors
/// A message saying what is wrong when `text` is not such a hint.
pub fn decode(text: &str) -> Result<Hint, String> {
    let (header, body) = match text.split_once('\n') {
        Some((header, body)) => (header, Some(body)),
        None => (text, None),
    };
    let Header { node, seq, at, what } =
        serde_json::from_str(header).map_err(|e| format!("unreadable hint header: {e}"))?;
    let publish = |reach, except_user| match body {
        Some(frame) => Ok(Event::Publish {
            reach,
            except_user,
            frame: Frame::from(frame.to_owned()),
            at,
        }),
        None => Err("a published hint without its frame".to_owned()),
    };
    let event = match what {
        What::Room { room, except_user } => publish(Reach::Room(room), except_user)?,
        What::User { user, except_user } => publish(Reach::User(user), except_user)?,
        What::Everyone { except_user } => publish(Reach::Everyone, except_user)?,
        What::Subscribe { user, room } => Event::Subscribe { user, room },
        What::Unsubscribe { user, room } => Event::Unsubscribe { user, room },
        What::CloseSessions { sessions, why } => Event::CloseSessions { sessions, why },
        What::Skipped => Event::Skipped,
    };
    Ok(Hint { node, seq, event })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_as_written() {
        let events = [
            Event::Publish {
                reach: Reach::Room(4),
                except_user: Some(9),
                frame: Frame::from("{\"event\":\"x\",\"data\":{\"text\":\"a\\nb\"}}".to_owned()),
                at: Some(InRoom::New {
                    room: 4,
                    id: 12,
                    prev: Some(11),
                }),
            },
            Event::Publish {
                reach: Reach::User(3),
                except_user: None,
                frame: Frame::from("{}".to_owned()),
                at: Some(InRoom::About { room: 4, id: 12 }),
            },
            Event::Publish {
                reach: Reach::Everyone,
                except_user: None,
                frame: Frame::from("line one\nline two".to_owned()),
                at: None,
            },
            Event::Subscribe { user: 1, room: 2 },
            Event::Unsubscribe { user: 1, room: 2 },
            Event::CloseSessions {
                sessions: vec![5, 6],
                why: SessionEnd::AccountDeactivated,
            },
            Event::Skipped,
        ];
        for (seq, event) in events.into_iter().enumerate() {
            let text = encode(u64::MAX, seq as u64, &event);
            assert_eq!(
                decode(&text),
                Ok(Hint {
                    node: u64::MAX,
                    seq: seq as u64,
                    event
                })
            );
        }
        assert!(decode("{\"node\":1,\"seq\":1,\"k\":\"room\",\"room\":2}").is_err());
        assert!(decode("not a hint").is_err());
    }
}
