//! The WebSocket protocol: authentication, message fan-out, idempotent sends, room events.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestServer, WAIT};

#[tokio::test]
async fn the_first_frame_must_be_a_valid_auth() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;

    let mut ws = server.ws_raw().await;
    ws.send_ref("join_room", json!({"room_id": 1}), "r1").await;
    let error = ws.expect("error").await;
    assert_eq!(error["data"]["code"], "unauthorized");
    assert_eq!(error["ref"], "r1");
    assert_eq!(ws.expect_close(WAIT).await, Some(4401));

    let mut ws = server.ws_raw().await;
    ws.send("auth", json!({"token": "not-a-token"})).await;
    assert_eq!(ws.expect("error").await["data"]["code"], "unauthorized");
    assert_eq!(ws.expect_close(WAIT).await, Some(4401));

    // Silence past the auth deadline (2 s in tests) also closes with 4401.
    let mut ws = server.ws_raw().await;
    assert_eq!(ws.expect_close(Duration::from_secs(5)).await, Some(4401));

    let mut ws = server.ws_raw().await;
    ws.send_ref("auth", json!({"token": alice.token}), "hello").await;
    let ready = ws.expect("ready").await;
    assert_eq!(ready["ref"], "hello");
    assert_eq!(ready["data"]["user"]["username"], "alice");
    assert_eq!(ready["data"]["rooms"].as_array().unwrap().len(), 3);
    ws.send("auth", json!({"token": alice.token})).await;
    assert_eq!(ws.expect("error").await["data"]["code"], "already_authenticated");
}

#[tokio::test]
async fn messages_reach_every_member_and_only_members() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let eve = server.register("eve").await;
    let secret = server.create_room(&alice, "secret", true).await;
    server
        .post(
            Some(&alice.token),
            &format!("/api/rooms/{secret}/members"),
            json!({"username": "bob"}),
        )
        .await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;
    let mut e = server.ws(&eve).await;

    a.send_ref(
        "send_message",
        json!({"room_id": secret, "content": "for members", "client_msg_id": "m1"}),
        "s1",
    )
    .await;
    let ack = a.expect("new_message").await;
    assert_eq!(ack["ref"], "s1");
    assert_eq!(ack["data"]["message"]["client_msg_id"], "m1");
    assert_eq!(ack["data"]["message"]["username"], "alice");
    let got = b
        .expect_where("new_message", |f| f["data"]["message"]["room_id"] == secret)
        .await;
    assert_eq!(got["data"]["message"]["content"], "for members");
    assert!(got.get("ref").is_none(), "refs go only to the sender");
    // Broadcast only after commit: the message is already in history.
    let (_, history) = server
        .get(Some(&bob.token), &format!("/api/rooms/{secret}/messages"))
        .await;
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == got["data"]["message"]["id"])
    );
    e.expect_none_where("new_message", Duration::from_millis(300), |f| {
        f["data"]["message"]["room_id"] == secret
    })
    .await;

    // REST posts broadcast exactly like socket posts, to the sender's sockets too.
    server.say(&bob, secret, "via rest").await;
    a.expect_where("new_message", |f| f["data"]["message"]["content"] == "via rest")
        .await;
    b.expect_where("new_message", |f| f["data"]["message"]["content"] == "via rest")
        .await;
}

#[tokio::test]
async fn a_resent_client_msg_id_is_stored_and_delivered_once() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;
    let frame = json!({"room_id": lobby, "content": "only once", "client_msg_id": "retry-1"});
    a.send_ref("send_message", frame.clone(), "first").await;
    a.send_ref("send_message", frame, "second").await;
    let first = a.expect_where("new_message", |f| f["ref"] == "first").await;
    let second = a.expect_where("new_message", |f| f["ref"] == "second").await;
    assert_eq!(first["data"]["message"]["id"], second["data"]["message"]["id"]);
    b.expect_where("new_message", |f| f["data"]["message"]["content"] == "only once")
        .await;
    b.expect_none_where("new_message", Duration::from_millis(300), |f| {
        f["data"]["message"]["content"] == "only once"
    })
    .await;
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    let copies = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] == "only once")
        .count();
    assert_eq!(copies, 1);
}

#[tokio::test]
async fn a_socket_hears_every_room_its_user_is_in() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let tech = server.room_id(&alice, "技术讨论").await;
    let chat = server.room_id(&alice, "随便聊聊").await;
    let mut b = server.ws(&bob).await;
    server.say(&alice, tech, "in tech").await;
    server.say(&alice, chat, "in chat").await;
    b.expect_where("new_message", |f| f["data"]["message"]["room_id"] == tech)
        .await;
    b.expect_where("new_message", |f| f["data"]["message"]["room_id"] == chat)
        .await;
}

