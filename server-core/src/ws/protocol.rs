//! Client → server WebSocket frames: `{"event": NAME, "data": {…}, "ref"?: string}` parsed into
//! typed events, with a precise error for each way a frame can be wrong.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::chat::messages::Draft;
use crate::chat::people::StatusChoice;
use crate::error::Error;
use crate::model::{MessageId, RoomId, UserId};
use crate::ws::asyncapi::{EventDoc, doc};

const MAX_REF: usize = 64;

/// One parsed client frame.
#[derive(Debug)]
pub struct ClientFrame {
    pub event: ClientEvent,
    pub reference: Option<String>,
}

#[derive(Debug)]
pub enum ClientEvent {
    Auth { token: String },
    JoinRoom { room_id: RoomId },
    LeaveRoom { room_id: RoomId },
    SendMessage { room_id: RoomId, draft: Draft },
    EditMessage { message_id: MessageId, content: String },
    DeleteMessage { message_id: MessageId },
    AddReaction { message_id: MessageId, emoji: String },
    RemoveReaction { message_id: MessageId, emoji: String },
    MarkRead { room_id: RoomId, message_id: MessageId },
    TypingStart { room_id: RoomId },
    TypingStop { room_id: RoomId },
    GetOnlineUsers,
    OpenDm { user_ids: Vec<UserId> },
    CloseDm { room_id: RoomId },
    SetStatus { choice: StatusChoice },
    Ping,
}

