//! Server administration: the first administrator's setup code, and the `confab-server admin`
//! commands acting on a running server's data dir.

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::{AdminAction, Profile, admin_command};

use crate::common::{PASSWORD, TestServer, WAIT};

/// A server as an office would run it: no demo accounts, so no administrator yet.
async fn fresh_server() -> TestServer {
    TestServer::start_with(|config| config.profile = Profile::Production).await
}

async fn register_with_code(server: &TestServer, name: &str, code: &str) -> (StatusCode, Value) {
    server
        .post(
            None,
            "/api/auth/register",
            json!({"username": name, "password": PASSWORD, "setup_code": code}),
        )
        .await
}

async fn is_admin(server: &TestServer, token: &str) -> bool {
    let (status, me) = server.get(Some(token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["user"]["is_server_admin"].as_bool().expect("is_server_admin")
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

/// The temporary password a command printed on its last line.
fn printed_password(output: &str) -> String {
    output.lines().last().expect("output").trim().to_owned()
}

#[tokio::test]
async fn a_server_without_an_administrator_offers_a_one_time_setup_link() {
    let server = fresh_server().await;
    let url = server.server().setup_url().expect("a setup link").to_owned();
    let code = server.server().setup_code().unwrap().to_owned();
    assert!(
        url.starts_with(&server.base) && url.ends_with(&format!("/#/setup/{code}")),
        "{url}"
    );
    // 128 bits, base64url.
    assert!(code.len() >= 22, "{code}");

    let (status, body) = register_with_code(&server, "boss", "not-the-code").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "invalid_setup_code");

    let (status, body) = register_with_code(&server, "boss", &code).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["is_server_admin"], true);

    // Used up: nobody else becomes an administrator with it.
    let (status, body) = register_with_code(&server, "second", &code).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "invalid_setup_code");
    // Ordinary registration is unaffected, and makes no administrator.
    let member = server.register("member").await;
    assert!(!is_admin(&server, &member.token).await);
}

#[tokio::test]
async fn a_taken_name_does_not_use_up_the_setup_code() {
    let server = fresh_server().await;
    let code = server.server().setup_code().unwrap().to_owned();
    server.register("taken").await;
    let (status, body) = register_with_code(&server, "taken", &code).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = register_with_code(&server, "boss", &code).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_signed_in_user_claims_the_role_once() {
    let server = fresh_server().await;
    let code = server.server().setup_code().unwrap().to_owned();
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;

    let (status, body) = server
        .post(
            Some(&alice.token),
            "/api/admin/claim",
            json!({"setup_code": "wrong"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "invalid_setup_code");
    assert!(!is_admin(&server, &alice.token).await);

    let (status, body) = server
        .post(
            Some(&alice.token),
            "/api/admin/claim",
            json!({"setup_code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(is_admin(&server, &alice.token).await);

    let (status, body) = server
        .post(Some(&bob.token), "/api/admin/claim", json!({"setup_code": code}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!is_admin(&server, &bob.token).await);

    let (status, _) = server
        .post(None, "/api/admin/claim", json!({"setup_code": code}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn once_an_administrator_exists_no_setup_code_is_offered_or_accepted() {
    let mut server = fresh_server().await;
    let old_code = server.server().setup_code().unwrap().to_owned();
    let output = admin_command(
        &server.config,
        &AdminAction::CreateUser {
            name: "boss".into(),
            admin: true,
        },
    )
    .await
    .expect("create-user");
    // Created behind the running server's back: the code it printed no longer works.
    let (status, body) = register_with_code(&server, "intruder", &old_code).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (status, body) = login(&server, "boss", &printed_password(&output)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["is_server_admin"], true);
    assert_eq!(body["password_change_required"], true);

    server.restart().await;
    assert_eq!(server.server().setup_url(), None);
}

#[tokio::test]
async fn a_new_start_without_an_administrator_replaces_the_code() {
    let mut server = fresh_server().await;
    let first = server.server().setup_code().unwrap().to_owned();
    server.restart().await;
    let second = server.server().setup_code().expect("printed again").to_owned();
    assert_ne!(first, second);
    let (status, _) = register_with_code(&server, "boss", &first).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = register_with_code(&server, "boss", &second).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn cli_reset_password_signs_out_a_running_servers_sockets_and_forces_a_change() {
    let server = fresh_server().await;
    let alice = server.register("alice").await;
    let mut socket = server.ws(&alice).await;

    let output = admin_command(
        &server.config,
        &AdminAction::ResetPassword { name: "Alice".into() },
    )
    .await
    .expect("reset-password");
    let temporary = printed_password(&output);
    assert_eq!(socket.expect_close(WAIT).await, Some(4401));
    let (status, _) = server.get(Some(&alice.token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = login(&server, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = login(&server, "alice", &temporary).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["password_change_required"], true);
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, body) = server
        .put(
            Some(&token),
            "/api/auth/change-password",
            json!({"current_password": temporary, "new_password": "a-new-secret-77"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = login(&server, "alice", "a-new-secret-77").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("password_change_required").is_none(), "{body}");
}

#[tokio::test]
async fn cli_promote_and_demote_never_remove_the_last_administrator() {
    let server = fresh_server().await;
    let code = server.server().setup_code().unwrap().to_owned();
    let (_, boss) = register_with_code(&server, "boss", &code).await;
    let boss_token = boss["token"].as_str().unwrap().to_owned();
    let alice = server.register("alice").await;

    let demote = |name: &str| AdminAction::Demote { name: name.into() };
    let error = admin_command(&server.config, &demote("boss"))
        .await
        .expect_err("the last administrator stays");
    assert_eq!(error.code(), "last_admin");
    assert!(is_admin(&server, &boss_token).await);

    admin_command(&server.config, &AdminAction::Promote { name: "alice".into() })
        .await
        .expect("promote");
    // At once, without a restart.
    assert!(is_admin(&server, &alice.token).await);
    admin_command(&server.config, &demote("boss"))
        .await
        .expect("demote");
    assert!(!is_admin(&server, &boss_token).await);
    let error = admin_command(&server.config, &demote("alice"))
        .await
        .expect_err("the last administrator stays");
    assert_eq!(error.code(), "last_admin");

    let listing = admin_command(&server.config, &AdminAction::List)
        .await
        .expect("list");
    let row = |name: &str| {
        listing
            .lines()
            .find(|line| line.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} in {listing}"))
            .to_owned()
    };
    assert!(row("alice").contains("administrator"), "{listing}");
    assert!(row("boss").contains("member"), "{listing}");

    let error = admin_command(
        &server.config,
        &AdminAction::Promote {
            name: "nobody".into(),
        },
    )
    .await
    .expect_err("unknown user");
    assert_eq!(error.code(), "not_found");
}
