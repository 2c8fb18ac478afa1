//! Accounts and sessions over the REST API, and their effect on live sockets.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{PASSWORD, TestServer, WAIT};

fn days_from_now(expires_at: &Value) -> f64 {
    let at = chrono::DateTime::parse_from_rfc3339(expires_at.as_str().expect("expires_at")).unwrap();
    (at.timestamp_millis() - chrono::Utc::now().timestamp_millis()) as f64 / 86_400_000.0
}

#[tokio::test]
async fn register_logs_in_and_never_reveals_the_hash() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "32 random bytes in base64url");
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert!(!body.to_string().contains("argon2"), "{body}");
    assert!(body["user"].get("password_hash").is_none());
    let days = days_from_now(&body["expires_at"]);
    assert!((6.9..7.1).contains(&days), "{days}");

    let (status, me) = server.get(Some(token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["id"], body["user"]["id"]);
    assert!(!me.to_string().contains("argon2"));
}

#[tokio::test]
async fn registration_rejects_bad_fields_and_stores_nothing() {
    let server = TestServer::start().await;
    let cases = [
        (
            json!({"username": "al", "password": PASSWORD}),
            "invalid_username",
            "username",
        ),
        (
            json!({"username": "x".repeat(33), "password": PASSWORD}),
            "invalid_username",
            "username",
        ),
        (
            json!({"username": "bob smith", "password": PASSWORD}),
            "invalid_username",
            "username",
        ),
        (
            json!({"username": "<script>", "password": PASSWORD}),
            "invalid_username",
            "username",
        ),
        (
            json!({"username": "bobby", "password": "short"}),
            "invalid_password",
            "password",
        ),
        (
            json!({"username": "bobby", "password": "x".repeat(129)}),
            "invalid_password",
            "password",
        ),
        (
            json!({"username": "bobby", "password": PASSWORD, "email": "not-an-email"}),
            "invalid_email",
            "email",
        ),
    ];
    for (body, code, field) in cases {
        let (status, answer) = server.post(None, "/api/auth/register", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], code, "{body} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} → {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().len() > 5);
    }
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "bobby", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no account was created");
}

