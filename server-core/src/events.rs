//! Server → client WebSocket events: each function builds one event's JSON text frame
//! `{"event": NAME, "data": {…}, "ref"?: …}`. Frames are serialized once and shared by every
//! socket they go to.

use serde::Serialize;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::error::ErrorBody;
use crate::model::{Me, Member, Message, MessageId, Reaction, Room, RoomId, User, UserId, UserStatus};
use crate::time::{self, Millis};

/// One serialized event, cheap to clone.
pub type Frame = Utf8Bytes;

#[derive(Serialize, utoipa::ToSchema)]
struct Envelope<'a, T: Serialize> {
    event: &'a str,
    data: T,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

fn frame<T: Serialize>(event: &str, data: T, reference: Option<&str>) -> Frame {
    // Serializing these plain structs cannot fail: no maps with non-string keys, no I/O.
    let json = serde_json::to_string(&Envelope {
        event,
        data,
        reference,
    })
    .unwrap_or_default();
    Utf8Bytes::from(json)
}

/// `frame` (serialized without a `ref`) as the copy for the socket whose request it answers,
/// carrying `reference`. Cheaper than serializing the event again: the envelope's `ref` comes
/// last, so it is spliced in before the closing brace.
pub fn with_ref(frame: &Frame, reference: Option<&str>) -> Frame {
    let (Some(reference), Some(body)) = (reference, frame.strip_suffix('}')) else {
        return frame.clone();
    };
    let quoted = serde_json::to_string(reference).unwrap_or_default();
    let mut json = String::with_capacity(frame.len() + quoted.len() + 7);
    json.push_str(body);
    json.push_str(",\"ref\":");
    json.push_str(&quoted);
    json.push('}');
    Utf8Bytes::from(json)
}

#[derive(Serialize, utoipa::ToSchema)]
struct MessageData<'a> {
    message: &'a Message,
}

/// `ready` {user, rooms}: the reply to a good `auth`.
pub fn ready(user: &Me, rooms: &[Room], history_starts: Option<Millis>, reference: Option<&str>) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        user: &'a Me,
        rooms: &'a [Room],
        #[serde(serialize_with = "time::ser_opt")]
        #[schema(value_type = Option<String>, format = DateTime)]
        history_starts: Option<Millis>,
    }
    frame(
        "ready",
        Data {
            user,
            rooms,
            history_starts,
        },
        reference,
    )
}

/// `history_expired` {before}: the retention job removed every message sent before `before`.
pub fn history_expired(before: Millis) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        #[serde(serialize_with = "time::ser")]
        #[schema(value_type = String, format = DateTime)]
        before: Millis,
    }
    frame("history_expired", Data { before }, None)
}

/// `new_message` {message}.
pub fn new_message(message: &Message, reference: Option<&str>) -> Frame {
    frame("new_message", MessageData { message }, reference)
}

/// `message_updated` {message}.
pub fn message_updated(message: &Message, reference: Option<&str>) -> Frame {
    frame("message_updated", MessageData { message }, reference)
}

/// `reactions_updated` {room_id, message_id, reactions}: a message's reactions as they now are.
pub fn reactions_updated(room_id: RoomId, message_id: MessageId, reactions: &[Reaction]) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room_id: RoomId,
        message_id: MessageId,
        reactions: &'a [Reaction],
    }
    frame(
        "reactions_updated",
        Data {
            room_id,
            message_id,
            reactions,
        },
        None,
    )
}

/// `thread_reply` {message}: a new reply in a thread the receiver follows.
pub fn thread_reply(message: &Message) -> Frame {
    frame("thread_reply", MessageData { message }, None)
}

/// `thread_read` {room_id, root_id}: the receiver read that thread on one of their devices.
pub fn thread_read(room_id: RoomId, root_id: MessageId) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        room_id: RoomId,
        root_id: MessageId,
    }
    frame("thread_read", Data { room_id, root_id }, None)
}

/// `message_deleted` {message_id, room_id}.
pub fn message_deleted(message_id: MessageId, room_id: RoomId, reference: Option<&str>) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        message_id: MessageId,
        room_id: RoomId,
    }
    frame("message_deleted", Data { message_id, room_id }, reference)
}

/// `room_joined` {room, members, messages}: the room as the receiver now sees it.
pub fn room_joined(
    room: &Room,
    members: &[Member],
    messages: &[Message],
    changes_rev: i64,
    reference: Option<&str>,
) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room: &'a Room,
        members: &'a [Member],
        messages: &'a [Message],
        changes_rev: i64,
    }
    frame(
        "room_joined",
        Data {
            room,
            members,
            messages,
            changes_rev,
        },
        reference,
    )
}

