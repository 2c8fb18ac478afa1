//! The AsyncAPI document of the WebSocket protocol: served without sign-in, the same as the
//! committed `docs/asyncapi.json`, naming every event the server sends or accepts, and with
//! schemas the server's real frames satisfy.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Next, TestServer, WsClient};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/asyncapi.json");
const EVENTS_RS: &str = include_str!("../src/events.rs");
const PROTOCOL_RS: &str = include_str!("../src/ws/protocol.rs");

async fn served(server: &TestServer) -> (String, Value) {
    let response = reqwest::get(server.url("/api/asyncapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    let document = serde_json::from_str(&text).unwrap();
    (text, document)
}

/// The names of the events the document lists for `action` ("send": server → client,
/// "receive": client → server).
fn documented(document: &Value, action: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for operation in document["operations"].as_object().unwrap().values() {
        if operation["action"] == action {
            for message in operation["messages"].as_array().unwrap() {
                let name = message["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
                assert!(
                    document["components"]["messages"][name].is_object(),
                    "{name} has no message"
                );
                names.insert(name.to_owned());
            }
        }
    }
    names
}

/// The event names in `frame("name"` calls: every frame the server sends is built by one.
fn sent_by_the_server() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in EVENTS_RS.match_indices("frame(") {
        let rest = EVENTS_RS[at + "frame(".len()..].trim_start();
        if let Some(quoted) = rest.strip_prefix('"') {
            names.insert(quoted[..quoted.find('"').unwrap()].to_owned());
        }
    }
    names
}

/// The event names in the arms of the client frame parser's `match`.
fn accepted_by_the_parser() -> BTreeSet<String> {
    let start = PROTOCOL_RS.find("pub fn parse(").unwrap();
    let end = start + PROTOCOL_RS[start..].find("\n}\n").unwrap();
    PROTOCOL_RS[start..end]
        .lines()
        .filter_map(|line| {
            let arm = line.trim_start().strip_prefix('"')?;
            let (name, rest) = arm.split_once('"')?;
            rest.trim_start().starts_with("=>").then(|| name.to_owned())
        })
        .collect()
}

/// A validator of `message`'s payload, resolving the document's own `$ref`s.
pub(crate) fn validator(document: &Value, message: &str) -> jsonschema::Validator {
    let mut root = document.clone();
    root["$ref"] = json!(format!("#/components/messages/{message}/payload"));
    jsonschema::validator_for(&root).unwrap()
}

fn assert_valid(document: &Value, frame: &Value) {
    let event = frame["event"].as_str().unwrap();
    let errors: Vec<String> = validator(document, event)
        .iter_errors(frame)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{frame} does not match its schema: {errors:?}");
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let server = TestServer::start().await;
    let (text, document) = served(&server).await;
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["version"], server_core::VERSION);
    assert_eq!(document["channels"]["ws"]["address"], "/ws");
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        text == committed,
        "docs/asyncapi.json differs from what the server serves; regenerate it with\n  \
         cargo run -p server-core --bin confab-server -- asyncapi > docs/asyncapi.json"
    );
    assert_eq!(
        server_core::asyncapi(),
        text,
        "the asyncapi command prints what is served"
    );
    // Declared like every other route, so the REST document lists it.
    let openapi: Value = serde_json::from_str(&server.server().openapi()).unwrap();
    assert!(openapi["paths"]["/api/asyncapi.json"]["get"].is_object());
}

#[tokio::test]
async fn every_event_the_server_sends_or_accepts_is_documented() {
    let server = TestServer::start().await;
    let (_, document) = served(&server).await;
    let sent = sent_by_the_server();
    assert!(sent.len() >= 20, "found only {sent:?}");
    assert_eq!(documented(&document, "send"), sent);
    let accepted = accepted_by_the_parser();
    assert!(accepted.len() >= 15, "found only {accepted:?}");
    assert_eq!(documented(&document, "receive"), accepted);

    // The parser, asked over a real socket, knows each documented name and no other.
    let alice = server.register("alice").await;
    let mut ws = server.ws(&alice).await;
    for name in accepted.iter().map(String::as_str).chain(["not_an_event"]) {
        ws.send_ref(name, json!({}), name).await;
        let reply = reply_to(&mut ws, name).await;
        let unknown = reply["event"] == "error" && reply["data"]["code"] == "unknown_event";
        assert_eq!(unknown, name == "not_an_event", "{name}: {reply}");
    }
}

