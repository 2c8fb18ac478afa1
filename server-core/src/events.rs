//! Server → client WebSocket events: each function builds one event's JSON text frame
//! `{"event": NAME, "data": {…}, "ref"?: …}`. Frames are serialized once and shared by every
//! socket they go to.

use serde::Serialize;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::error::ErrorBody;
use crate::model::{Me, Member, Message, MessageId, Reaction, Room, RoomId, User, UserId, UserStatus};
use crate::time::{self, Millis};
use crate::ws::asyncapi::{EventDoc, doc};

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

#[derive(Serialize, utoipa::ToSchema)]
struct ReadyData<'a> {
    user: &'a Me,
    rooms: &'a [Room],
    #[serde(serialize_with = "time::ser_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    history_starts: Option<Millis>,
}

/// `ready` {user, rooms}: the reply to a good `auth`.
pub fn ready(user: &Me, rooms: &[Room], history_starts: Option<Millis>, reference: Option<&str>) -> Frame {
    frame(
        "ready",
        ReadyData {
            user,
            rooms,
            history_starts,
        },
        reference,
    )
}

#[derive(Serialize, utoipa::ToSchema)]
struct HistoryExpiredData {
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    before: Millis,
}

/// `history_expired` {before}: the retention job removed every message sent before `before`.
pub fn history_expired(before: Millis) -> Frame {
    frame("history_expired", HistoryExpiredData { before }, None)
}

#[derive(Serialize, utoipa::ToSchema)]
struct ResyncData<'a> {
    room_ids: &'a [RoomId],
}

/// `resync` {room_ids}: this server may have missed changes in these rooms; the client fetches
/// what changed since its last look (new messages after its newest, and the changes).
pub fn resync(room_ids: &[RoomId]) -> Frame {
    frame("resync", ResyncData { room_ids }, None)
}

/// `new_message` {message}.
pub fn new_message(message: &Message, reference: Option<&str>) -> Frame {
    frame("new_message", MessageData { message }, reference)
}

/// `message_updated` {message}.
pub fn message_updated(message: &Message, reference: Option<&str>) -> Frame {
    frame("message_updated", MessageData { message }, reference)
}

#[derive(Serialize, utoipa::ToSchema)]
struct ReactionsUpdatedData<'a> {
    room_id: RoomId,
    message_id: MessageId,
    reactions: &'a [Reaction],
}

