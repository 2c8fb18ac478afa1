//! Mentions: computed by the server on send and edit, counted per room, listed newest first.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, TestUser};

fn ids(message: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = message["mentions"]
        .as_array()
        .unwrap_or_else(|| panic!("no mentions: {message}"))
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

async fn lobby_view(server: &TestServer, user: &TestUser, lobby: i64) -> Value {
    let (status, body) = server
        .get(Some(&user.token), &format!("/api/rooms/{lobby}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["room"].clone()
}

#[tokio::test]
async fn mentions_are_found_on_send_and_found_again_on_edit() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("Bob").await;
    let wang = server.register("王小明").await;
    let omega = server.register("Ωmega").await;
    let outsider = server.register("carol").await;
    let lobby = server.room_id(&alice, "大厅").await;
    server
        .post(
            Some(&outsider.token),
            &format!("/api/rooms/{lobby}/leave"),
            json!({}),
        )
        .await;
    let mut bob_ws = server.ws(&bob).await;

    let sent = server
        .say(
            &alice,
            lobby,
            "hi @bOB, @王小明 你好 and @ΩMEGA; not @bobby, not @carol, not me @alice",
        )
        .await;
    let mut want = vec![bob.id, wang.id, omega.id];
    want.sort_unstable();
    assert_eq!(ids(&sent), want, "{sent}");
    assert_eq!(sent["mentions_room"], false);
    let live = bob_ws
        .expect_where("new_message", |f| f["data"]["message"]["id"] == sent["id"])
        .await;
    assert_eq!(ids(&live["data"]["message"]), want);
    let (_, page) = server
        .get(Some(&bob.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    let stored = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == sent["id"])
        .unwrap();
    assert_eq!(ids(stored), want);

    let plain = server
        .say(&alice, lobby, "@王小明你好 is a longer name; mail@bob.example")
        .await;
    assert_eq!(ids(&plain), Vec::<i64>::new());

    let path = format!("/api/messages/{}", sent["id"]);
    let (status, edited) = server
        .put(
            Some(&alice.token),
            &path,
            json!({"content": "never mind, @room: lunch"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let edited = &edited["message"];
    assert_eq!(ids(edited), Vec::<i64>::new());
    assert_eq!(edited["mentions_room"], true);
    let update = bob_ws
        .expect_where("message_updated", |f| f["data"]["message"]["id"] == sent["id"])
        .await;
    assert_eq!(update["data"]["message"]["mentions_room"], true);

    for word in ["@all", "@所有人", "@ALL"] {
        let sent = server.say(&bob, lobby, &format!("{word} hello")).await;
        assert_eq!(sent["mentions_room"], true, "{word}");
    }
    let (_, edited) = server
        .put(Some(&alice.token), &path, json!({"content": "only @王小明 now"}))
        .await;
    assert_eq!(ids(&edited["message"]), [wang.id]);
    assert_eq!(edited["message"]["mentions_room"], false);
}

#[tokio::test]
async fn mention_counts_rise_and_clear_on_every_device() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut phone = server.ws(&bob).await;
    let mut laptop = server.ws(&bob).await;

    server.say(&alice, lobby, "@bob one").await;
    server.say(&alice, lobby, "no mention").await;
    server.say(&alice, lobby, "@room two").await;
    let last = server.say(&alice, lobby, "@BOB three").await;
    server.say(&bob, lobby, "@room from bob himself").await;
    let room = lobby_view(&server, &bob, lobby).await;
    assert_eq!(
        (room["unread_count"].as_i64(), room["mention_count"].as_i64()),
        (Some(4), Some(3))
    );
    // Only bob was mentioned by name; alice's own count has bob's @room.
    let room = lobby_view(&server, &alice, lobby).await;
    assert_eq!(room["mention_count"], 1);

    // A fresh `ready` carries the same count.
    let third = server.ws(&bob).await;
    let ready_room = third.ready["data"]["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == lobby)
        .unwrap()
        .clone();
    assert_eq!(ready_room["mention_count"], 3);

    phone
        .send_ref(
            "mark_read",
            json!({"room_id": lobby, "message_id": last["id"].as_i64().unwrap() - 1}),
            "m1",
        )
        .await;
    let answer = phone.expect_where("room_read", |f| f["ref"] == "m1").await;
    assert_eq!(answer["data"]["mention_count"], 1);
    let other = laptop.expect("room_read").await;
    assert_eq!(
        (
            other["data"]["unread_count"].as_i64(),
            other["data"]["mention_count"].as_i64()
        ),
        (Some(1), Some(1))
    );

    phone
        .send("mark_read", json!({"room_id": lobby, "message_id": last["id"]}))
        .await;
    let other = laptop
        .expect_where("room_read", |f| f["data"]["mention_count"] == 0)
        .await;
    assert_eq!(other["data"]["unread_count"], 0);
    assert_eq!(lobby_view(&server, &bob, lobby).await["mention_count"], 0);

    // A deleted mention stops counting.
    let gone = server.say(&alice, lobby, "@bob oops").await;
    assert_eq!(lobby_view(&server, &bob, lobby).await["mention_count"], 1);
    server
        .delete(Some(&alice.token), &format!("/api/messages/{}", gone["id"]))
        .await;
    assert_eq!(lobby_view(&server, &bob, lobby).await["mention_count"], 0);

    // After a restart the counts are what they were.
    server.say(&alice, lobby, "@bob after").await;
    let mut server = server;
    server.restart().await;
    assert_eq!(lobby_view(&server, &bob, lobby).await["mention_count"], 1);
}

#[tokio::test]
async fn recent_mentions_come_newest_first_in_pages() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            server.say(&alice, lobby, &format!("@bob number {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
        server.say(&alice, lobby, "filler").await;
    }
    sent.push(
        server.say(&alice, lobby, "@room last").await["id"]
            .as_i64()
            .unwrap(),
    );
    server.say(&bob, lobby, "@room mine is not a mention of me").await;
    sent.reverse();

    let mut seen: Vec<i64> = Vec::new();
    let mut before: Option<i64> = None;
    for _ in 0..10 {
        let path = match before {
            Some(b) => format!("/api/mentions?limit=4&before={b}"),
            None => "/api/mentions?limit=4".to_owned(),
        };
        let (status, page) = server.get(Some(&bob.token), &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let ids: Vec<i64> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        seen.extend(&ids);
        before = ids.last().copied();
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, sent);
    let (status, body) = server.get(Some(&bob.token), "/api/mentions?limit=0").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_limit"))
    );
    let (status, _) = server.get(None, "/api/mentions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Leaving the room takes its mentions away.
    server
        .post(Some(&bob.token), &format!("/api/rooms/{lobby}/leave"), json!({}))
        .await;
    let (_, page) = server.get(Some(&bob.token), "/api/mentions").await;
    assert_eq!(page["messages"], json!([]));
}
