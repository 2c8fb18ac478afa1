//! Accounts and sessions over the REST API, and their effect on live sockets.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use server_core::Profile;

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
async fn a_taken_email_is_never_revealed() {
    let server = TestServer::start().await;
    let (status, _) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "ann", "password": PASSWORD, "email": "Team@Example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Registering with ann's address answers exactly as with a fresh one.
    for (name, email) in [("ben", "team@example.com"), ("bea", "fresh@example.com")] {
        let (status, body) = server
            .post(
                None,
                "/api/auth/register",
                json!({"username": name, "password": PASSWORD, "email": email}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{email}: {body}");
        assert_eq!(body["user"]["email"], email);
    }
    // So does a signed-in profile edit, however often it is tried.
    let cat = server.register("cat").await;
    for email in ["TEAM@example.com", "fresh@example.com", "nobody@example.com"] {
        let (status, body) = server
            .put(Some(&cat.token), "/api/auth/profile", json!({"email": email}))
            .await;
        assert_eq!(status, StatusCode::OK, "{email}: {body}");
        assert_eq!(body["user"]["email"], email);
        assert_eq!(body["user"]["username"], "cat");
    }
    // No email at all is fine for any number of accounts.
    server.register("dan").await;
    server.register("eve").await;
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
async fn five_failures_slow_the_name_with_retry_after() {
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
    // Slowed now, even with the right password from a device alice never used.
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
    assert!((1..=2).contains(&retry_after), "{retry_after}");
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
    // A delay, not a lock-out: once it has passed, the right password works.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A client whose requests come from `ip` (any 127.x.y.z address reaches a loopback server).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .expect("client")
}

async fn post_from(
    server: &TestServer,
    client: &reqwest::Client,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = client
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_guesser_at_the_owners_address_cannot_lock_the_owner_out() {
    let server = TestServer::start().await;
    let (status, registered) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Alice's browser kept the device token it was given.
    let device = registered["device_token"]
        .as_str()
        .expect("device token")
        .to_owned();
    // A colleague behind the same address guesses thirty times.
    let mut guesses = 0;
    for _ in 0..30 {
        let (status, _) = server
            .post(
                None,
                "/api/auth/login",
                json!({"username": "alice", "password": "guess-guess"}),
            )
            .await;
        match status {
            StatusCode::UNAUTHORIZED => guesses += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert!(guesses <= 6, "{guesses} of 30 guesses were checked");
    // Alice, from her own browser, gets in at once with the right password.
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD, "device_token": device}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A token for alice's device does not help a guess at another account.
    server.register("bob").await;
    for _ in 0..6 {
        server
            .post(
                None,
                "/api/auth/login",
                json!({"username": "bob", "password": "guess-guess"}),
            )
            .await;
    }
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "bob", "password": "guess-guess", "device_token": device}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn one_address_cannot_spread_guesses_over_many_names() {
    let server = TestServer::start().await;
    let guesser = client_from([127, 0, 3, 1]);
    let mut checked = 0;
    for i in 0..30 {
        let (status, body) = post_from(
            &server,
            &guesser,
            "/api/auth/login",
            json!({"username": format!("victim{i}"), "password": "guess-guess"}),
        )
        .await;
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => assert_eq!(body["error"]["code"], "too_many_attempts"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(checked, 20, "failures allowed from one address in 15 minutes");
    // Someone at another address is unaffected.
    server.register("carol").await;
    let (status, _) = post_from(
        &server,
        &client_from([127, 0, 3, 2]),
        "/api/auth/login",
        json!({"username": "carol", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_over_long_username_is_refused_before_any_lookup() {
    let server = TestServer::start().await;
    let long = "x".repeat(60_000);
    for _ in 0..3 {
        let (status, body) = server
            .post(
                None,
                "/api/auth/login",
                json!({"username": long, "password": "whatever-it-is"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "invalid_username");
        assert_eq!(body["error"]["field"], "username");
    }
    // 33 characters is already more than any account can have.
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "y".repeat(33), "password": "whatever-it-is"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
async fn unknown_names_take_as_long_as_wrong_passwords() {
    const TRIES: u8 = 25;
    // The medians are compared up to three times: a busy machine can skew one round, but not
    // three in a row, while the flaw (unknown names answered ~30× faster) shows in every round.
    const ROUNDS: u8 = 3;
    let server = TestServer::start().await;
    for i in 0..TRIES {
        let (status, body) = post_from(
            &server,
            &client_from([127, 0, 4, i + 1]),
            "/api/auth/register",
            json!({"username": format!("known{i}"), "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut rounds = Vec::new();
    for round in 0..ROUNDS {
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for i in 0..TRIES {
            // A fresh unknown name per try and a fresh address per pair keep every throttle
            // counter low (each known name fails once per round); the order alternates.
            let client = client_from([127, 0, 5 + round, i + 1]);
            let mut pairs = [
                (format!("known{i}"), &mut known),
                (format!("ghost{round}x{i}"), &mut unknown),
            ];
            if i % 2 == 1 {
                pairs.reverse();
            }
            for (name, times) in pairs {
                let started = Instant::now();
                let (status, body) = post_from(
                    &server,
                    &client,
                    "/api/auth/login",
                    json!({"username": name, "password": "wrong-password"}),
                )
                .await;
                times.push(started.elapsed());
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
            }
        }
        let (known, unknown) = (median(known), median(unknown));
        let ratio =
            known.as_secs_f64().max(unknown.as_secs_f64()) / known.as_secs_f64().min(unknown.as_secs_f64());
        eprintln!("login medians: known {known:?}, unknown {unknown:?}, ratio {ratio:.2}");
        if ratio <= 2.0 {
            return;
        }
        rounds.push((known, unknown));
    }
    panic!("medians differ by more than 2× in every round (known, unknown): {rounds:?}");
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

    // Bob may use the same address; nothing tells him alice has it.
    let (status, body) = server
        .put(
            Some(&bob.token),
            "/api/auth/profile",
            json!({"email": "ALICE@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = server
        .put(Some(&bob.token), "/api/auth/profile", json!({"email": null}))
        .await;
    assert_eq!(body["user"]["email"], Value::Null);

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

#[tokio::test]
async fn common_passwords_and_ones_containing_the_username_are_refused() {
    let server = TestServer::start().await;
    let cases = [
        ("dora", "12345678", "common"),
        ("dora", "password", "common"),
        ("dora", "Iloveyou", "common"),
        ("dora", "qwertyuiop", "common"),
        ("dora", "dora-explorer", "username"),
        ("dora", "xxDORAxx", "username"),
    ];
    for (username, password, why) in cases {
        let (status, body) = server
            .post(
                None,
                "/api/auth/register",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{password}: {body}");
        assert_eq!(body["error"]["code"], "invalid_password", "{password}");
        assert_eq!(body["error"]["field"], "password", "{password}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{password}: {message}");
    }
    let dora = server.register("dora").await;
    for weak in ["password1", "dora-the-great"] {
        let (status, body) = server
            .put(
                Some(&dora.token),
                "/api/auth/change-password",
                json!({"current_password": PASSWORD, "new_password": weak}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{weak}: {body}");
        assert_eq!(body["error"]["code"], "invalid_password");
        assert_eq!(body["error"]["field"], "new_password");
    }
}

#[tokio::test]
async fn look_alike_and_reserved_usernames_are_refused() {
    let server = TestServer::start().await;
    server.register("alice").await;
    // Full-width letters, a Cyrillic а, a capital I for the l: all look like alice.
    for spoof in ["ａｌｉｃｅ", "\u{430}lice", "aIice", "alic\u{435}"] {
        let (status, body) = server
            .post(
                None,
                "/api/auth/register",
                json!({"username": spoof, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{spoof}: {body}");
        assert_eq!(body["error"]["code"], "username_taken", "{spoof}");
        assert_eq!(body["error"]["field"], "username", "{spoof}");
    }
    for reserved in [
        "system",
        "Confab",
        "root",
        "everyone",
        "here",
        "room",
        "all",
        "ＲＯＯＴ",
        "\u{430}ll",
    ] {
        let (status, body) = server
            .post(
                None,
                "/api/auth/register",
                json!({"username": reserved, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{reserved}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("reserved"),
            "{reserved}: {body}"
        );
    }
    // Names are stored in NFKC form, and full-width typing finds them at login.
    let (status, body) = server
        .post(
            None,
            "/api/auth/register",
            json!({"username": "ｂｏｂ２", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["username"], "bob2");
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "ＢＯＢ２", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn demo_accounts_are_unusable_outside_loopback_development() {
    let mut server = TestServer::start_with(|c| c.profile = Profile::Development).await;
    let login = json!({"username": "admin", "password": "admin123"});
    let (status, body) = server.post(None, "/api/auth/login", login.clone()).await;
    assert_eq!(status, StatusCode::OK, "loopback development: {body}");
    let dev_token = body["token"].as_str().unwrap().to_owned();

    // The same data directory, now in production.
    server.config.profile = Profile::Production;
    server.restart().await;
    for (username, password) in [("admin", "admin123"), ("testuser", "test123")] {
        let (status, body) = server
            .post(
                None,
                "/api/auth/login",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{username}: {body}");
        assert_eq!(body["error"]["code"], "demo_account_disabled");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("--profile development"), "{message}");
    }
    let (status, _) = server.get(Some(&dev_token), "/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the development session ended");
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "admin", "password": "not-the-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The reset the message describes: development on loopback, change the password.
    server.config.profile = Profile::Development;
    server.restart().await;
    let (status, body) = server.post(None, "/api/auth/login", login).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap();
    let (status, body) = server
        .put(
            Some(token),
            "/api/auth/change-password",
            json!({"current_password": "admin123", "new_password": "a-much-better-one-42"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    server.config.profile = Profile::Production;
    server.restart().await;
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "admin", "password": "a-much-better-one-42"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_registration_storm_is_refused_early_and_logins_go_first() {
    let server = TestServer::start().await;
    server.register("alice").await;
    let login = || async {
        let started = Instant::now();
        let (status, body) = server
            .post(
                None,
                "/api/auth/login",
                json!({"username": "alice", "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        started.elapsed()
    };
    let mut alone = Vec::new();
    for _ in 0..5 {
        alone.push(login().await);
    }
    let alone = median(alone);

    // Sixty registrations at once, each from its own address.
    let storm = (0..60u8).map(|i| {
        let server = &server;
        async move {
            post_from(
                server,
                &client_from([127, 0, 6, i + 1]),
                "/api/auth/register",
                json!({"username": format!("storm{i}"), "password": PASSWORD}),
            )
            .await
        }
    });
    let during = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        login().await
    };
    let (answers, during) = tokio::join!(futures_util::future::join_all(storm), during);
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    let busy: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(created + busy.len(), answers.len(), "{answers:?}");
    assert!(!busy.is_empty(), "the hashing queue never filled");
    for (_, body) in &busy {
        assert_eq!(body["error"]["code"], "server_busy");
        assert!(body["error"]["retry_after"].as_u64().unwrap() >= 1, "{body}");
    }
    let ratio = during.as_secs_f64() / alone.as_secs_f64();
    eprintln!(
        "login alone {alone:?}, during the storm {during:?} (×{ratio:.1}); {created} created, {} refused",
        busy.len()
    );
    assert!(
        ratio <= 10.0,
        "login took {during:?} during the storm, {alone:?} alone"
    );
}
