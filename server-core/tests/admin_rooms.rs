//! Rooms as server administrators manage them: the list, archiving and deleting.

use reqwest::StatusCode;
use serde_json::json;

use crate::admin_users::server_with_admin;
use crate::common::files_under;

#[tokio::test]
async fn the_room_list_shows_every_room_without_its_content() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let secret = server.create_room(&alice, "alices-secret", true).await;
    server.say(&alice, secret, "nobody else reads this").await;
    let (status, body) = server.get(Some(&boss.token), "/api/admin/rooms").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let room = body["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == secret)
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    assert_eq!(room["name"], "alices-secret");
    assert_eq!(room["is_private"], true);
    assert_eq!(room["member_count"], 1);
    assert_eq!(room["created_by_name"], "alice");
    assert!(room["last_activity"].is_string(), "{room}");
    assert!(!body.to_string().contains("nobody else reads this"));

    let (status, body) = server.get(Some(&alice.token), "/api/admin/rooms").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "not_server_admin");
}

#[tokio::test]
async fn an_archived_room_refuses_new_messages_until_unarchived() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut socket = server.ws(&alice).await;

    let (status, body) = server
        .post(
            Some(&alice.token),
            &format!("/api/rooms/{lobby}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_server_admin");

    let (status, body) = server
        .post(
            Some(&boss.token),
            &format!("/api/rooms/{lobby}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let updated = socket
        .expect_where("room_updated", |d| d["data"]["room"]["id"] == lobby)
        .await;
    assert_eq!(updated["data"]["room"]["is_archived"], true);

    let (status, body) = server
        .post(
            Some(&alice.token),
            &format!("/api/rooms/{lobby}/messages"),
            json!({"content": "anyone?"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "room_archived");
    socket
        .send_ref(
            "send_message",
            json!({"room_id": lobby, "content": "over ws"}),
            "r1",
        )
        .await;
    let error = socket.expect("error").await;
    assert_eq!(error["data"]["code"], "room_archived", "{error}");
    let (status, body) = server.upload(&alice, lobby, "a.txt", b"hello", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "room_archived");
    let (_, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    let listed = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == lobby)
        .unwrap()
        .clone();
    assert_eq!(listed["is_archived"], true);

    let (status, _) = server
        .post(
            Some(&boss.token),
            &format!("/api/rooms/{lobby}/unarchive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    server.say(&alice, lobby, "back again").await;
    let (_, audit) = server.get(Some(&boss.token), "/api/admin/audit").await;
    let actions: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions[..2], [json!("unarchive_room"), json!("archive_room")]);
}

#[tokio::test]
async fn deleting_a_room_tells_its_members_and_removes_its_files() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "doomed", false).await;
    let (status, body) = server.upload(&alice, room, "notes.txt", b"some notes", &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let uploads = server.config.uploads_dir();
    assert!(!files_under(&uploads).is_empty());
    let mut socket = server.ws(&alice).await;

    let (status, body) = server
        .delete(Some(&alice.token), &format!("/api/rooms/{room}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server
        .delete(Some(&boss.token), &format!("/api/rooms/{room}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let deleted = socket.expect("room_deleted").await;
    assert_eq!(deleted["data"]["room_id"], room);
    assert!(files_under(&uploads).is_empty(), "{:?}", files_under(&uploads));
    let (_, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    assert!(rooms["rooms"].as_array().unwrap().iter().all(|r| r["id"] != room));
    let (status, _) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .delete(Some(&boss.token), &format!("/api/rooms/{room}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The socket keeps working.
    let lobby = server.room_id(&alice, "大厅").await;
    server.say(&alice, lobby, "still connected").await;
    socket
        .expect_where("new_message", |d| {
            d["data"]["message"]["content"] == "still connected"
        })
        .await;
}

#[tokio::test]
async fn stats_count_people_activity_and_messages_per_day() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    for i in 0..3 {
        server.say(&alice, lobby, &format!("hello {i}")).await;
    }
    let (status, body) = server.get(Some(&alice.token), "/api/admin/stats").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "not_server_admin");

    let (status, stats) = server.get(Some(&boss.token), "/api/admin/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["people"], 2);
    assert_eq!(stats["messages"], 3);
    let days = stats["messages_per_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    // All three today (or, sent just before midnight UTC, in the last two days).
    let recent: i64 = days[28..].iter().map(|d| d["messages"].as_i64().unwrap()).sum();
    assert_eq!(recent, 3, "{stats}");
    assert!(days[29]["date"].as_str().unwrap().len() == 10, "{stats}");
    if !crate::common::sqlite_only("database_bytes is the SQLite file's size") {
        assert!(stats["database_bytes"].as_u64().unwrap() > 0);
    }
    assert!(stats["free_disk_bytes"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn people_export_their_own_messages_and_nobody_elses() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    server.say(&alice, lobby, "mine to keep").await;
    server.say(&boss, lobby, "not alice's").await;
    let (status, export) = server.get(Some(&alice.token), "/api/me/export").await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["user"]["username"], "alice");
    let contents: Vec<_> = export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(contents, vec![json!("mine to keep")]);
    assert_eq!(export["messages"][0]["room_name"], "大厅");
    let (status, _) = server.get(None, "/api/me/export").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
