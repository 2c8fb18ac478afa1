//! Rate limits and quotas, with limits ON (the harness turns them off for every other test):
//! each test replays an abuse seen against the server and checks the refusal a client gets —
//! `429 rate_limited` with `retry_after` on REST, an `error` event on the socket, 413 / 507 for
//! uploads, close code 4429 for one socket too many — and that nothing is silently dropped.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::config::{
    DEFAULT_EDIT_RATE, DEFAULT_MESSAGE_RATE, DEFAULT_REACTION_RATE, DEFAULT_TYPING_RATE,
};
use server_core::{Clock, Config, Rate};

use crate::common::{Next, TestServer, WAIT, WsClient, files_under};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A server with the default limits ON, adjusted by `adjust`.
async fn limited(adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(|config| {
        config.limits.rate_limits = true;
        adjust(config);
    })
    .await
}

/// The default burst, refilled so slowly that no token comes back during a test.
fn burst_only(rate: Rate) -> Rate {
    Rate::new(rate.burst, Duration::from_secs(u64::from(rate.burst) * 3600))
}

/// Reads frames until every ref in `refs` got its direct reply (any event but an error) or
/// its `error`; returns (accepted refs, errors).
async fn replies(ws: &mut WsClient, refs: &HashSet<String>, reply: &str) -> (usize, Vec<Value>) {
    let mut accepted = 0;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    while seen.len() < refs.len() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = match ws.next(left).await {
            Some(Next::Frame(frame)) => frame,
            Some(Next::Closed(close)) => panic!("socket closed ({close:?}) after {} replies", seen.len()),
            None => panic!("only {} of {} frames were answered", seen.len(), refs.len()),
        };
        let Some(reference) = frame["ref"].as_str().filter(|r| refs.contains(*r)) else {
            assert_ne!(frame["event"], "error", "an unexpected error: {frame}");
            continue;
        };
        assert!(seen.insert(reference.to_owned()), "two replies to {reference}");
        if frame["event"] == "error" {
            errors.push(frame["data"].clone());
        } else {
            assert_eq!(frame["event"], reply, "{frame}");
            accepted += 1;
        }
    }
    (accepted, errors)
}

/// Slack for the seconds a slow test machine spends between filling and draining a bucket.
const SLACK: u64 = 120;

/// Whether `seconds` is `full` (a token's whole refill time) less what the test took so far.
#[track_caller]
fn assert_wait(seconds: u64, full: u64) {
    assert!(
        seconds <= full && seconds + SLACK >= full,
        "retry_after {seconds}, expected about {full}"
    );
}

#[track_caller]
fn assert_rate_limited(errors: &[Value], retry_after: u64) {
    for error in errors {
        assert_eq!(error["code"], "rate_limited", "{error}");
        assert_wait(error["retry_after"].as_u64().unwrap(), retry_after);
        assert!(
            error["message"].as_str().unwrap().contains("try again"),
            "{error}"
        );
    }
}

