//! Rooms, memberships, private-room invisibility and read markers.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestServer;

fn room(rooms: &Value, id: i64) -> Option<&Value> {
    rooms["rooms"].as_array().unwrap().iter().find(|r| r["id"] == id)
}

#[tokio::test]
async fn new_users_are_members_of_the_default_rooms() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (status, body) = server.get(Some(&alice.token), "/api/rooms").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["大厅", "技术讨论", "随便聊聊"]);
    for r in body["rooms"].as_array().unwrap() {
        assert_eq!(r["is_member"], true, "{r}");
        assert_eq!(r["is_private"], false);
        assert_eq!(r["is_admin"], false, "ordinary users administer no default room");
        assert!(r["member_count"].as_i64().unwrap() >= 1);
        assert_eq!(r["unread_count"], 0, "their own join notice is not unread");
    }
}

#[tokio::test]
async fn creating_rooms_and_name_rules() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let (status, body) = server
        .post(
            Some(&alice.token),
            "/api/rooms",
            json!({"name": " Design ", "description": "UI and UX", "is_private": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["room"]["id"].as_i64().unwrap();
    assert_eq!(body["room"]["name"], "Design");
    assert_eq!(body["room"]["description"], "UI and UX");
    assert_eq!(body["room"]["is_admin"], true);
    assert_eq!(body["room"]["member_count"], 1);

    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    let seen = room(&rooms, id).expect("bob sees the public room");
    assert_eq!(seen["is_member"], false);
    assert_eq!(seen["is_admin"], false);

    let (status, body) = server
        .post(
            Some(&bob.token),
            "/api/rooms",
            json!({"name": "design", "is_private": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "room_name_taken");
    assert_eq!(body["error"]["field"], "name");
    for bad in [
        json!({"name": "   "}),
        json!({"name": "x".repeat(65)}),
        json!({"name": "ok", "description": "d".repeat(501)}),
    ] {
        let (status, body) = server.post(Some(&bob.token), "/api/rooms", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} → {body}");
    }
    let (status, _) = server.post(None, "/api/rooms", json!({"name": "anon"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Creating a room never tells whether a private room of that name exists: names are unique
/// among public rooms only.
#[tokio::test]
async fn room_names_reveal_no_private_room() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    server.create_room(&alice, "Merger Plans", true).await;

    for (who, private) in [(&bob, true), (&bob, false), (&carol, true)] {
        let (status, body) = server
            .post(
                Some(&who.token),
                "/api/rooms",
                json!({"name": "merger plans", "is_private": private}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "private={private}: {body}");
    }
    // Public names stay unique, so a public room is still found by its name.
    let (status, body) = server
        .post(
            Some(&carol.token),
            "/api/rooms",
            json!({"name": "MERGER PLANS", "is_private": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "room_name_taken");
}

#[tokio::test]
async fn a_private_room_is_indistinguishable_from_a_missing_one() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let eve = server.register("eve").await;
    let secret = server.create_room(&alice, "secret", true).await;
    server.say(&alice, secret, "the plan").await;
    let missing = secret + 1000;

    let (_, rooms) = server.get(Some(&eve.token), "/api/rooms").await;
    assert!(
        room(&rooms, secret).is_none(),
        "eve must not see the private room"
    );
    let probes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, "/api/rooms/{}".into(), None),
        (reqwest::Method::GET, "/api/rooms/{}/messages".into(), None),
        (reqwest::Method::GET, "/api/rooms/{}/members".into(), None),
        (
            reqwest::Method::POST,
            "/api/rooms/{}/join".into(),
            Some(json!({})),
        ),
        (
            reqwest::Method::POST,
            "/api/rooms/{}/leave".into(),
            Some(json!({})),
        ),
        (
            reqwest::Method::POST,
            "/api/rooms/{}/messages".into(),
            Some(json!({"content": "hi"})),
        ),
        (
            reqwest::Method::POST,
            "/api/rooms/{}/members".into(),
            Some(json!({"username": "eve"})),
        ),
        (
            reqwest::Method::POST,
            "/api/rooms/{}/read".into(),
            Some(json!({"message_id": 1})),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/rooms/{{}}/members/{}", alice.id),
            None,
        ),
    ];
    for (method, template, body) in probes {
        let mut answers = Vec::new();
        for id in [secret, missing] {
            let path = template.replace("{}", &id.to_string());
            let mut request = server
                .http
                .request(method.clone(), server.url(&path))
                .bearer_auth(&eve.token);
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            answers.push((response.status(), response.text().await.unwrap()));
        }
        assert_eq!(
            answers[0].0,
            StatusCode::NOT_FOUND,
            "{method} {template}: {answers:?}"
        );
        assert_eq!(
            answers[0], answers[1],
            "{method} {template} must not reveal the room"
        );
    }
    // Messages in the private room are invisible too.
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{secret}/messages"))
        .await;
    let message_id = history["messages"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = server
        .put(
            Some(&eve.token),
            &format!("/api/messages/{message_id}"),
            json!({"content": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .delete(Some(&eve.token), &format!("/api/messages/{message_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn joining_and_leaving_public_rooms() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let design = server.create_room(&alice, "design", false).await;

    let (status, _) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{design}/messages"),
            json!({"content": "hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "must join before posting");
    // Public history can be read before joining.
    let (status, _) = server
        .get(Some(&bob.token), &format!("/api/rooms/{design}/messages"))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = server
        .post(Some(&bob.token), &format!("/api/rooms/{design}/join"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["is_member"], true);
    assert_eq!(body["room"]["member_count"], 2);
    // Joining twice changes nothing.
    let (status, body) = server
        .post(Some(&bob.token), &format!("/api/rooms/{design}/join"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["room"]["member_count"], 2);
    server.say(&bob, design, "hello").await;
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{design}/messages"))
        .await;
    let joined: Vec<&Value> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["message_type"] == "system" && m["system"]["kind"] == "member_joined")
        .collect();
    assert_eq!(joined.len(), 1, "one join notice: {history}");
    assert_eq!(joined[0]["system"]["username"], "bob");

    let (status, _) = server
        .post(Some(&bob.token), &format!("/api/rooms/{design}/leave"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .post(Some(&bob.token), &format!("/api/rooms/{design}/leave"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "not_a_member");
    let (status, body) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{design}/messages"),
            json!({"content": "still here?"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "not_a_member");
}

#[tokio::test]
async fn room_admins_manage_private_members() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let secret = server.create_room(&alice, "secret", true).await;
    let members_path = format!("/api/rooms/{secret}/members");

    let (status, body) = server
        .post(Some(&alice.token), &members_path, json!({"username": "BOB"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["member"]["username"], "bob");
    assert_eq!(body["member"]["is_admin"], false);
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(room(&rooms, secret).expect("bob now sees it")["is_member"], true);

    let (status, body) = server
        .post(Some(&alice.token), &members_path, json!({"username": "bob"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "already_member");
    let (status, body) = server
        .post(Some(&alice.token), &members_path, json!({"username": "nobody"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "user_not_found");
    // A member who is not an admin may not add or remove people.
    let (status, body) = server
        .post(Some(&bob.token), &members_path, json!({"username": "carol"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "not_room_admin");
    let (status, _) = server
        .delete(Some(&bob.token), &format!("{members_path}/{}", alice.id))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = server
        .delete(Some(&alice.token), &format!("{members_path}/{}", alice.id))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "use_leave");
    let (status, _) = server
        .delete(Some(&alice.token), &format!("{members_path}/{}", carol.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "carol is not a member");

    let (status, body) = server.get(Some(&bob.token), &members_path).await;
    assert_eq!(status, StatusCode::OK);
    let members = body["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["username"], "alice");
    assert_eq!(members[0]["is_admin"], true);
    assert!(members[0].get("is_online").is_some());

    let (status, _) = server
        .delete(Some(&alice.token), &format!("{members_path}/{}", bob.id))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .get(Some(&bob.token), &format!("/api/rooms/{secret}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "removed from a private room, bob cannot see it"
    );
}

#[tokio::test]
async fn the_last_admin_leaving_hands_the_room_on() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let secret = server.create_room(&alice, "secret", true).await;
    for name in ["bob", "carol"] {
        let (status, _) = server
            .post(
                Some(&alice.token),
                &format!("/api/rooms/{secret}/members"),
                json!({"username": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = server
        .post(
            Some(&alice.token),
            &format!("/api/rooms/{secret}/leave"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, bob_view) = server
        .get(Some(&bob.token), &format!("/api/rooms/{secret}"))
        .await;
    assert_eq!(
        bob_view["room"]["is_admin"], true,
        "bob joined first and inherits the room"
    );
    let (_, carol_view) = server
        .get(Some(&carol.token), &format!("/api/rooms/{secret}"))
        .await;
    assert_eq!(carol_view["room"]["is_admin"], false);
}

#[tokio::test]
async fn unread_counts_follow_the_read_marker() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room_id = server.create_room(&alice, "design", false).await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{room_id}/join"), json!({}))
        .await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            server.say(&alice, room_id, &format!("m{i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    server.say(&bob, room_id, "my own").await;

    let unread = |rooms: &Value| room(rooms, room_id).unwrap()["unread_count"].as_i64().unwrap();
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(
        unread(&rooms),
        3,
        "alice's three messages; system notices and bob's own don't count"
    );

    let (status, body) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{room_id}/read"),
            json!({"message_id": ids[1]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["unread_count"], 1);
    assert_eq!(body["last_read_message_id"], ids[1]);
    // Never backwards.
    let (_, body) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{room_id}/read"),
            json!({"message_id": ids[0]}),
        )
        .await;
    assert_eq!(body["last_read_message_id"], ids[1]);
    // Never past the newest message.
    let (_, body) = server
        .post(
            Some(&bob.token),
            &format!("/api/rooms/{room_id}/read"),
            json!({"message_id": 1_000_000}),
        )
        .await;
    assert_eq!(body["unread_count"], 0);
    assert!(body["last_read_message_id"].as_i64().unwrap() < 1_000_000);
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(
        unread(&rooms),
        0,
        "the marker is kept by the server for every device"
    );

    // A non-member of a public room has no marker to move.
    let carol = server.register("carol").await;
    server
        .post(
            Some(&carol.token),
            &format!("/api/rooms/{room_id}/leave"),
            json!({}),
        )
        .await;
    let (status, body) = server
        .post(
            Some(&carol.token),
            &format!("/api/rooms/{room_id}/read"),
            json!({"message_id": ids[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "not_a_member");
}

#[tokio::test]
async fn joining_late_does_not_make_history_unread() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let design = server.create_room(&alice, "design", false).await;
    for i in 0..5 {
        server.say(&alice, lobby, &format!("before {i}")).await;
        server.say(&alice, design, &format!("before {i}")).await;
    }
    // Auto-joined at registration, and joined by hand.
    let bob = server.register("bob").await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{design}/leave"), json!({}))
        .await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{design}/join"), json!({}))
        .await;
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(room(&rooms, lobby).unwrap()["unread_count"], 0, "{rooms}");
    assert_eq!(room(&rooms, design).unwrap()["unread_count"], 0, "{rooms}");
    // What comes after joining is unread, and the history is still there to read.
    server.say(&alice, design, "after").await;
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    assert_eq!(room(&rooms, design).unwrap()["unread_count"], 1);
    let (_, history) = server
        .get(Some(&bob.token), &format!("/api/rooms/{design}/messages"))
        .await;
    assert!(history.to_string().contains("before 0"));
}
