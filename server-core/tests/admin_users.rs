//! `/api/admin/users` and `/api/admin/audit`: what server administrators do to accounts, that
//! nobody else can, and that each action is audited.

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::Profile;

use crate::common::{PASSWORD, TestServer, TestUser, WAIT};

/// A production-like server (no demo accounts) whose first account, `boss`, is its administrator.
pub async fn server_with_admin() -> (TestServer, TestUser) {
    let server = TestServer::start_with(|config| config.profile = Profile::Production).await;
    let code = server.server().setup_code().expect("setup code").to_owned();
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "boss", "password": PASSWORD, "setup_code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let boss = TestUser {
        id: body["user"]["id"].as_i64().unwrap(),
        name: "boss".into(),
        token: body["token"].as_str().unwrap().to_owned(),
    };
    (server, boss)
}

async fn act(server: &TestServer, by: &TestUser, target: &TestUser, action: &str) -> (StatusCode, Value) {
    server
        .post(
            Some(&by.token),
            &format!("/api/admin/users/{}/{action}", target.id),
            json!({}),
        )
        .await
}

async fn login(server: &TestServer, name: &str, password: &str) -> (StatusCode, Value) {
    server
        .post(
            None,
            "/api/auth/login",
            json!({"username": name, "password": password}),
        )
        .await
}