#[tokio::test]
async fn usernames_are_unique_ignoring_case_in_any_script() {
    let server = TestServer::start().await;
    server.register("Alice").await;
    for taken in ["alice", "ALICE"] {
        let (status, body) = server
            .post(
                None,
                "/api/auth/register",
                json!({"username": taken, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "username_taken");
        assert_eq!(body["error"]["field"], "username");
    }
    let chinese = server.register("小明同学").await;
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "小明同学", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], chinese.id);
    // Logging in ignores case too.
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "aLiCe", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn emails_are_unique_when_present() {
    let server = TestServer::start().await;
    let (status, _) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "ann", "password": PASSWORD, "email": "Team@Example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "ben", "password": PASSWORD, "email": "team@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "email_taken");
    // No email at all is fine for any number of accounts.
    server.register("cat").await;
    server.register("dan").await;
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let server = TestServer::start().await;
    server.register("alice").await;
    let (s1, b1) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": "wrong-password"}),
        )
        .await;
    let (s2, b2) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "nobody", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(b1["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn remember_me_lasts_thirty_days() {
    let server = TestServer::start().await;
    server.register("alice").await;
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD, "remember": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let days = days_from_now(&body["expires_at"]);
    assert!((29.9..30.1).contains(&days), "{days}");
}

#[tokio::test]
async fn five_failures_lock_the_name_with_retry_after() {
    let server = TestServer::start().await;
    server.register("alice").await;
    for _ in 0..5 {
        let (status, _) = server
            .post(
                None,
                "/api/auth/login",
                json!({"username": "alice", "password": "nope-nope"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Locked now, even with the right password.
    let response = server
        .http
        .post(server.url("/api/auth/login"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert_eq!(body["error"]["retry_after"], retry_after);
    // Other accounts are unaffected.
    server.register("bob").await;
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn check_and_me_report_authentication() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (status, body) = server.get(None, "/api/auth/check").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"authenticated": false, "user": null}));
    let (status, body) = server.get(Some("garbage"), "/api/auth/check").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["authenticated"], false);
    let (status, body) = server.get(Some(&alice.token), "/api/auth/check").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["authenticated"], true);
    assert_eq!(body["user"]["username"], "alice");

    for token in [None, Some("garbage"), Some("")] {
        let (status, body) = server.get(token, "/api/auth/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    // A token in the URL is never accepted.
    let (status, _) = server
        .get(None, &format!("/api/auth/me?token={}", alice.token))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_token_and_closes_its_sockets() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (_, second) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let second_token = second["token"].as_str().unwrap().to_owned();
    let mut socket = server.ws(&alice).await;

    let (status, _) = server
        .post(Some(&alice.token), "/api/auth/logout", json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(socket.expect_close(WAIT).await, Some(4401));
    let (status, _) = server.get(Some(&alice.token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The other session is untouched.
    let (status, _) = server.get(Some(&second_token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    // And the revoked token cannot open a socket.
    let mut again = server.ws_raw().await;
    again.send("auth", json!({"token": alice.token})).await;
    let error = again.expect("error").await;
    assert_eq!(error["data"]["code"], "unauthorized");
    assert_eq!(again.expect_close(WAIT).await, Some(4401));
}

#[tokio::test]
async fn changing_the_password_revokes_every_other_session() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (_, other) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let other_token = other["token"].as_str().unwrap().to_owned();
    let mut other_socket = server.ws_raw().await;
    other_socket.send("auth", json!({"token": other_token})).await;
    other_socket.expect("ready").await;
    let mut own_socket = server.ws(&alice).await;

    let (status, body) = server
        .put(
            Some(&alice.token),
            "/api/auth/change-password",
            json!({"current_password": "not-it-at-all", "new_password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "wrong_password");
    assert_eq!(body["error"]["field"], "current_password");
    let (status, body) = server
        .put(
            Some(&alice.token),
            "/api/auth/change-password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "new_password");

    let (status, _) = server
        .put(
            Some(&alice.token),
            "/api/auth/change-password",
            json!({"current_password": PASSWORD, "new_password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(other_socket.expect_close(WAIT).await, Some(4401));
    let (status, _) = server.get(Some(&other_token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // This session and its socket live on.
    let (status, _) = server.get(Some(&alice.token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    own_socket.send_ref("ping", json!({}), "p").await;
    own_socket.expect("pong").await;

    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn profile_edits_and_email_privacy() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let (status, body) = server
        .put(
            Some(&alice.token),
            "/api/auth/profile",
            json!({"email": "alice@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["user"]["avatar_url"], Value::Null);

    // Avatars are uploaded (see the avatars tests); no link is accepted, not even a web one.
    for bad in [
        "https://example.com/a.png",
        "http://192.168.1.1/admin",
        "javascript:alert(1)",
        "data:text/html,hi",
        "/relative",
    ] {
        let (status, body) = server
            .put(
                Some(&alice.token),
                "/api/auth/profile",
                json!({"avatar_url": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["error"]["code"], "external_avatar_url", "{bad}");
        assert_eq!(body["error"]["field"], "avatar_url");
    }
    // Absent fields stay; null clears.
    let (_, body) = server
        .put(
            Some(&alice.token),
            "/api/auth/profile",
            json!({"avatar_url": null}),
        )
        .await;
    assert_eq!(body["user"]["avatar_url"], Value::Null);
    assert_eq!(body["user"]["email"], "alice@example.com");

    let (status, body) = server
        .put(
            Some(&bob.token),
            "/api/auth/profile",
            json!({"email": "ALICE@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "email_taken");

    // Others never see alice's email.
    let lobby = server.room_id(&bob, "大厅").await;
    let (_, members) = server
        .get(Some(&bob.token), &format!("/api/rooms/{lobby}/members"))
        .await;
    assert!(!members.to_string().contains("alice@example.com"), "{members}");
    let mut socket = server.ws(&bob).await;
    socket.send("get_online_users", json!({})).await;
    let online = socket.expect("online_users_update").await;
    assert!(!online.to_string().contains("@example.com"));
    tokio::time::sleep(Duration::from_millis(10)).await;
}