/// A frame that could not be understood, with the `ref` if one could be read.
#[derive(Debug)]
pub struct BadFrame {
    pub error: Error,
    pub reference: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    event: String,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(rename = "ref", default)]
    reference: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Token {
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct InRoom {
    room_id: RoomId,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Send {
    room_id: RoomId,
    #[serde(flatten)]
    draft: Draft,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Edit {
    message_id: MessageId,
    content: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OneMessage {
    message_id: MessageId,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct React {
    message_id: MessageId,
    emoji: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct People {
    user_ids: Vec<UserId>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Read {
    room_id: RoomId,
    message_id: MessageId,
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<ClientFrame, BadFrame> {
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|e| BadFrame {
        error: if e.is_syntax() || e.is_eof() {
            Error::bad_request("invalid_json", format!("frame is not valid JSON: {e}"))
        } else {
            Error::bad_request(
                "invalid_frame",
                format!(
                    "a frame is an object {{\"event\": string, \"data\": object, \"ref\"?: string}}: {e}"
                ),
            )
        },
        reference: None,
    })?;
    let reference = envelope.reference;
    let fail = |error: Error| BadFrame {
        error,
        reference: reference.clone(),
    };
    if reference.as_ref().is_some_and(|r| r.len() > MAX_REF) {
        // Not echoed: the answer would carry the very ref it refuses, past the documented limit.
        return Err(BadFrame {
            error: Error::bad_request("invalid_frame", "ref may be at most 64 bytes"),
            reference: None,
        });
    }
    let data = envelope.data;
    let event = match envelope.event.as_str() {
        "auth" => data_of::<Token>(data).map(|d| ClientEvent::Auth { token: d.token }),
        "join_room" => data_of::<InRoom>(data).map(|d| ClientEvent::JoinRoom { room_id: d.room_id }),
        "leave_room" => data_of::<InRoom>(data).map(|d| ClientEvent::LeaveRoom { room_id: d.room_id }),
        "send_message" => data_of::<Send>(data).map(|d| ClientEvent::SendMessage {
            room_id: d.room_id,
            draft: d.draft,
        }),
        "edit_message" => data_of::<Edit>(data).map(|d| ClientEvent::EditMessage {
            message_id: d.message_id,
            content: d.content,
        }),
        "delete_message" => data_of::<OneMessage>(data).map(|d| ClientEvent::DeleteMessage {
            message_id: d.message_id,
        }),
        "add_reaction" => data_of::<React>(data).map(|d| ClientEvent::AddReaction {
            message_id: d.message_id,
            emoji: d.emoji,
        }),
        "remove_reaction" => data_of::<React>(data).map(|d| ClientEvent::RemoveReaction {
            message_id: d.message_id,
            emoji: d.emoji,
        }),
        "mark_read" => data_of::<Read>(data).map(|d| ClientEvent::MarkRead {
            room_id: d.room_id,
            message_id: d.message_id,
        }),
        "typing_start" => data_of::<InRoom>(data).map(|d| ClientEvent::TypingStart { room_id: d.room_id }),
        "typing_stop" => data_of::<InRoom>(data).map(|d| ClientEvent::TypingStop { room_id: d.room_id }),
        "get_online_users" => no_data(data).map(|()| ClientEvent::GetOnlineUsers),
        "open_dm" => data_of::<People>(data).map(|d| ClientEvent::OpenDm { user_ids: d.user_ids }),
        "close_dm" => data_of::<InRoom>(data).map(|d| ClientEvent::CloseDm { room_id: d.room_id }),
        "set_status" => data_of::<StatusChoice>(data).map(|choice| ClientEvent::SetStatus { choice }),
        "ping" => no_data(data).map(|()| ClientEvent::Ping),
        other => Err(Error::bad_request(
            "unknown_event",
            format!("unknown event {:?}", truncate(other, 64)),
        )),
    };
    event
        .map(|event| ClientFrame {
            event,
            reference: reference.clone(),
        })
        .map_err(fail)
}

/// Every event [`parse`] accepts, with the type of its `data`, for the AsyncAPI document; a test
/// checks it names the same events as `parse`.
pub(crate) fn documented() -> Vec<EventDoc> {
    vec![
        doc::<Token>(
            "auth",
            "The first frame on a socket, within 10 seconds: a session token. Answered by `ready`, or by `error unauthorized` and close code 4401.",
        ).answered_by(&["ready"]),
        doc::<InRoom>(
            "join_room",
            "Join a public room (or re-open one I am in); answered by `room_joined`.",
        ).answered_by(&["room_joined"]),
        doc::<InRoom>(
            "leave_room",
            "Leave a room; answered by `user_left` with me as `user`.",
        ).answered_by(&["user_left"]),
        doc::<Send>(
            "send_message",
            "Post a message; answered by `new_message` once stored, or `error`.",
        ).answered_by(&["new_message"]),
        doc::<Edit>("edit_message", "Edit my message; answered by `message_updated`.").answered_by(&["message_updated"]),
        doc::<OneMessage>(
            "delete_message",
            "Delete a message; answered by `message_deleted`.",
        ).answered_by(&["message_deleted"]),
        doc::<React>(
            "add_reaction",
            "React with an emoji (the emoji itself, not URL-encoded); answered by `reactions_updated`.",
        ).answered_by(&["reactions_updated"]),
        doc::<React>(
            "remove_reaction",
            "Remove my reaction; answered by `reactions_updated`.",
        ).answered_by(&["reactions_updated"]),
        doc::<Read>("mark_read", "Move my read marker; answered by `room_read`.").answered_by(&["room_read"]),
        doc::<InRoom>(
            "typing_start",
            "I am typing (repeat every few seconds; lasts about 6).",
        ),
        doc::<InRoom>("typing_stop", "I stopped typing."),
        doc::<Empty>(
            "get_online_users",
            "Who is online; answered by `online_users_update`.",
        ).answered_by(&["online_users_update"]),
        doc::<People>(
            "open_dm",
            "Open a direct conversation; answered by `room_joined`.",
        ).answered_by(&["room_joined"]),
        doc::<InRoom>(
            "close_dm",
            "Close a direct conversation; answered by `dm_closed`.",
        ).answered_by(&["dm_closed"]),
        doc::<StatusChoice>("set_status", "Set my status; answered by `user_status_update`.").answered_by(&["user_status_update"]),
        doc::<Empty>(
            "ping",
            "Keep an idle socket open (every ~25 s); answered by `pong`.",
        ).answered_by(&["pong"]),
    ]
}

/// The `data` of an event that needs none: absent, null or `{}`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Empty {}

fn data_of<T: DeserializeOwned>(data: Option<&RawValue>) -> Result<T, Error> {
    let raw = data.map_or("null", RawValue::get);
    serde_json::from_str(raw).map_err(|e| {
        let message = if raw == "null" {
            "this event needs a data object".to_owned()
        } else {
            // serde's messages name the field and the expected type; drop the position suffix.
            let text = e.to_string();
            text.split(" at line ").next().unwrap_or(&text).to_owned()
        };
        Error::bad_request("invalid_data", message)
    })
}

/// The `data` of an event that takes none: absent, null or an object (whose fields are
/// ignored, as unknown fields are everywhere); anything else is as wrong as it is for any event.
fn no_data(data: Option<&RawValue>) -> Result<(), Error> {
    match data.map(RawValue::get) {
        None | Some("null") => Ok(()),
        // The envelope already parsed it: an opening brace is a whole object.
        Some(raw) if raw.starts_with('{') => Ok(()),
        Some(_) => Err(Error::bad_request(
            "invalid_data",
            "data must be an object (or null) for this event",
        )),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> &'static str {
        parse(text).unwrap_err().error.code()
    }

    #[test]
    fn parses_events_with_refs() {
        let frame = parse(
            r#"{"event":"send_message","data":{"room_id":3,"content":"hi","client_msg_id":"c1"},"ref":"r9"}"#,
        )
        .unwrap();
        assert_eq!(frame.reference.as_deref(), Some("r9"));
        match frame.event {
            ClientEvent::SendMessage { room_id, draft } => {
                assert_eq!(room_id, 3);
                assert_eq!(draft.content, "hi");
                assert_eq!(draft.client_msg_id.as_deref(), Some("c1"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(r#"{"event":"ping"}"#).unwrap().event,
            ClientEvent::Ping
        ));
        assert!(matches!(
            parse(r#"{"event":"ping","data":{}}"#).unwrap().event,
            ClientEvent::Ping
        ));
    }

    #[test]
    fn parses_replies_and_reactions() {
        let frame = parse(
            r#"{"event":"send_message","data":{"room_id":3,"content":"hi","reply_to":7,"thread_id":5,"also_to_room":true}}"#,
        )
        .unwrap();
        match frame.event {
            ClientEvent::SendMessage { draft, .. } => {
                assert_eq!(
                    (draft.reply_to, draft.thread_id, draft.also_to_room),
                    (Some(7), Some(5), true)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(r#"{"event":"add_reaction","data":{"message_id":9,"emoji":"👍"}}"#).unwrap().event,
            ClientEvent::AddReaction { message_id: 9, emoji } if emoji == "👍"
        ));
        assert!(matches!(
            parse(r#"{"event":"remove_reaction","data":{"message_id":9,"emoji":":tada:"}}"#)
                .unwrap()
                .event,
            ClientEvent::RemoveReaction { message_id: 9, .. }
        ));
        assert_eq!(
            code(r#"{"event":"add_reaction","data":{"message_id":9}}"#),
            "invalid_data"
        );
    }

    #[test]
    fn parses_direct_message_and_status_events() {
        assert!(matches!(
            parse(r#"{"event":"open_dm","data":{"user_ids":[2,3]}}"#).unwrap().event,
            ClientEvent::OpenDm { user_ids } if user_ids == [2, 3]
        ));
        assert!(matches!(
            parse(r#"{"event":"close_dm","data":{"room_id":4}}"#)
                .unwrap()
                .event,
            ClientEvent::CloseDm { room_id: 4 }
        ));
        match parse(r#"{"event":"set_status","data":{"status":"dnd","status_text":"focus"}}"#)
            .unwrap()
            .event
        {
            ClientEvent::SetStatus { choice } => {
                assert_eq!(choice.status, crate::model::Status::Dnd);
                assert_eq!(choice.status_text.as_deref(), Some("focus"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            code(r#"{"event":"set_status","data":{"status":"asleep"}}"#),
            "invalid_data"
        );
    }

    #[test]
    fn each_kind_of_bad_frame_has_its_code() {
        assert_eq!(code("not json"), "invalid_json");
        assert_eq!(code("[1,2]"), "invalid_frame");
        assert_eq!(code(r#"{"data":{}}"#), "invalid_frame");
        assert_eq!(code(r#"{"event":"fly"}"#), "unknown_event");
        assert_eq!(code(r#"{"event":"join_room"}"#), "invalid_data");
        // Events without data take an object or nothing, not just anything.
        for data in ["5", "\"x\"", "[]", "false"] {
            for event in ["ping", "get_online_users"] {
                let frame = format!(r#"{{"event":"{event}","data":{data}}}"#);
                assert_eq!(code(&frame), "invalid_data", "{frame}");
            }
        }
        assert!(matches!(
            parse(r#"{"event":"ping","data":{"extra":1}}"#).unwrap().event,
            ClientEvent::Ping
        ));
        assert_eq!(
            code(r#"{"event":"join_room","data":{"room_id":"x"}}"#),
            "invalid_data"
        );
        assert_eq!(
            code(r#"{"event":"send_message","data":{"room_id":1}}"#),
            "invalid_data"
        );
        assert_eq!(
            code(r#"{"event":"send_message","data":{"room_id":1,"content":"x","message_type":"video"}}"#),
            "invalid_data"
        );
    }

    #[test]
    fn an_over_long_ref_is_refused_without_being_echoed() {
        let long = "r".repeat(65);
        let bad = parse(&format!(r#"{{"event":"ping","ref":"{long}"}}"#)).unwrap_err();
        assert_eq!(bad.error.code(), "invalid_frame");
        assert_eq!(bad.reference, None);
        let fine = parse(&format!(r#"{{"event":"ping","ref":"{}"}}"#, &long[..64])).unwrap();
        assert_eq!(fine.reference.as_deref(), Some(&long[..64]));
    }

    #[test]
    fn bad_data_keeps_the_ref_and_names_the_field() {
        let bad = parse(r#"{"event":"join_room","data":{"room":1},"ref":"abc"}"#).unwrap_err();
        assert_eq!(bad.reference.as_deref(), Some("abc"));
        assert!(bad.error.to_string().contains("room_id"), "{}", bad.error);
    }
}