/// Today one socket stored and fanned out 10,000 messages in 0.2 s.
#[tokio::test]
async fn a_burst_of_200_messages_gets_the_burst_then_rate_limited_errors() {
    let rate = burst_only(DEFAULT_MESSAGE_RATE);
    let server = limited(|c| c.limits.messages = rate).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;

    let refs: HashSet<String> = (0..200).map(|i| format!("m{i}")).collect();
    for i in 0..200 {
        a.send_ref(
            "send_message",
            json!({"room_id": lobby, "content": format!("spam {i}"), "client_msg_id": format!("c{i}")}),
            &format!("m{i}"),
        )
        .await;
    }
    // Every frame is answered: the burst with its message, the rest with an error.
    let (accepted, errors) = replies(&mut a, &refs, "new_message").await;
    assert_eq!(accepted, rate.burst as usize);
    assert_eq!(errors.len(), 200 - accepted);
    // One token per period / burst = 3,600 s.
    assert_rate_limited(&errors, 3600);

    // The socket stays open, and the others got exactly the accepted messages.
    a.send_ref("ping", json!({}), "still-there").await;
    assert_eq!(a.expect("pong").await["ref"], "still-there");
    let (_, history) = server
        .get(
            Some(&bob.token),
            &format!("/api/rooms/{lobby}/messages?limit=200"),
        )
        .await;
    let spam = |m: &&Value| m["content"].as_str().unwrap_or_default().starts_with("spam");
    assert_eq!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(spam)
            .count(),
        accepted
    );
    for _ in 0..accepted {
        b.expect_where("new_message", |f| f["data"]["message"]["room_id"] == lobby)
            .await;
    }
    b.expect_none("new_message", Duration::from_millis(300)).await;

    // REST draws on the same bucket, and says when to retry in the body and the header.
    let response = server
        .http
        .post(server.url(&format!("/api/rooms/{lobby}/messages")))
        .bearer_auth(&alice.token)
        .json(&json!({"content": "over REST"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let header: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_rate_limited(&[body["error"].clone()], 3600);
    assert_eq!(body["error"]["retry_after"], header);
    // Bob has his own bucket.
    server.say(&bob, lobby, "hello").await;
}

/// A person typing fast at the default rate — a message a second for a while — is never refused.
#[tokio::test]
async fn a_fast_typist_at_the_default_rate_is_never_limited() {
    let server = limited(|_| {}).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    // Thirty messages as fast as the socket takes them (pasting line by line), then more at the
    // refill rate would follow; the burst alone must all go through.
    let refs: HashSet<String> = (0..DEFAULT_MESSAGE_RATE.burst).map(|i| format!("m{i}")).collect();
    for i in 0..DEFAULT_MESSAGE_RATE.burst {
        a.send_ref("typing_start", json!({"room_id": lobby}), &format!("t{i}"))
            .await;
        a.send_ref(
            "send_message",
            json!({"room_id": lobby, "content": format!("line {i}")}),
            &format!("m{i}"),
        )
        .await;
    }
    let (accepted, errors) = replies(&mut a, &refs, "new_message").await;
    assert_eq!(accepted, refs.len(), "{errors:?}");
    a.expect_none("error", Duration::from_millis(300)).await;
}

/// Today 2,000 typing toggles reached every member.
#[tokio::test]
async fn typing_toggles_beyond_the_burst_are_refused_not_broadcast() {
    let rate = burst_only(DEFAULT_TYPING_RATE);
    let server = limited(|c| c.limits.typing = rate).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut a = server.ws(&alice).await;
    let mut b = server.ws(&bob).await;

    let mut refused = 0;
    for i in 0..100 {
        let event = if i % 2 == 0 { "typing_start" } else { "typing_stop" };
        a.send_ref(event, json!({"room_id": lobby}), &format!("t{i}"))
            .await;
    }
    // Typing has no direct reply; a message after the toggles marks where they end.
    a.send_ref(
        "send_message",
        json!({"room_id": lobby, "content": "done"}),
        "end",
    )
    .await;
    loop {
        match a.next(WAIT).await {
            Some(Next::Frame(f)) if f["event"] == "error" => {
                assert!(f["ref"].as_str().unwrap().starts_with('t'), "{f}");
                assert_rate_limited(&[f["data"].clone()], 3600);
                refused += 1;
            }
            Some(Next::Frame(f)) if f["ref"] == "end" => break,
            Some(Next::Frame(_)) => {}
            other => panic!("no reply to the message after the toggles: {}", other.is_some()),
        }
    }
    assert_eq!(refused, 100 - rate.burst as usize);

    // Bob heard the accepted toggles only (they alternate, so each one changed something).
    let mut updates = 0;
    loop {
        let frame = match b.next(WAIT).await {
            Some(Next::Frame(frame)) => frame,
            _ => panic!("bob never got the message after the toggles"),
        };
        match frame["event"].as_str() {
            Some("typing_update") => updates += 1,
            Some("new_message") => break,
            _ => {}
        }
    }
    assert_eq!(updates, rate.burst as usize);
}

/// Edits and deletes share one bucket, over REST and WebSocket.
#[tokio::test]
async fn reactions_beyond_the_burst_answer_429_and_change_nothing() {
    let rate = burst_only(DEFAULT_REACTION_RATE);
    let server = limited(|c| c.limits.reactions = rate).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let id = server.say(&alice, lobby, "vote").await["id"].as_i64().unwrap();
    let path = |add: bool| {
        format!(
            "/api/messages/{id}/reactions/{}",
            if add { "%F0%9F%91%8D" } else { "%F0%9F%91%8E" }
        )
    };

    // Toggling one reaction on and off: each change is a broadcast and a revision.
    for i in 0..rate.burst {
        let (status, body) = if i % 2 == 0 {
            server.put(Some(&alice.token), &path(true), json!({})).await
        } else {
            server.delete(Some(&alice.token), &path(true)).await
        };
        assert_eq!(status, StatusCode::OK, "reaction {i}: {body}");
    }
    let (status, body) = server.put(Some(&alice.token), &path(false), json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_rate_limited(&[body["error"].clone()], 3600);

    let mut a = server.ws(&alice).await;
    a.send_ref("add_reaction", json!({"message_id": id, "emoji": "👎"}), "r")
        .await;
    let error = a.expect("error").await;
    assert_eq!(error["ref"], "r");
    assert_rate_limited(&[error["data"].clone()], 3600);
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    let stored = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        stored["reactions"],
        json!([]),
        "the refused reactions were not stored"
    );
}

#[tokio::test]
async fn edits_and_deletes_beyond_the_burst_answer_429() {
    let rate = burst_only(DEFAULT_EDIT_RATE);
    let server = limited(|c| c.limits.edits = rate).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let message = server.say(&alice, lobby, "draft").await;
    let id = message["id"].as_i64().unwrap();

    for i in 0..rate.burst {
        let (status, body) = server
            .put(
                Some(&alice.token),
                &format!("/api/messages/{id}"),
                json!({"content": format!("edit {i}")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "edit {i}: {body}");
    }
    let (status, body) = server
        .put(
            Some(&alice.token),
            &format!("/api/messages/{id}"),
            json!({"content": "one too many"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_rate_limited(&[body["error"].clone()], 3600);

    let mut a = server.ws(&alice).await;
    a.send_ref("delete_message", json!({"message_id": id}), "d").await;
    let error = a.expect("error").await;
    assert_eq!(error["ref"], "d");
    assert_rate_limited(&[error["data"].clone()], 3600);
    // The refused edit and delete changed nothing.
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    let stored = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(stored["content"], format!("edit {}", rate.burst - 1));
    assert_eq!(stored["is_deleted"], false);
}

/// Today 300 sockets for one user were accepted. The cap holds with rate limits off too.
#[tokio::test]
async fn a_sixth_socket_closes_the_oldest_with_4429() {
    let server = TestServer::start_with(|c| c.limits.sockets_per_user = 5).await;
    assert!(!server.config.limits.rate_limits);
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let mut sockets = Vec::new();
    for _ in 0..5 {
        sockets.push(server.ws(&alice).await);
    }
    let mut bobs = server.ws(&bob).await;
    sockets.push(server.ws(&alice).await);

    assert_eq!(sockets[0].expect_close(WAIT).await, Some(4429));
    for (i, ws) in sockets.iter_mut().enumerate().skip(1) {
        ws.send_ref("ping", json!({}), "p").await;
        assert_eq!(ws.expect("pong").await["ref"], "p", "socket {i}");
    }
    bobs.send_ref("ping", json!({}), "p").await;
    bobs.expect("pong").await;
    // Alice is still online.
    let (_, online) = server.get(Some(&bob.token), "/api/users/online").await;
    assert!(online.to_string().contains("alice"), "{online}");
}

/// Today 60 accounts were registered in 5 s from one address.
#[tokio::test]
async fn registrations_from_one_address_are_limited() {
    let server = limited(|c| c.limits.registrations = Rate::new(3, HOUR)).await;
    for name in ["user1", "user2", "user3"] {
        server.register(name).await;
    }
    let response = server
        .http
        .post(server.url("/api/auth/register"))
        .json(&json!({"username": "user4", "password": crate::common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let header: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = response.json().await.unwrap();
    // One account per 3,600 s / 3.
    assert_rate_limited(&[body["error"].clone()], 1200);
    assert_eq!(body["error"]["retry_after"], header);
    // The refused account does not exist.
    let (status, _) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "user4", "password": crate::common::PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Today one user created 2,000 public rooms.
#[tokio::test]
async fn rooms_per_day_are_capped_and_the_window_rolls() {
    let clock = Clock::shiftable();
    let server = limited(|c| {
        c.limits.rooms_per_day = 3;
        c.clock = clock.clone();
    })
    .await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    for i in 0..3 {
        server.create_room(&alice, &format!("room {i}"), i == 2).await;
    }
    let started = Instant::now();
    for private in [false, true] {
        let (status, body) = server
            .post(
                Some(&alice.token),
                "/api/rooms",
                json!({"name": format!("one more {private}"), "is_private": private}),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "rate_limited");
        let wait = body["error"]["retry_after"].as_u64().unwrap();
        let elapsed = started.elapsed().as_secs() + 60;
        assert!(
            wait <= DAY.as_secs() && wait >= DAY.as_secs() - elapsed,
            "retry_after {wait}"
        );
    }
    // Bob's allowance is his own.
    server.create_room(&bob, "bob's room", false).await;
    // A day later Alice may create rooms again.
    clock.set_offset(DAY + Duration::from_secs(1), false);
    server.create_room(&alice, "tomorrow", false).await;
}

/// Today every new account joined all 2,000 public rooms one user had created.
#[tokio::test]
async fn new_accounts_join_only_the_default_rooms() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    for i in 0..50 {
        server.create_room(&alice, &format!("public {i}"), false).await;
    }
    let bob = server.register("bob").await;
    let (_, rooms) = server.get(Some(&bob.token), "/api/rooms").await;
    let rooms = rooms["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 53, "bob can still see and join every public room");
    let mut joined: Vec<&str> = rooms
        .iter()
        .filter(|r| r["is_member"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    joined.sort_unstable();
    let mut defaults = vec!["大厅", "技术讨论", "随便聊聊"];
    defaults.sort_unstable();
    assert_eq!(joined, defaults);
    // Nobody in alice's rooms heard of bob.
    let public0 = server.room_id(&alice, "public 0").await;
    let (_, members) = server
        .get(Some(&alice.token), &format!("/api/rooms/{public0}/members"))
        .await;
    assert!(!members.to_string().contains("bob"), "{members}");
    // Bob can join one if he wants.
    let (status, _) = server
        .post(Some(&bob.token), &format!("/api/rooms/{public0}/join"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 48, image::Rgb([200, 30, 90])))
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// Someone dropping ten photos at once is within every default limit.
#[tokio::test]
async fn ten_photos_at_once_are_never_limited() {
    let server = limited(|_| {}).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let photo = png();
    let uploads = (0..10).map(|i| {
        let server = &server;
        let alice = &alice;
        let photo = &photo;
        async move {
            server
                .upload(alice, lobby, &format!("photo {i}.png"), photo, &[])
                .await
        }
    });
    for (status, body) in futures_util::future::join_all(uploads).await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// Today 10 × 10 MiB uploads took 0.3 s with no quota.
#[tokio::test]
async fn the_upload_quota_refuses_with_413_and_stores_nothing() {
    let server = limited(|c| c.limits.upload_bytes_per_day = 100 * 1024).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let file = vec![7u8; 60 * 1024];
    let (status, body) = server.upload(&alice, lobby, "first.bin", &file, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stored = files_under(&server.config.uploads_dir()).len();

    let (status, body) = server.upload(&alice, lobby, "second.bin", &file, &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "upload_quota_exceeded");
    assert_eq!(body["error"]["field"], "file");
    let wait = body["error"]["retry_after"].as_u64().unwrap();
    assert!(wait > DAY.as_secs() - 600 && wait <= DAY.as_secs(), "{wait}");
    assert_eq!(files_under(&server.config.uploads_dir()).len(), stored);

    // A small file still fits, and another user has a quota of their own.
    let (status, _) = server.upload(&alice, lobby, "small.bin", &[1u8; 1024], &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    let bob = server.register("bob").await;
    let (status, _) = server.upload(&bob, lobby, "bob.bin", &file, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A disk below the floor refuses uploads with 507 — with rate limits off too.
#[tokio::test]
async fn a_nearly_full_disk_refuses_uploads_with_507() {
    let server = TestServer::start_with(|c| c.limits.min_free_disk_bytes = u64::MAX / 4).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let (status, body) = server.upload(&alice, lobby, "photo.png", &png(), &[]).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_storage");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("disk space"),
        "{body}"
    );
    assert!(files_under(&server.config.uploads_dir()).is_empty());
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["message_type"] == "system"),
        "{history}"
    );
    // Text messages are not affected.
    server.say(&alice, lobby, "still chatting").await;
}