/// `room_updated` {room: {id, name, description, is_private, is_archived}}: what changed about a
/// room, in the fields every viewer shares (clients merge them into their copy).
pub fn room_updated(room: &Room) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Shared<'a> {
        id: RoomId,
        name: &'a str,
        description: &'a str,
        is_private: bool,
        is_archived: bool,
    }
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room: Shared<'a>,
    }
    let room = Shared {
        id: room.id,
        name: &room.name,
        description: &room.description,
        is_private: room.is_private,
        is_archived: room.is_archived,
    };
    frame("room_updated", Data { room }, None)
}

/// `room_deleted` {room_id}: the room is gone; clients drop it.
pub fn room_deleted(room_id: RoomId) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        room_id: RoomId,
    }
    frame("room_deleted", Data { room_id }, None)
}

/// `room_created` {room}: a new public room, as a non-member sees it.
pub fn room_created(room: &Room) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room: &'a Room,
    }
    frame("room_created", Data { room }, None)
}

/// `user_joined` {room_id, user}.
pub fn user_joined(room_id: RoomId, user: &Member) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room_id: RoomId,
        user: &'a Member,
    }
    frame("user_joined", Data { room_id, user }, None)
}

/// The user in a `user_left` event.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LeftUser {
    pub id: UserId,
    pub username: String,
}

/// `user_left` {room_id, user}.
pub fn user_left(room_id: RoomId, user: &LeftUser, reference: Option<&str>) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room_id: RoomId,
        user: &'a LeftUser,
    }
    frame("user_left", Data { room_id, user }, reference)
}

/// `typing_update` {room_id, user_id, username, is_typing}.
pub fn typing_update(room_id: RoomId, user_id: UserId, username: &str, is_typing: bool) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        room_id: RoomId,
        user_id: UserId,
        username: &'a str,
        is_typing: bool,
    }
    frame(
        "typing_update",
        Data {
            room_id,
            user_id,
            username,
            is_typing,
        },
        None,
    )
}

/// `user_status_update` {user_id, username, is_online, last_seen, status, status_text}.
pub fn user_status_update(status: &UserStatus) -> Frame {
    frame("user_status_update", status, None)
}

/// `user_status_batch` {users}: several presence changes that happened together.
pub fn user_status_batch(users: &[UserStatus]) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        users: &'a [UserStatus],
    }
    frame("user_status_batch", Data { users }, None)
}

/// `online_users_update` {users}.
pub fn online_users_update(users: &[User], reference: Option<&str>) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data<'a> {
        users: &'a [User],
    }
    frame("online_users_update", Data { users }, reference)
}

/// `room_read` {room_id, last_read_message_id, unread_count, mention_count}: my read marker moved.
pub fn room_read(
    room_id: RoomId,
    last_read_message_id: MessageId,
    unread_count: i64,
    mention_count: i64,
    reference: Option<&str>,
) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        room_id: RoomId,
        last_read_message_id: MessageId,
        unread_count: i64,
        mention_count: i64,
    }
    frame(
        "room_read",
        Data {
            room_id,
            last_read_message_id,
            unread_count,
            mention_count,
        },
        reference,
    )
}

/// `dm_closed` {room_id}: I closed this direct conversation (on this or another device).
pub fn dm_closed(room_id: RoomId, reference: Option<&str>) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        room_id: RoomId,
    }
    frame("dm_closed", Data { room_id }, reference)
}

/// `pong` {server_time}.
pub fn pong(reference: Option<&str>) -> Frame {
    #[derive(Serialize, utoipa::ToSchema)]
    struct Data {
        server_time: String,
    }
    frame(
        "pong",
        Data {
            server_time: time::rfc3339(time::now()),
        },
        reference,
    )
}

/// `error` {code, message, field?, retry_after?}.
pub fn error(body: &ErrorBody, reference: Option<&str>) -> Frame {
    frame("error", body, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spliced_ref_matches_serializing_with_it() {
        let plain = message_deleted(7, 3, None);
        for reference in ["r1", "quote \" and \\ and ☃", ""] {
            assert_eq!(
                with_ref(&plain, Some(reference)),
                message_deleted(7, 3, Some(reference))
            );
        }
        assert_eq!(with_ref(&plain, None), plain);
    }

    #[test]
    fn envelope_carries_ref_only_when_given() {
        let with_ref: serde_json::Value = serde_json::from_str(&message_deleted(7, 3, Some("r1"))).unwrap();
        assert_eq!(
            with_ref,
            serde_json::json!({"event": "message_deleted", "data": {"message_id": 7, "room_id": 3}, "ref": "r1"})
        );
        let without: serde_json::Value = serde_json::from_str(&typing_update(3, 1, "alice", true)).unwrap();
        assert!(without.get("ref").is_none());
        assert_eq!(without["data"]["username"], "alice");
    }
}
