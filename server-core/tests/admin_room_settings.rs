//! Room admins: renaming, describing, switching privacy, and choosing other admins.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestServer;

#[tokio::test]
async fn a_room_admin_renames_the_room_and_members_and_onlookers_see_it() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let room = server.create_room(&alice, "plans", false).await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{room}/join"), json!({}))
        .await;
    let mut bob_socket = server.ws(&bob).await;
    let mut carol_socket = server.ws(&carol).await;

    let (status, body) = server
        .patch(
            Some(&bob.token),
            &format!("/api/rooms/{room}"),
            json!({"name": "hijacked"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_room_admin");

    let (status, body) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"name": "roadmap", "description": "what comes next"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["name"], "roadmap");
    // Members get the system message; members and onlookers get `room_updated`.
    let system = bob_socket
        .expect_where("new_message", |f| {
            f["data"]["message"]["message_type"] == "system"
        })
        .await;
    assert_eq!(
        system["data"]["message"]["system"]["kind"], "room_updated",
        "{system}"
    );
    assert_eq!(system["data"]["message"]["system"]["name"], "roadmap");
    for socket in [&mut bob_socket, &mut carol_socket] {
        let updated = socket
            .expect_where("room_updated", |f| f["data"]["room"]["id"] == room)
            .await;
        assert_eq!(updated["data"]["room"]["name"], "roadmap");
        assert_eq!(updated["data"]["room"]["description"], "what comes next");
    }

    // Public names stay unique.
    server.create_room(&carol, "taken", false).await;
    let (status, body) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"name": "TAKEN"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"name": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn going_private_hides_the_room_from_non_members() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let carol = server.register("carol").await;
    let room = server.create_room(&alice, "quiet", false).await;
    let (status, _) = server
        .get(Some(&carol.token), &format!("/api/rooms/{room}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"is_private": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = server
        .get(Some(&carol.token), &format!("/api/rooms/{room}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"is_private": false}),
        )
        .await;
    let (status, _) = server
        .get(Some(&carol.token), &format!("/api/rooms/{room}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn room_admins_choose_other_admins_but_never_remove_the_last() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = server.create_room(&alice, "team", false).await;
    let path = |user: i64| format!("/api/rooms/{room}/admins/{user}");

    let (status, body) = server.put(Some(&alice.token), &path(bob.id), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_a_member");
    server
        .post(Some(&bob.token), &format!("/api/rooms/{room}/join"), json!({}))
        .await;
    let (status, body) = server.delete(Some(&alice.token), &path(alice.id)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "last_room_admin");

    let (status, body) = server.put(Some(&alice.token), &path(bob.id), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, room_view) = server.get(Some(&bob.token), &format!("/api/rooms/{room}")).await;
    assert_eq!(room_view["room"]["is_admin"], true, "{room_view}");
    // Bob, now an admin, takes Alice's role away.
    let (status, _) = server.delete(Some(&bob.token), &path(alice.id)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn room_admins_changes_are_in_the_server_audit_log() {
    let (server, boss) = crate::admin_users::server_with_admin().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = server.create_room(&alice, "plans", false).await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{room}/join"), json!({}))
        .await;
    let (status, body) = server
        .patch(
            Some(&alice.token),
            &format!("/api/rooms/{room}"),
            json!({"name": "roadmap"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admins = format!("/api/rooms/{room}/admins/{}", bob.id);
    let (status, body) = server.put(Some(&alice.token), &admins, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = server.delete(Some(&alice.token), &admins).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // A refused change (the last admin) is not an action.
    let (status, _) = server
        .delete(
            Some(&alice.token),
            &format!("/api/rooms/{room}/admins/{}", alice.id),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = server.get(Some(&boss.token), "/api/admin/audit").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries: Vec<(String, String, String)> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor_name"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("alice", "remove_room_admin", format!("bob in roadmap (#{room})")),
        ("alice", "add_room_admin", format!("bob in roadmap (#{room})")),
        ("alice", "update_room", format!("roadmap (#{room})")),
    ];
    let expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c))
        .collect();
    assert_eq!(entries[..3], expected[..], "{body}");
    assert!(body["entries"][0]["address"].is_string(), "{body}");
}
