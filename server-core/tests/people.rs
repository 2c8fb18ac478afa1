//! People: search by name prefix, profiles, and the status each person sets.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, WsClient};

fn names(body: &Value) -> Vec<&str> {
    body["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users: {body}"))
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect()
}

/// The next presence frame (single or batched) saying `user` is now `status`: that user's entry.
async fn status_of(ws: &mut WsClient, user: i64, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + crate::common::WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(crate::common::Next::Frame(frame)) = ws.next(left).await else {
            panic!("no status {status} for user {user}");
        };
        let entries: Vec<Value> = match frame["event"].as_str() {
            Some("user_status_update") => vec![frame["data"].clone()],
            Some("user_status_batch") => frame["data"]["users"].as_array().unwrap().clone(),
            _ => continue,
        };
        if let Some(entry) = entries
            .into_iter()
            .find(|e| e["user_id"] == user && e["status"] == status)
        {
            let mut entry = json!({"data": entry});
            entry["ref"] = frame["ref"].clone();
            return entry;
        }
    }
}

#[tokio::test]
async fn people_are_found_by_the_start_of_their_name_in_any_script() {
    let server = TestServer::start().await;
    let alice = server.register("Alice").await;
    server.register("alina").await;
    server.register("王小明").await;
    server.register("王小红").await;
    server.register("李大伟").await;
    server.register("Ωmega").await;

    let find = |q: &str| {
        let path = format!("/api/users?q={}", urlencode(q));
        let server = &server;
        let token = alice.token.clone();
        async move { server.get(Some(&token), &path).await }
    };
    let (status, body) = find("王小").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["王小明", "王小红"]);
    assert_eq!(names(&find("王小红").await.1), ["王小红"]);
    assert_eq!(names(&find("ALI").await.1), ["Alice", "alina"]);
    assert_eq!(names(&find("@alic").await.1), ["Alice"]);
    assert_eq!(names(&find("ωM").await.1), ["Ωmega"]);
    assert_eq!(names(&find("zzz").await.1), Vec::<&str>::new());
    let first = &find("王").await.1["users"][0];
    assert_eq!(first["status"], "offline");
    assert!(first.get("email").is_none(), "{first}");

    let (_, two) = server.get(Some(&alice.token), "/api/users?q=&limit=2").await;
    assert_eq!(names(&two).len(), 2);
    let (status, body) = server.get(Some(&alice.token), "/api/users?limit=500").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_limit"))
    );
    let (status, _) = server.get(None, "/api/users?q=a").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, profile) = server
        .get(Some(&alice.token), &format!("/api/users/{}", alice.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["user"]["username"], "Alice");
    let (status, body) = server.get(Some(&alice.token), "/api/users/999999").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_status_is_set_broadcast_and_shown_everywhere() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let mut alice_ws = server.ws(&alice).await;
    let mut bob_ws = server.ws(&bob).await;
    status_of(&mut alice_ws, bob.id, "online").await;

    let (status, body) = server
        .put(
            Some(&bob.token),
            "/api/auth/status",
            json!({"status": "dnd", "status_text": "  focusing 🎧  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["user"]["status"].as_str(),
            body["user"]["status_text"].as_str()
        ),
        (Some("dnd"), Some("focusing 🎧"))
    );
    let update = status_of(&mut alice_ws, bob.id, "dnd").await;
    assert_eq!(update["data"]["status_text"], "focusing 🎧");
    assert_eq!(update["data"]["is_online"], true, "old fields stay");

    let (_, profile) = server
        .get(Some(&alice.token), &format!("/api/users/{}", bob.id))
        .await;
    assert_eq!(profile["user"]["status"], "dnd");
    let lobby = server.room_id(&alice, "大厅").await;
    let (_, members) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/members"))
        .await;
    let member = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == bob.id)
        .unwrap()
        .clone();
    assert_eq!(
        (member["status"].as_str(), member["status_text"].as_str()),
        (Some("dnd"), Some("focusing 🎧"))
    );

    bob_ws
        .send_ref("set_status", json!({"status": "away"}), "s1")
        .await;
    let mine = status_of(&mut bob_ws, bob.id, "away").await;
    assert_eq!(mine["ref"], "s1");
    let update = status_of(&mut alice_ws, bob.id, "away").await;
    assert_eq!(update["data"]["status_text"], Value::Null);

    for (body, code) in [
        (json!({"status": "offline"}), "invalid_status"),
        (
            json!({"status": "online", "status_text": "x".repeat(101)}),
            "invalid_status_text",
        ),
        (json!({"status": "busy"}), "invalid_request"),
    ] {
        let (status, answer) = server
            .put(Some(&bob.token), "/api/auth/status", body.clone())
            .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}"
        );
    }
    let (status, _) = server
        .put(
            Some(&bob.token),
            "/api/auth/status",
            json!({"status": "online", "status_text": "é".repeat(100)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    server
        .put(Some(&bob.token), "/api/auth/status", json!({"status": "dnd"}))
        .await;
    status_of(&mut alice_ws, bob.id, "dnd").await;

    // Gone: offline to others; back: the chosen status again.
    drop(bob_ws);
    status_of(&mut alice_ws, bob.id, "offline").await;
    let (_, profile) = server
        .get(Some(&alice.token), &format!("/api/users/{}", bob.id))
        .await;
    assert_eq!(profile["user"]["status"], "offline");
    let _bob_again = server.ws(&bob).await;
    status_of(&mut alice_ws, bob.id, "dnd").await;
}

#[tokio::test]
async fn an_idle_person_shows_as_away_until_they_do_something() {
    let server = TestServer::start_with(|config| {
        config.timing.away_after = std::time::Duration::from_millis(400);
    })
    .await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    server
        .put(Some(&carol.token), "/api/auth/status", json!({"status": "dnd"}))
        .await;
    let mut alice_ws = server.ws(&alice).await;
    let mut bob_ws = server.ws(&bob).await;
    let _carol_ws = server.ws(&carol).await;

    // Pings keep the socket alive but are not activity.
    bob_ws.send("ping", json!({})).await;
    status_of(&mut alice_ws, bob.id, "away").await;
    let (_, profile) = server
        .get(Some(&alice.token), &format!("/api/users/{}", bob.id))
        .await;
    assert_eq!(
        (
            profile["user"]["status"].as_str(),
            profile["user"]["is_online"].as_bool()
        ),
        (Some("away"), Some(true))
    );

    let lobby = server.room_id(&alice, "大厅").await;
    bob_ws.send("typing_start", json!({"room_id": lobby})).await;
    // Back at once (a GET now could already find him idle again: the test's idle time is short).
    status_of(&mut alice_ws, bob.id, "online").await;

    // Someone who chose do-not-disturb stays so however idle they are.
    alice_ws
        .expect_none_where(
            "user_status_update",
            std::time::Duration::from_millis(1200),
            |f| f["data"]["user_id"] == carol.id && f["data"]["status"] != "dnd",
        )
        .await;
    let (_, profile) = server
        .get(Some(&alice.token), &format!("/api/users/{}", carol.id))
        .await;
    assert_eq!(profile["user"]["status"], "dnd");
}
