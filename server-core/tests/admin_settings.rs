//! `/api/admin/settings`, the registration policy and invites, and accounts administrators
//! create.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::{Clock, Profile, RegistrationPolicy};

use crate::admin_users::server_with_admin;
use crate::common::{PASSWORD, TestServer, TestUser};

async fn register(server: &TestServer, name: &str, invite: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({"username": name, "password": PASSWORD});
    if let Some(code) = invite {
        body["invite"] = json!(code);
    }
    server.post(None, "/api/auth/register", body).await
}

async fn set(server: &TestServer, admin: &TestUser, settings: Value) -> (StatusCode, Value) {
    server
        .put(Some(&admin.token), "/api/admin/settings", settings)
        .await
}

async fn invite(server: &TestServer, admin: &TestUser, request: Value) -> String {
    let (status, body) = server
        .post(Some(&admin.token), "/api/admin/invites", request)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let code = body["code"].as_str().unwrap().to_owned();
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/#/invite/{code}")),
        "{body}"
    );
    code
}

#[tokio::test]
async fn settings_change_at_run_time_and_outlive_a_restart() {
    let (mut server, boss) = server_with_admin().await;
    let (status, body) = server.get(Some(&boss.token), "/api/admin/settings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["server_name"], "Confab");
    assert_eq!(body["registration"], "open");
    assert_eq!(body["retention_days"], 7);
    assert_eq!(body["max_upload_mb"], 10);
    assert_eq!(body["default_room_ids"].as_array().unwrap().len(), 3);

    let (status, body) = set(
        &server,
        &boss,
        json!({"server_name": "  Acme office ", "retention_days": 0, "max_upload_mb": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["server_name"], "Acme office");
    let (_, info) = server.get(None, "/api/info").await;
    assert_eq!(info["server_name"], "Acme office");
    assert_eq!(info["retention_days"], 0);
    assert_eq!(info["max_upload_bytes"], 1024 * 1024);

    // The new upload limit applies at once.
    let lobby = server.room_id(&boss, "大厅").await;
    let (status, body) = server
        .upload(&boss, lobby, "big.bin", &vec![7u8; 1024 * 1024 + 10], &[])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    server.restart().await;
    let (_, info) = server.get(None, "/api/info").await;
    assert_eq!(info["server_name"], "Acme office");
    assert_eq!(info["max_upload_bytes"], 1024 * 1024);

    for bad in [
        json!({"server_name": ""}),
        json!({"server_name": "x".repeat(65)}),
        json!({"max_upload_mb": 0}),
        json!({"retention_days": 40000}),
        json!({"registration": "sometimes"}),
        json!({"colour": "red"}),
    ] {
        let (status, body) = set(&server, &boss, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (_, info) = server.get(None, "/api/info").await;
    assert_eq!(info["server_name"], "Acme office");
}

#[tokio::test]
async fn the_command_line_gives_defaults_until_an_administrator_chooses() {
    let server = TestServer::start_with(|config| {
        config.profile = Profile::Production;
        config.registration = RegistrationPolicy::Closed;
        config.server_name = "Branch".into();
    })
    .await;
    let (_, info) = server.get(None, "/api/info").await;
    assert_eq!(info["server_name"], "Branch");
    assert_eq!(info["registration"], "closed");
    let (status, body) = register(&server, "alice", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "registration_closed");
    // The setup code still makes the first administrator under `closed`.
    let code = server.server().setup_code().unwrap();
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "boss", "password": PASSWORD, "setup_code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn under_invite_only_an_unused_unexpired_unrevoked_invite_registers() {
    let clock = Clock::shiftable();
    let server = TestServer::start_with(|config| {
        config.profile = Profile::Production;
        config.clock = clock.clone();
    })
    .await;
    let code = server.server().setup_code().unwrap().to_owned();
    let (_, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "boss", "password": PASSWORD, "setup_code": code}),
        )
        .await;
    let boss = TestUser {
        id: body["user"]["id"].as_i64().unwrap(),
        name: "boss".into(),
        token: body["token"].as_str().unwrap().to_owned(),
    };
    let (status, body) = set(&server, &boss, json!({"registration": "invite"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = register(&server, "nobody", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "registration_closed");
    let (status, body) = register(&server, "nobody", Some("made-up")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "invalid_invite");

    let twice = invite(&server, &boss, json!({"max_uses": 2})).await;
    assert_eq!(
        register(&server, "ann", Some(&twice)).await.0,
        StatusCode::CREATED
    );
    // A taken name does not cost a use.
    assert_eq!(
        register(&server, "ann", Some(&twice)).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        register(&server, "ben", Some(&twice)).await.0,
        StatusCode::CREATED
    );
    let (status, body) = register(&server, "cat", Some(&twice)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "invalid_invite");

    let (_, listed) = server.get(Some(&boss.token), "/api/admin/invites").await;
    let listed = listed["invites"].as_array().unwrap().clone();
    let entry = listed.iter().find(|i| i["code"] == twice.as_str()).unwrap();
    assert_eq!(entry["uses"], 2);
    assert_eq!(entry["max_uses"], 2);
    assert_eq!(entry["created_by_name"], "boss");

    let brief = invite(&server, &boss, json!({"expires_in_hours": 1})).await;
    clock.set_offset(Duration::from_secs(3601), false);
    let (status, body) = register(&server, "dan", Some(&brief)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let revoked = invite(&server, &boss, json!({})).await;
    let (status, _) = server
        .delete(Some(&boss.token), &format!("/api/admin/invites/{revoked}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = register(&server, "eve", Some(&revoked)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .delete(Some(&boss.token), &format!("/api/admin/invites/{revoked}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Back to open: anyone again.
    set(&server, &boss, json!({"registration": "open"})).await;
    assert_eq!(register(&server, "fay", None).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn under_closed_only_administrators_create_accounts() {
    let (server, boss) = server_with_admin().await;
    let code = invite(&server, &boss, json!({})).await;
    set(&server, &boss, json!({"registration": "closed"})).await;
    for invite in [None, Some(code.as_str())] {
        let (status, body) = register(&server, "alice", invite).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "registration_closed");
    }

    let (status, body) = server
        .post(
            Some(&boss.token),
            "/api/admin/users",
            json!({"username": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["is_server_admin"], false);
    let temporary = body["temporary_password"].as_str().unwrap();
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": temporary}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["password_change_required"], true);
    let (status, body) = server
        .post(
            Some(&boss.token),
            "/api/admin/users",
            json!({"username": "ALICE"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn administrators_choose_the_public_rooms_new_accounts_join() {
    let (server, boss) = server_with_admin().await;
    let welcome = server.create_room(&boss, "welcome", false).await;
    let secret = server.create_room(&boss, "secret", true).await;
    let (status, body) = set(&server, &boss, json!({"default_room_ids": [welcome]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["default_room_ids"], json!([welcome]));
    let alice = server.register("alice").await;
    let (_, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    let mine: Vec<_> = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["is_member"] == true)
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(mine, vec![json!(welcome)], "{rooms}");

    let (status, body) = set(&server, &boss, json!({"default_room_ids": [welcome, secret]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "default_room_ids");
    let (_, body) = server.get(Some(&boss.token), "/api/admin/settings").await;
    assert_eq!(body["default_room_ids"], json!([welcome]));
}

#[tokio::test]
async fn settings_invites_and_account_creation_refuse_people_who_are_not_server_admins() {
    let (server, boss) = server_with_admin().await;
    let code = invite(&server, &boss, json!({})).await;
    let alice = server.register("alice").await;
    let token = Some(alice.token.as_str());
    let answers = [
        server.get(token, "/api/admin/settings").await,
        server
            .put(token, "/api/admin/settings", json!({"registration": "open"}))
            .await,
        server.get(token, "/api/admin/invites").await,
        server.post(token, "/api/admin/invites", json!({})).await,
        server.delete(token, &format!("/api/admin/invites/{code}")).await,
        server
            .post(token, "/api/admin/users", json!({"username": "mallory"}))
            .await,
    ];
    for (status, body) in answers {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "not_server_admin");
    }
    // The invite still works.
    assert_eq!(register(&server, "bob", Some(&code)).await.0, StatusCode::CREATED);
    let actions: Vec<_> = server.get(Some(&boss.token), "/api/admin/audit").await.1["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["create_invite", "register_admin"]);
}
