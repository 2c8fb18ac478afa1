//! Direct conversations: one room per set of people, invisible to everyone else.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, TestUser};

async fn open_dm(server: &TestServer, user: &TestUser, others: &[i64]) -> (StatusCode, Value) {
    server
        .post(Some(&user.token), "/api/dms", json!({"user_ids": others}))
        .await
}

fn names(room: &Value) -> Vec<&str> {
    room["dm_users"]
        .as_array()
        .unwrap_or_else(|| panic!("no dm_users: {room}"))
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn one_set_of_people_has_one_conversation_whatever_the_order() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;

    let (status, first) = open_dm(&server, &alice, &[bob.id]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let room = &first["room"];
    assert_eq!(room["kind"], "direct");
    assert_eq!(room["is_member"], true);
    assert_eq!(names(room), ["bob"]);
    let id = room["id"].as_i64().unwrap();

    let (status, again) = open_dm(&server, &alice, &[bob.id]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["room"]["id"], id);
    // From the other side, naming themselves and repeating a name: the same conversation.
    let (status, theirs) = open_dm(&server, &bob, &[alice.id, bob.id, alice.id]).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["room"]["id"], id);
    assert_eq!(names(&theirs["room"]), ["alice"]);

    let (status, group) = open_dm(&server, &alice, &[carol.id, bob.id]).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group_id = group["room"]["id"].as_i64().unwrap();
    assert_ne!(group_id, id);
    let (status, same) = open_dm(&server, &carol, &[bob.id, alice.id]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["room"]["id"], group_id);

    // Channels are untouched by conversations: their names stay free.
    server.create_room(&alice, "bob", false).await;
    let (_, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    let kinds: Vec<(&str, &str)> = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds.iter().filter(|(_, k)| *k == "direct").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&("bob", "channel")), "{kinds:?}");
}

#[tokio::test]
async fn bad_lists_of_people_are_refused_clearly() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let cases = [
        (json!([]), StatusCode::BAD_REQUEST, "dm_needs_people"),
        (json!([alice.id]), StatusCode::BAD_REQUEST, "dm_needs_people"),
        (json!([999_999]), StatusCode::NOT_FOUND, "not_found"),
        (
            json!([91, 92, 93, 94, 95, 96, 97, 98]),
            StatusCode::BAD_REQUEST,
            "too_many_people",
        ),
        (json!("bob"), StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (ids, status, code) in cases {
        let (got, body) = server
            .post(Some(&alice.token), "/api/dms", json!({"user_ids": ids}))
            .await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{ids}: {body}"
        );
    }
    let mut ws = server.ws(&alice).await;
    ws.send_ref("open_dm", json!({"user_ids": [999_999]}), "r1").await;
    let error = ws.expect("error").await;
    assert_eq!(
        (error["ref"].as_str(), error["data"]["code"].as_str()),
        (Some("r1"), Some("not_found"))
    );
}

#[tokio::test]
async fn an_outsider_gets_404_everywhere_and_no_event() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let mut bob_ws = server.ws(&bob).await;
    let mut carol_ws = server.ws(&carol).await;

    let (_, opened) = open_dm(&server, &alice, &[bob.id]).await;
    let id = opened["room"]["id"].as_i64().unwrap();
    let joined = bob_ws
        .expect_where("room_joined", |f| f["data"]["room"]["id"] == id)
        .await;
    assert_eq!(names(&joined["data"]["room"]), ["alice"]);
    let message = server.say(&alice, id, "just between us").await;
    bob_ws
        .expect_where("new_message", |f| f["data"]["message"]["id"] == message["id"])
        .await;
    assert_eq!(server.say(&bob, id, "sure").await["room_id"], id);

    let t = Some(carol.token.as_str());
    let mid = message["id"].as_i64().unwrap();
    let denied = [
        server.get(t, &format!("/api/rooms/{id}")).await,
        server.get(t, &format!("/api/rooms/{id}/messages")).await,
        server.get(t, &format!("/api/rooms/{id}/members")).await,
        server.post(t, &format!("/api/rooms/{id}/join"), json!({})).await,
        server.post(t, &format!("/api/rooms/{id}/leave"), json!({})).await,
        server
            .post(t, &format!("/api/rooms/{id}/messages"), json!({"content": "hi"}))
            .await,
        server
            .post(t, &format!("/api/rooms/{id}/read"), json!({"message_id": mid}))
            .await,
        server
            .post(
                t,
                &format!("/api/rooms/{id}/members"),
                json!({"username": "carol"}),
            )
            .await,
        server.post(t, &format!("/api/dms/{id}/close"), json!({})).await,
        server
            .put(t, &format!("/api/messages/{mid}"), json!({"content": "x"}))
            .await,
        server.delete(t, &format!("/api/messages/{mid}")).await,
    ];
    for (i, (status, body)) in denied.iter().enumerate() {
        assert_eq!(*status, StatusCode::NOT_FOUND, "request {i}: {body}");
    }
    let (_, rooms) = server.get(t, "/api/rooms").await;
    assert!(
        rooms["rooms"].as_array().unwrap().iter().all(|r| r["id"] != id),
        "{rooms}"
    );
    let (_, mentions) = server.get(t, "/api/mentions").await;
    assert_eq!(mentions["messages"], json!([]));

    carol_ws
        .send_ref("send_message", json!({"room_id": id, "content": "hi"}), "c1")
        .await;
    let error = carol_ws.expect("error").await;
    assert_eq!(error["data"]["code"], "not_found");
    carol_ws.send("typing_start", json!({"room_id": id})).await;
    carol_ws.send("join_room", json!({"room_id": id})).await;
    server.say(&alice, id, "still private").await;
    carol_ws
        .expect_none_where("new_message", Duration::from_millis(600), |_| true)
        .await;
    // Nothing carol's socket received so far ever named the conversation.
    let (status, _) = server.get(t, &format!("/api/rooms/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_frame_of_a_conversation_reaches_an_outsider() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let mut carol_ws = server.ws(&carol).await;
    let (_, opened) = open_dm(&server, &alice, &[bob.id]).await;
    let id = opened["room"]["id"].as_i64().unwrap();
    let mut alice_ws = server.ws(&alice).await;
    let sent = server.say(&alice, id, "one").await;
    alice_ws.send("typing_start", json!({"room_id": id})).await;
    server
        .put(
            Some(&alice.token),
            &format!("/api/messages/{}", sent["id"]),
            json!({"content": "two"}),
        )
        .await;
    server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{id}/read"),
            json!({"message_id": sent["id"]}),
        )
        .await;
    // A marker frame carol does get, so everything before it has been seen.
    server
        .say(&alice, server.room_id(&alice, "大厅").await, "marker")
        .await;
    let mut frames = Vec::new();
    loop {
        match carol_ws.next(Duration::from_secs(10)).await {
            Some(crate::common::Next::Frame(f)) => {
                let done = f["event"] == "new_message" && f["data"]["message"]["content"] == "marker";
                frames.push(f);
                if done {
                    break;
                }
            }
            _ => panic!("carol's socket ended early: {frames:?}"),
        }
    }
    for frame in &frames {
        let text = frame.to_string();
        assert!(
            frame["data"]["room_id"] != id
                && frame["data"]["message"]["room_id"] != id
                && frame["data"]["room"]["id"] != id,
            "carol saw {text}"
        );
    }
}