/// `reactions_updated` {room_id, message_id, reactions}: a message's reactions as they now are.
pub fn reactions_updated(room_id: RoomId, message_id: MessageId, reactions: &[Reaction]) -> Frame {
    frame(
        "reactions_updated",
        ReactionsUpdatedData {
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

#[derive(Serialize, utoipa::ToSchema)]
struct ThreadReadData {
    room_id: RoomId,
    root_id: MessageId,
}

/// `thread_read` {room_id, root_id}: the receiver read that thread on one of their devices.
pub fn thread_read(room_id: RoomId, root_id: MessageId) -> Frame {
    frame("thread_read", ThreadReadData { room_id, root_id }, None)
}

#[derive(Serialize, utoipa::ToSchema)]
struct MessageDeletedData {
    message_id: MessageId,
    room_id: RoomId,
}

/// `message_deleted` {message_id, room_id}.
pub fn message_deleted(message_id: MessageId, room_id: RoomId, reference: Option<&str>) -> Frame {
    frame(
        "message_deleted",
        MessageDeletedData { message_id, room_id },
        reference,
    )
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomJoinedData<'a> {
    room: &'a Room,
    members: &'a [Member],
    messages: &'a [Message],
    changes_rev: i64,
}

/// `room_joined` {room, members, messages}: the room as the receiver now sees it.
pub fn room_joined(
    room: &Room,
    members: &[Member],
    messages: &[Message],
    changes_rev: i64,
    reference: Option<&str>,
) -> Frame {
    frame(
        "room_joined",
        RoomJoinedData {
            room,
            members,
            messages,
            changes_rev,
        },
        reference,
    )
}

#[derive(Serialize, utoipa::ToSchema)]
struct SharedRoom<'a> {
    id: RoomId,
    name: &'a str,
    description: &'a str,
    is_private: bool,
    is_archived: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomUpdatedData<'a> {
    room: SharedRoom<'a>,
}

/// `room_updated` {room: {id, name, description, is_private, is_archived}}: what changed about a
/// room, in the fields every viewer shares (clients merge them into their copy).
pub fn room_updated(room: &Room) -> Frame {
    let room = SharedRoom {
        id: room.id,
        name: &room.name,
        description: &room.description,
        is_private: room.is_private,
        is_archived: room.is_archived,
    };
    frame("room_updated", RoomUpdatedData { room }, None)
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomDeletedData {
    room_id: RoomId,
}

/// `room_deleted` {room_id}: the room is gone; clients drop it.
pub fn room_deleted(room_id: RoomId) -> Frame {
    frame("room_deleted", RoomDeletedData { room_id }, None)
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomCreatedData<'a> {
    room: &'a Room,
}

/// `room_created` {room}: a new public room, as a non-member sees it.
pub fn room_created(room: &Room) -> Frame {
    frame("room_created", RoomCreatedData { room }, None)
}

#[derive(Serialize, utoipa::ToSchema)]
struct UserJoinedData<'a> {
    room_id: RoomId,
    user: &'a Member,
}

/// `user_joined` {room_id, user}.
pub fn user_joined(room_id: RoomId, user: &Member) -> Frame {
    frame("user_joined", UserJoinedData { room_id, user }, None)
}

/// The user in a `user_left` event.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LeftUser {
    pub id: UserId,
    pub username: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct UserLeftData<'a> {
    room_id: RoomId,
    user: &'a LeftUser,
}

/// `user_left` {room_id, user}.
pub fn user_left(room_id: RoomId, user: &LeftUser, reference: Option<&str>) -> Frame {
    frame("user_left", UserLeftData { room_id, user }, reference)
}

#[derive(Serialize, utoipa::ToSchema)]
struct TypingUpdateData<'a> {
    room_id: RoomId,
    user_id: UserId,
    username: &'a str,
    is_typing: bool,
}