/// The next frame carrying `reference`.
async fn reply_to(ws: &mut WsClient, reference: &str) -> Value {
    for _ in 0..50 {
        match ws.next(Duration::from_secs(5)).await {
            Some(Next::Frame(frame)) if frame["ref"] == reference => return frame,
            Some(Next::Frame(_)) => continue,
            Some(Next::Closed(close)) => panic!("closed ({close:?}) waiting for {reference}"),
            None => panic!("no reply to {reference}"),
        }
    }
    panic!("no reply to {reference} among 50 frames")
}

#[tokio::test]
async fn real_frames_match_their_schemas() {
    let server = TestServer::start().await;
    let (_, document) = served(&server).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = server.create_room(&alice, "general-talk", false).await;
    let mut ws = server.ws(&alice).await;
    assert_valid(&document, &ws.ready);
    let mut other = server.ws(&bob).await;

    let send = json!({"event": "send_message", "ref": "s1",
        "data": {"room_id": room, "content": "早上好 👋", "client_msg_id": "c-1"}});
    assert_valid(&document, &send);
    ws.send_json(send).await;
    let message = reply_to(&mut ws, "s1").await;
    assert_eq!(message["event"], "new_message");
    assert_valid(&document, &message);
    let id = message["data"]["message"]["id"].clone();

    let frames = [
        (
            "add_reaction",
            json!({"message_id": id, "emoji": "👍"}),
            "reactions_updated",
        ),
        (
            "edit_message",
            json!({"message_id": id, "content": "edited"}),
            "message_updated",
        ),
        (
            "mark_read",
            json!({"room_id": room, "message_id": id}),
            "room_read",
        ),
        ("get_online_users", json!({}), "online_users_update"),
        (
            "set_status",
            json!({"status": "dnd", "status_text": "focus"}),
            "user_status_update",
        ),
        ("ping", json!({}), "pong"),
        ("join_room", json!({"room_id": 999_999}), "error"),
    ];
    for (event, data, answer) in frames {
        let frame = json!({"event": event, "data": data, "ref": event});
        assert_valid(&document, &frame);
        ws.send_json(frame).await;
        let reply = reply_to(&mut ws, event).await;
        assert_eq!(reply["event"], answer, "{event}: {reply}");
        assert_valid(&document, &reply);
    }
    other.send("join_room", json!({"room_id": room})).await;
    let joined = other.expect("room_joined").await;
    assert_valid(&document, &joined);
    let joined = ws.expect("user_joined").await;
    assert_valid(&document, &joined);

    // The schemas say something: a frame of the wrong shape fails them.
    for wrong in [
        json!({"event": "send_message", "data": {"room_id": "general", "content": "hi"}}),
        json!({"event": "send_message", "data": {"room_id": 1}}),
        json!({"event": "ping", "ref": "x".repeat(65)}),
        json!({"event": "pong", "data": {}}),
    ] {
        let event = wrong["event"].as_str().unwrap();
        assert!(!validator(&document, event).is_valid(&wrong), "{wrong} passed");
    }
}

/// A client can learn from the document which event answers each of its frames: every client
/// event's operation lists its replies, `error` among them, and those are what the server sends.
#[tokio::test]
async fn each_client_event_names_the_events_that_answer_it() {
    let server = TestServer::start().await;
    let (_, document) = served(&server).await;
    let replies = |event: &str| -> Vec<String> {
        let operation = &document["operations"][format!("on_{event}")];
        operation["reply"]["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("{event} has no documented reply: {operation}"))
            .iter()
            .map(|m| m["$ref"].as_str().unwrap().rsplit('/').next().unwrap().to_owned())
            .collect()
    };
    for event in documented(&document, "receive") {
        assert!(replies(&event).contains(&"error".to_owned()), "{event}");
    }
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "general-talk", false).await;
    let id = server.say(&alice, room, "hello").await["id"].clone();
    let mut ws = server.ws(&alice).await;
    let frames = [
        ("join_room", json!({"room_id": room})),
        ("send_message", json!({"room_id": room, "content": "hi"})),
        ("edit_message", json!({"message_id": id, "content": "edited"})),
        ("add_reaction", json!({"message_id": id, "emoji": "👍"})),
        ("remove_reaction", json!({"message_id": id, "emoji": "👍"})),
        ("mark_read", json!({"room_id": room, "message_id": id})),
        ("get_online_users", json!({})),
        ("set_status", json!({"status": "dnd"})),
        ("ping", json!({})),
        ("delete_message", json!({"message_id": id})),
        ("auth", json!({"token": alice.token})),
    ];
    for (event, data) in frames {
        ws.send_json(json!({"event": event, "data": data, "ref": event}))
            .await;
        let reply = reply_to(&mut ws, event).await;
        let name = reply["event"].as_str().unwrap().to_owned();
        assert!(replies(event).contains(&name), "{event} answered by {reply}");
    }
}
