//! The WebSocket protocol as an AsyncAPI 3.0 document (`GET /api/asyncapi.json`): every event
//! both ways, each `data` described by the JSON Schema of the very Rust type the server parses
//! it into or serialises it from.

use serde_json::{Map, json};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::protocol;
use crate::events;

/// One event as the document describes it.
pub(crate) struct EventDoc {
    pub name: &'static str,
    summary: &'static str,
    /// The name of its `data`'s schema under `components.schemas`.
    data: String,
    /// That schema and every schema it refers to.
    schemas: Vec<(String, RefOr<Schema>)>,
    /// For a client event, the events that answer it (besides `error`), carrying its `ref`.
    replies: &'static [&'static str],
}

impl EventDoc {
    /// The client event is answered by one of `replies` (or by `error`).
    pub(crate) fn answered_by(self, replies: &'static [&'static str]) -> EventDoc {
        EventDoc { replies, ..self }
    }
}

/// Event `name`, whose `data` is a `T`.
pub(crate) fn doc<T: ToSchema>(name: &'static str, summary: &'static str) -> EventDoc {
    let mut schemas = Vec::new();
    T::schemas(&mut schemas);
    let data = T::name().into_owned();
    schemas.push((data.clone(), T::schema()));
    EventDoc {
        name,
        summary,
        data,
        schemas,
        replies: &[],
    }
}

/// The whole document, as served and as `confab-server asyncapi` prints it.
pub fn document() -> String {
    let mut schemas = Map::new();
    schemas.insert(
        "Ref".into(),
        json!({
            "type": "string",
            "maxLength": 64,
            "description": "Any string up to 64 bytes a client puts on a frame; the server echoes \
                it on its direct reply to that frame (the reply event or the `error`). Broadcast \
                copies of an event to other sockets carry none.",
        }),
    );
    let mut messages = Map::new();
    let mut channel = Map::new();
    let mut operations = Map::new();
    let directions = [
        ("receive", "client → server", protocol::documented()),
        ("send", "server → client", events::documented()),
    ];
    for (action, direction, events) in directions {
        for event in events {
            for (name, schema) in event.schemas {
                let schema = serde_json::to_value(schema).expect("schemas serialise");
                if let Some(known) = schemas.get(&name) {
                    assert_eq!(*known, schema, "two different types are both named {name}");
                }
                schemas.insert(name, schema);
            }
            let name = event.name;
            assert!(!messages.contains_key(name), "event {name} is declared twice");
            let data = json!({"$ref": format!("#/components/schemas/{}", event.data)});
            // Events without data (`ping`) may leave it out or send null; the others need it.
            let (required, data) = if event.data == "Empty" {
                (json!(["event"]), json!({"oneOf": [data, {"type": "null"}]}))
            } else {
                (json!(["event", "data"]), data)
            };
            messages.insert(
                name.into(),
                json!({
                    "name": name,
                    "title": name,
                    "summary": event.summary,
                    "description": format!("A {direction} frame."),
                    "payload": {
                        "type": "object",
                        "required": required,
                        "properties": {
                            "event": {"const": name},
                            "data": data,
                            "ref": {"$ref": "#/components/schemas/Ref"},
                        },
                    },
                }),
            );
            channel.insert(
                name.into(),
                json!({"$ref": format!("#/components/messages/{name}")}),
            );
            let mut operation = json!({
                "action": action,
                "channel": {"$ref": "#/channels/ws"},
                "summary": event.summary,
                "messages": [{"$ref": format!("#/channels/ws/messages/{name}")}],
            });
            if action == "receive" {
                // Every client frame may be refused with `error`; the others are its success.
                let replies: Vec<_> = event
                    .replies
                    .iter()
                    .chain(&["error"])
                    .map(|reply| json!({"$ref": format!("#/channels/ws/messages/{reply}")}))
                    .collect();
                operation["reply"] = json!({
                    "channel": {"$ref": "#/channels/ws"},
                    "messages": replies,
                });
            }
            let verb = if action == "receive" { "on" } else { "send" };
            operations.insert(format!("{verb}_{name}"), operation);
        }
    }
    let document = json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Confab WebSocket protocol",
            "version": crate::VERSION,
            "description": DESCRIPTION,
            "license": {"name": "MIT"},
        },
        "defaultContentType": "application/json",
        "channels": {
            "ws": {
                "address": "/ws",
                "title": "The real-time socket",
                "description": CHANNEL,
                "messages": channel,
            },
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
        },
    });
    let mut text = serde_json::to_string_pretty(&document).expect("the document serialises");
    text.push('\n');
    text
}

const DESCRIPTION: &str = "The real-time half of a Confab server's API, seen from the server: it \
receives the client's events and sends its own. Every frame, both ways, is one JSON text frame \
`{\"event\": NAME, \"data\": {…}, \"ref\"?: string}`. The REST API is described in \
`/api/openapi.json`; `docs/protocol.md` is the readable guide.";

const CHANNEL: &str = "Open `ws://HOST:PORT/ws` (`wss://` behind TLS). Authentication: the first \
frame must be `auth` with a session token from `POST /api/auth/login` or `register`, within 10 \
seconds; the server answers `ready`. Anything else first, a bad token or silence gets \
`error {\"code\": \"unauthorized\"}` and close code 4401 (4403 with `password_change_required` \
for a temporary password not yet replaced). After `ready` the socket receives the events of every \
room the account is a member of. A bad frame gets an `error` event (`invalid_json`, \
`invalid_frame`, `unknown_event`, `invalid_data`, `binary_not_supported`, \
`already_authenticated`, `rate_limited` with `retry_after`, or the code a REST call would answer) \
and the socket stays open. Close codes: 1001 shutting down, 1002 a frame that breaks RFC 6455, 1007 a text frame that is \
not UTF-8, 1009 frame over 64 KiB, 4401 signed \
out, 4403 password change required, 4408 idle for 60 s (send `ping`), 4429 too many sockets.";
