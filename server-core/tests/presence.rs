//! Presence (online while a socket is authenticated) and typing indicators.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestServer, TestUser, eventually};

/// Whether a presence frame (single or batched) says `user_id` is `online`.
fn says(frame: &Value, user_id: i64, online: bool) -> bool {
    let matches = |s: &Value| s["user_id"] == user_id && s["is_online"] == online;
    match frame["event"].as_str() {
        Some("user_status_update") => matches(&frame["data"]),
        Some("user_status_batch") => frame["data"]["users"].as_array().unwrap().iter().any(matches),
        _ => false,
    }
}

async fn expect_status(ws: &mut crate::common::WsClient, user_id: i64, online: bool) -> Value {
    let deadline = tokio::time::Instant::now() + crate::common::WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(crate::common::Next::Frame(frame)) if says(&frame, user_id, online) => return frame,
            Some(crate::common::Next::Frame(_)) => continue,
            _ => panic!("no presence update for user {user_id} online={online}"),
        }
    }
}

#[tokio::test]
async fn presence_follows_the_last_socket() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let mut a = server.ws(&alice).await;

    let b1 = server.ws(&bob).await;
    expect_status(&mut a, bob.id, true).await;
    let (_, online) = server.get(Some(&alice.token), "/api/users/online").await;
    let names: Vec<&str> = online["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"bob") && names.contains(&"alice"), "{names:?}");
    assert_eq!(lobby_member(&server, &alice, &bob).await["is_online"], true);

    // A second socket, then closing the first: still online.
    let b2 = server.ws(&bob).await;
    drop(b1);
    a.expect_none_where("user_status_update", Duration::from_millis(500), |f| {
        says(f, bob.id, false)
    })
    .await;
    let (_, online) = server.get(Some(&alice.token), "/api/users/online").await;
    assert!(online.to_string().contains("\"bob\""));

    drop(b2);
    let offline = expect_status(&mut a, bob.id, false).await;
    let status = if offline["event"] == "user_status_update" {
        offline["data"].clone()
    } else {
        offline["data"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["user_id"] == bob.id)
            .unwrap()
            .clone()
    };
    assert!(status["last_seen"].is_string(), "{status}");
    eventually("bob shows offline", || async {
        let (_, online) = server.get(Some(&alice.token), "/api/users/online").await;
        !online.to_string().contains("\"bob\"")
    })
    .await;

    a.send_ref("get_online_users", json!({}), "who").await;
    let list = a.expect("online_users_update").await;
    assert_eq!(list["ref"], "who");
    let names: Vec<&str> = list["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice"]);
}

#[tokio::test]
async fn typing_shows_to_others_and_expires_by_itself() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;

    a.send("typing_start", json!({"room_id": lobby})).await;
    let typing = b.expect("typing_update").await;
    assert_eq!(
        typing["data"],
        json!({"room_id": lobby, "user_id": alice.id, "username": "alice", "is_typing": true})
    );
    // Renewals are silent, and the typist does not hear about themselves.
    a.send("typing_start", json!({"room_id": lobby})).await;
    b.expect_none_where("typing_update", Duration::from_millis(200), |f| {
        f["data"]["is_typing"] == true
    })
    .await;
    a.expect_none("typing_update", Duration::from_millis(100)).await;
    // No renewal within the TTL (0.8 s in tests): it stops by itself.
    let started = tokio::time::Instant::now();
    let stopped = b.expect("typing_update").await;
    assert_eq!(stopped["data"]["is_typing"], false);
    assert!(started.elapsed() < Duration::from_secs(3));

    a.send("typing_start", json!({"room_id": lobby})).await;
    b.expect_where("typing_update", |f| f["data"]["is_typing"] == true)
        .await;
    a.send("typing_stop", json!({"room_id": lobby})).await;
    b.expect_where("typing_update", |f| f["data"]["is_typing"] == false)
        .await;

    // Sending a message ends typing.
    a.send("typing_start", json!({"room_id": lobby})).await;
    b.expect_where("typing_update", |f| f["data"]["is_typing"] == true)
        .await;
    a.send(
        "send_message",
        json!({"room_id": lobby, "content": "done typing"}),
    )
    .await;
    b.expect_where("typing_update", |f| f["data"]["is_typing"] == false)
        .await;

    // Typing in a room one is not in is refused.
    a.send_ref("typing_start", json!({"room_id": 99999}), "t").await;
    let error = a.expect("error").await;
    assert_eq!(error["data"]["code"], "not_found");
    assert_eq!(error["ref"], "t");
}

#[tokio::test]
async fn disconnecting_while_typing_stops_the_indicator() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;
    a.send("typing_start", json!({"room_id": lobby})).await;
    b.expect_where("typing_update", |f| f["data"]["is_typing"] == true)
        .await;
    a.stream.close(None).await.unwrap();
    drop(a);
    let stopped = b
        .expect_where("typing_update", |f| f["data"]["is_typing"] == false)
        .await;
    assert_eq!(stopped["data"]["user_id"], alice.id);
}

#[tokio::test]
async fn the_online_list_is_live_and_includes_the_asker() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let _a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;
    // Straight after connecting, before any presence announcement could have gone out.
    b.send_ref("get_online_users", json!({}), "now").await;
    let list = b.expect_where("online_users_update", |f| f["ref"] == "now").await;
    let names: Vec<&str> = list["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(
        list["data"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["is_online"] == true)
    );
    assert_eq!(
        b.ready["data"]["user"]["is_online"], true,
        "ready says I am online"
    );
    assert_eq!(lobby_member(&server, &alice, &bob).await["is_online"], true);
}

/// `member` as `viewer` sees them in the lobby's member list.
async fn lobby_member(server: &TestServer, viewer: &TestUser, member: &TestUser) -> Value {
    let lobby = server.room_id(viewer, "大厅").await;
    let (_, members) = server
        .get(Some(&viewer.token), &format!("/api/rooms/{lobby}/members"))
        .await;
    members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == member.id)
        .unwrap()
        .clone()
}