/// `typing_update` {room_id, user_id, username, is_typing}.
pub fn typing_update(room_id: RoomId, user_id: UserId, username: &str, is_typing: bool) -> Frame {
    frame(
        "typing_update",
        TypingUpdateData {
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

#[derive(Serialize, utoipa::ToSchema)]
struct UserStatusBatchData<'a> {
    users: &'a [UserStatus],
}

/// `user_status_batch` {users}: several presence changes that happened together.
pub fn user_status_batch(users: &[UserStatus]) -> Frame {
    frame("user_status_batch", UserStatusBatchData { users }, None)
}

#[derive(Serialize, utoipa::ToSchema)]
struct OnlineUsersUpdateData<'a> {
    users: &'a [User],
}

/// `online_users_update` {users}.
pub fn online_users_update(users: &[User], reference: Option<&str>) -> Frame {
    frame("online_users_update", OnlineUsersUpdateData { users }, reference)
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoomReadData {
    room_id: RoomId,
    last_read_message_id: MessageId,
    unread_count: i64,
    mention_count: i64,
}

/// `room_read` {room_id, last_read_message_id, unread_count, mention_count}: my read marker moved.
pub fn room_read(
    room_id: RoomId,
    last_read_message_id: MessageId,
    unread_count: i64,
    mention_count: i64,
    reference: Option<&str>,
) -> Frame {
    frame(
        "room_read",
        RoomReadData {
            room_id,
            last_read_message_id,
            unread_count,
            mention_count,
        },
        reference,
    )
}

#[derive(Serialize, utoipa::ToSchema)]
struct DmClosedData {
    room_id: RoomId,
}

/// `dm_closed` {room_id}: I closed this direct conversation (on this or another device).
pub fn dm_closed(room_id: RoomId, reference: Option<&str>) -> Frame {
    frame("dm_closed", DmClosedData { room_id }, reference)
}

#[derive(Serialize, utoipa::ToSchema)]
struct PongData {
    server_time: String,
}

/// `pong` {server_time}.
pub fn pong(reference: Option<&str>) -> Frame {
    frame(
        "pong",
        PongData {
            server_time: time::rfc3339(time::now()),
        },
        reference,
    )
}

/// `error` {code, message, field?, retry_after?}.
pub fn error(body: &ErrorBody, reference: Option<&str>) -> Frame {
    frame("error", body, reference)
}

/// Every event the server sends, with the type of its `data`, for the AsyncAPI document. The
/// `frame` calls above are what the server sends; a test checks the two name the same events.
pub(crate) fn documented() -> Vec<EventDoc> {
    vec![
        doc::<ReadyData<'static>>(
            "ready",
            "The reply to a good `auth`: my account and my rooms; `history_starts` (or null): messages sent before it were removed by retention.",
        ),
        doc::<MessageData<'static>>(
            "new_message",
            "A message was stored in one of my rooms (mine included).",
        ),
        doc::<MessageData<'static>>(
            "message_updated",
            "A message was edited, pinned or unpinned, or (a thread's root) its thread gained or lost a reply.",
        ),
        doc::<ReactionsUpdatedData<'static>>("reactions_updated", "A message's reactions as they now are."),
        doc::<MessageData<'static>>(
            "thread_reply",
            "A new reply in a thread I follow, in a room I am still in (not my own).",
        ),
        doc::<ThreadReadData>("thread_read", "I read that thread on one of my devices."),
        doc::<MessageDeletedData>("message_deleted", "A message was deleted."),
        doc::<RoomJoinedData<'static>>(
            "room_joined",
            "I joined, was added to or created a room, or a direct conversation with me was opened; `messages` are the latest 50.",
        ),
        doc::<RoomCreatedData<'static>>(
            "room_created",
            "Someone else created a public room (I am not a member yet).",
        ),
        doc::<RoomUpdatedData<'static>>(
            "room_updated",
            "A room I can see changed: merge these fields into my copy; drop a private room I am not in.",
        ),
        doc::<RoomDeletedData>(
            "room_deleted",
            "A server administrator deleted the room with its messages and files.",
        ),
        doc::<UserJoinedData<'static>>("user_joined", "Someone joined one of my rooms."),
        doc::<UserLeftData<'static>>(
            "user_left",
            "Someone left or was removed (me too: then drop the room).",
        ),
        doc::<RoomReadData>("room_read", "My read marker moved (on any of my devices)."),
        doc::<DmClosedData>(
            "dm_closed",
            "I closed a direct conversation (on any of my devices).",
        ),
        doc::<TypingUpdateData<'static>>("typing_update", "Someone else started or stopped typing."),
        doc::<UserStatus>(
            "user_status_update",
            "Someone came online, went offline or set their status.",
        ),
        doc::<UserStatusBatchData<'static>>("user_status_batch", "Several presence changes at once."),
        doc::<OnlineUsersUpdateData<'static>>("online_users_update", "The reply to `get_online_users`."),
        doc::<HistoryExpiredData>(
            "history_expired",
            "The retention job removed every message sent before `before`.",
        ),
        doc::<ResyncData<'static>>(
            "resync",
            "The server may have missed changes in these rooms (a cluster node lost contact with the others): fetch the messages after my newest and the changes since my last look, as after a reconnection.",
        ),
        doc::<PongData>("pong", "The reply to `ping`."),
        doc::<ErrorBody>(
            "error",
            "A frame could not be carried out; the socket stays open. Carries the frame's `ref`.",
        ),
    ]
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