async fn audit_actions(server: &TestServer, admin: &TestUser) -> Vec<(String, String)> {
    let (status, body) = server.get(Some(&admin.token), "/api/admin/audit").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_admin_route_refuses_people_who_are_not_server_admins() {
    let (server, _boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let gets = ["/api/admin/users", "/api/admin/users?q=bo", "/api/admin/audit"];
    for path in gets {
        let (status, body) = server.get(Some(&alice.token), path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "GET {path}: {body}");
        assert_eq!(body["error"]["code"], "not_server_admin", "GET {path}");
        let (status, _) = server.get(None, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "GET {path} without a token");
    }
    for action in ["deactivate", "reactivate", "reset-password", "promote", "demote"] {
        let (status, body) = act(&server, &alice, &bob, action).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        assert_eq!(body["error"]["code"], "not_server_admin", "{action}");
    }
    // Nothing happened to bob.
    let (status, _) = server.get(Some(&bob.token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn administrators_list_and_search_accounts_with_role_and_status() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    server.register("bob").await;
    act(&server, &boss, &alice, "deactivate").await;

    let (status, body) = server.get(Some(&boss.token), "/api/admin/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let users = body["users"].as_array().unwrap();
    assert_eq!(users.len(), 3, "{body}");
    let find = |name: &str| users.iter().find(|u| u["username"] == name).unwrap().clone();
    assert_eq!(find("boss")["is_server_admin"], true);
    assert_eq!(find("alice")["is_deactivated"], true);
    assert_eq!(find("bob")["is_deactivated"], false);
    assert!(find("bob")["created_at"].is_string());

    let (_, body) = server.get(Some(&boss.token), "/api/admin/users?q=ALI").await;
    let names: Vec<_> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(names, vec![json!("alice")]);
}

#[tokio::test]
async fn deactivation_closes_live_sockets_refuses_sign_in_and_keeps_messages() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    server.say(&alice, lobby, "still here afterwards").await;
    let mut socket = server.ws(&alice).await;

    let (status, body) = act(&server, &boss, &alice, "deactivate").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["is_deactivated"], true);
    assert_eq!(socket.expect_close(WAIT).await, Some(4401));
    let (status, _) = server.get(Some(&alice.token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = login(&server, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "account_deactivated");
    // A wrong password learns nothing about the account's state.
    let (status, _) = login(&server, "alice", "wrong-password-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (_, history) = server
        .get(Some(&boss.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    assert!(history.to_string().contains("still here afterwards"), "{history}");
    // Everyone can tell the author is deactivated: on the profile and in the member list.
    let (_, profile) = server
        .get(Some(&boss.token), &format!("/api/users/{}", alice.id))
        .await;
    assert_eq!(profile["user"]["is_deactivated"], true, "{profile}");
    let (_, members) = server
        .get(Some(&boss.token), &format!("/api/rooms/{lobby}/members"))
        .await;
    let member = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == alice.id)
        .unwrap()
        .clone();
    assert_eq!(member["is_deactivated"], true, "{member}");

    let (status, body) = act(&server, &boss, &alice, "reactivate").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["is_deactivated"], false);
    let (status, body) = login(&server, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let actions = audit_actions(&server, &boss).await;
    assert_eq!(
        actions[..2],
        [
            ("reactivate".into(), "alice".into()),
            ("deactivate".into(), "alice".into())
        ]
    );
}

#[tokio::test]
async fn a_password_reset_signs_out_and_the_temporary_password_must_be_changed() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    let mut socket = server.ws(&alice).await;

    let (status, body) = act(&server, &boss, &alice, "reset-password").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let temporary = body["temporary_password"].as_str().unwrap().to_owned();
    assert!(temporary.len() >= 12, "{temporary}");
    assert_eq!(socket.expect_close(WAIT).await, Some(4401));
    let (status, _) = login(&server, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = login(&server, "alice", &temporary).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["password_change_required"], true);
    let token = body["token"].as_str().unwrap().to_owned();
    // Until it is replaced, the temporary password opens nothing but the change itself.
    let (status, body) = server.get(Some(&token), "/api/rooms").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "password_change_required");
    let (status, _) = server.get(Some(&token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    let mut refused = server.ws_raw().await;
    refused.send("auth", json!({"token": token})).await;
    let error = refused.expect("error").await;
    assert_eq!(error["data"]["code"], "password_change_required");
    let (status, body) = server
        .put(
            Some(&token),
            "/api/auth/change-password",
            json!({"current_password": temporary, "new_password": "brand-new-secret-9"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = server.get(Some(&token), "/api/rooms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        audit_actions(&server, &boss)
            .await
            .contains(&("reset_password".into(), "alice".into()))
    );
}

#[tokio::test]
async fn promote_and_demote_never_leave_the_server_without_an_administrator() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;

    let (status, body) = act(&server, &boss, &boss, "demote").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "last_admin");
    // No administrator deactivates themselves, the last one least of all.
    let (status, body) = act(&server, &boss, &boss, "deactivate").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "own_account");

    let (status, body) = act(&server, &boss, &alice, "promote").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["is_server_admin"], true);
    // Alice's existing session is an administrator's at once.
    let (status, _) = server.get(Some(&alice.token), "/api/admin/users").await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = act(&server, &alice, &boss, "demote").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["is_server_admin"], false);
    let (status, _) = server.get(Some(&boss.token), "/api/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = act(&server, &alice, &alice, "demote").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let actions = audit_actions(&server, &alice).await;
    assert_eq!(
        actions[..2],
        [
            ("demote".into(), "boss".into()),
            ("promote".into(), "alice".into())
        ]
    );
    let (status, body) = server
        .post(Some(&alice.token), "/api/admin/users/9999/promote", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_with_who_and_where() {
    let (server, boss) = server_with_admin().await;
    let alice = server.register("alice").await;
    for _ in 0..3 {
        act(&server, &boss, &alice, "promote").await;
        act(&server, &boss, &alice, "demote").await;
    }
    let (status, first) = server.get(Some(&boss.token), "/api/admin/audit?limit=4").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["action"], "demote");
    assert_eq!(entries[0]["actor_name"], "boss");
    assert_eq!(entries[0]["actor_id"], boss.id);
    assert_eq!(entries[0]["address"], "127.0.0.1");
    let oldest = entries[3]["id"].as_i64().unwrap();
    let (_, rest) = server
        .get(
            Some(&boss.token),
            &format!("/api/admin/audit?before={oldest}&limit=50"),
        )
        .await;
    let rest = rest["entries"].as_array().unwrap();
    // Two more changes and the first administrator's own registration.
    assert_eq!(rest.len(), 3, "{rest:?}");
    assert_eq!(rest[2]["action"], "register_admin");
    let (status, body) = server.get(Some(&boss.token), "/api/admin/audit?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