#[tokio::test]
async fn joining_leaving_and_creating_rooms_over_the_socket() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;

    // A new public room is announced to others, not to its creator's own room list twice.
    let room = server.create_room(&alice, "design", false).await;
    let created = b.expect("room_created").await;
    assert_eq!(created["data"]["room"]["id"], room);
    assert_eq!(created["data"]["room"]["is_member"], false);
    let joined_own = a.expect("room_joined").await;
    assert_eq!(joined_own["data"]["room"]["id"], room);
    // A private room is announced to nobody.
    server.create_room(&alice, "hidden", true).await;
    b.expect_none("room_created", Duration::from_millis(300)).await;

    b.send_ref("join_room", json!({"room_id": room}), "j").await;
    let joined = b.expect("room_joined").await;
    assert_eq!(joined["ref"], "j");
    assert_eq!(joined["data"]["room"]["is_member"], true);
    assert_eq!(joined["data"]["members"].as_array().unwrap().len(), 2);
    assert!(
        !joined["data"]["messages"].as_array().unwrap().is_empty(),
        "latest messages come along"
    );
    let announced = a.expect("user_joined").await;
    assert_eq!(announced["data"]["room_id"], room);
    assert_eq!(announced["data"]["user"]["username"], "bob");
    let notice = a
        .expect_where("new_message", |f| {
            f["data"]["message"]["message_type"] == "system"
        })
        .await;
    assert_eq!(notice["data"]["message"]["system"]["kind"], "member_joined");

    // Now bob hears the room.
    a.send("send_message", json!({"room_id": room, "content": "welcome"}))
        .await;
    b.expect_where("new_message", |f| f["data"]["message"]["content"] == "welcome")
        .await;

    b.send_ref("leave_room", json!({"room_id": room}), "l").await;
    let left = b.expect("user_left").await;
    assert_eq!(left["ref"], "l");
    assert_eq!(left["data"]["user"]["id"], bob.id);
    a.expect_where("user_left", |f| f["data"]["room_id"] == room)
        .await;
    a.send("send_message", json!({"room_id": room, "content": "bye"}))
        .await;
    b.expect_none_where("new_message", Duration::from_millis(300), |f| {
        f["data"]["message"]["room_id"] == room
    })
    .await;

    // Joining a private room one is not in is indistinguishable from a missing room.
    b.send_ref("join_room", json!({"room_id": 424242}), "x").await;
    let error = b.expect("error").await;
    assert_eq!(error["data"]["code"], "not_found");
    assert_eq!(error["ref"], "x");
}

#[tokio::test]
async fn members_added_by_an_admin_get_the_room_live() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let secret = server.create_room(&alice, "secret", true).await;
    let mut b = server.ws(&bob).await;
    let (status, _) = server
        .post(
            Some(&alice.token),
            &format!("/api/rooms/{secret}/members"),
            json!({"username": "bob"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let joined = b.expect("room_joined").await;
    assert_eq!(joined["data"]["room"]["id"], secret);
    server.say(&alice, secret, "psst").await;
    b.expect_where("new_message", |f| f["data"]["message"]["content"] == "psst")
        .await;

    server
        .delete(
            Some(&alice.token),
            &format!("/api/rooms/{secret}/members/{}", bob.id),
        )
        .await;
    let left = b.expect("user_left").await;
    assert_eq!(left["data"]["room_id"], secret);
    server.say(&alice, secret, "after").await;
    b.expect_none_where("new_message", Duration::from_millis(300), |f| {
        f["data"]["message"]["room_id"] == secret
    })
    .await;
}

#[tokio::test]
async fn edits_deletes_and_read_markers_reach_every_device() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    let mut b1 = server.ws(&bob).await;
    let mut b2 = server.ws(&bob).await;
    let message = server.say(&alice, lobby, "tpyo").await;
    let id = message["id"].as_i64().unwrap();

    a.send_ref("edit_message", json!({"message_id": id, "content": "typo"}), "e")
        .await;
    assert_eq!(a.expect("message_updated").await["ref"], "e");
    let updated = b1.expect("message_updated").await;
    assert_eq!(updated["data"]["message"]["content"], "typo");
    assert!(updated["data"]["message"]["edited_at"].is_string());

    b1.send_ref("mark_read", json!({"room_id": lobby, "message_id": id}), "m")
        .await;
    let own = b1.expect("room_read").await;
    assert_eq!(own["ref"], "m");
    let other_device = b2.expect("room_read").await;
    assert_eq!(other_device["data"]["last_read_message_id"], id);
    assert_eq!(other_device["data"]["unread_count"], 0);

    let (status, _) = server
        .delete(Some(&alice.token), &format!("/api/messages/{id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let deleted = b2.expect("message_deleted").await;
    assert_eq!(deleted["data"], json!({"message_id": id, "room_id": lobby}));

    b1.send_ref("delete_message", json!({"message_id": id}), "d")
        .await;
    assert_eq!(b1.expect("error").await["data"]["code"], "not_author");
}