#[tokio::test]
async fn a_group_of_three_talks_and_nobody_changes_its_people() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let mut bob_ws = server.ws(&bob).await;
    let mut carol_ws = server.ws(&carol).await;

    let mut alice_ws = server.ws(&alice).await;
    alice_ws
        .send_ref("open_dm", json!({"user_ids": [carol.id, bob.id]}), "o1")
        .await;
    let mine = alice_ws.expect_where("room_joined", |f| f["ref"] == "o1").await;
    let id = mine["data"]["room"]["id"].as_i64().unwrap();
    assert_eq!(names(&mine["data"]["room"]), ["bob", "carol"]);
    assert_eq!(mine["data"]["members"].as_array().unwrap().len(), 3);
    for (ws, others) in [
        (&mut bob_ws, ["alice", "carol"]),
        (&mut carol_ws, ["alice", "bob"]),
    ] {
        let joined = ws
            .expect_where("room_joined", |f| f["data"]["room"]["id"] == id)
            .await;
        assert_eq!(names(&joined["data"]["room"]), others);
    }

    carol_ws
        .send("send_message", json!({"room_id": id, "content": "hello both"}))
        .await;
    for ws in [&mut alice_ws, &mut bob_ws] {
        ws.expect_where("new_message", |f| f["data"]["message"]["content"] == "hello both")
            .await;
    }
    let (_, room) = server.get(Some(&bob.token), &format!("/api/rooms/{id}")).await;
    assert_eq!(room["room"]["unread_count"], 1);
    assert_eq!(
        room["room"]["mention_count"], 1,
        "every unread direct message counts"
    );

    let dave = server.register("dave").await;
    let refusals = [
        server
            .post(
                Some(&alice.token),
                &format!("/api/rooms/{id}/members"),
                json!({"username": dave.name}),
            )
            .await,
        server
            .delete(Some(&alice.token), &format!("/api/rooms/{id}/members/{}", bob.id))
            .await,
        server
            .post(Some(&alice.token), &format!("/api/rooms/{id}/leave"), json!({}))
            .await,
    ];
    for (status, body) in refusals {
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("direct_room")),
            "{body}"
        );
    }
    let (_, members) = server
        .get(Some(&bob.token), &format!("/api/rooms/{id}/members"))
        .await;
    assert_eq!(members["members"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_closed_conversation_comes_back_with_the_next_message() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let (_, opened) = open_dm(&server, &alice, &[bob.id]).await;
    let id = opened["room"]["id"].as_i64().unwrap();
    server.say(&alice, id, "hi").await;

    let mut bob_other = server.ws(&bob).await;
    let (status, body) = server
        .post(Some(&bob.token), &format!("/api/dms/{id}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    bob_other
        .expect_where("dm_closed", |f| f["data"]["room_id"] == id)
        .await;
    let hidden = |body: &Value| {
        body["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["is_hidden"]
            .clone()
    };
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(hidden(&rooms), true);
    let (_, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    assert_eq!(hidden(&rooms), false, "closing is for the one who closed it");

    server.say(&alice, id, "are you there?").await;
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(hidden(&rooms), false);

    // Closing a channel is not a thing.
    let lobby = server.room_id(&bob, "大厅").await;
    let (status, _) = server
        .post(Some(&bob.token), &format!("/api/dms/{lobby}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
