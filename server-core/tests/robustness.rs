//! Bad input of every kind gets a clear error, loses nothing stored, and leaves the server
//! serving everyone else.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{TestServer, WAIT, eventually};

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let path = server.url(&format!("/api/rooms/{lobby}/messages"));

    let response = server
        .http
        .post(&path)
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");

    // Over 64 KiB, announced by Content-Length…
    let big = json!({"content": "x".repeat(70_000)}).to_string();
    let response = server
        .http
        .post(&path)
        .bearer_auth(&alice.token)
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // …or streamed without one.
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = big
        .into_bytes()
        .chunks(8192)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let response = server
        .http
        .post(&path)
        .bearer_auth(&alice.token)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let (status, body) = server.get(None, "/api/no/such/thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = server.put(Some(&alice.token), "/api/rooms", json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (status, _) = server.get(Some(&alice.token), "/api/rooms/not-a-number").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing above disturbed the server.
    server.say(&alice, lobby, "still fine").await;
}

#[tokio::test]
async fn bad_frames_get_precise_errors_and_the_socket_stays_open() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let mut ws = server.ws(&alice).await;
    let cases: [(&str, &str); 7] = [
        ("this is not json", "invalid_json"),
        ("[1, 2, 3]", "invalid_frame"),
        (
            r#"{"event": "teleport", "data": {}, "ref": "r"}"#,
            "unknown_event",
        ),
        (
            r#"{"event": "join_room", "data": {"room_id": "one"}, "ref": "r"}"#,
            "invalid_data",
        ),
        (
            r#"{"event": "send_message", "data": {"room_id": 1}, "ref": "r"}"#,
            "invalid_data",
        ),
        (
            r#"{"event": "send_message", "data": {"room_id": 1, "content": "  "}, "ref": "r"}"#,
            "invalid_content",
        ),
        (r#"{"event": "join_room", "ref": "r"}"#, "invalid_data"),
    ];
    for (frame, code) in cases {
        ws.send_raw(Message::Text(frame.into())).await;
        let error = ws.expect("error").await;
        assert_eq!(error["data"]["code"], code, "{frame}");
        if frame.contains("\"ref\"") {
            assert_eq!(error["ref"], "r", "{frame}");
        }
    }
    ws.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    assert_eq!(ws.expect("error").await["data"]["code"], "binary_not_supported");
    ws.send_ref("ping", json!({}), "still-there").await;
    let pong = ws.expect("pong").await;
    assert_eq!(pong["ref"], "still-there");
    assert!(pong["data"]["server_time"].is_string());
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let mut ws = server.ws(&alice).await;
    let huge = json!({"event": "send_message", "data": {"room_id": 1, "content": "x".repeat(70_000)}});
    ws.send_json(huge).await;
    assert_eq!(ws.expect_close(WAIT).await, Some(1009));
    // Others are unaffected.
    let mut again = server.ws(&alice).await;
    again.send("ping", json!({})).await;
    again.expect("pong").await;
}

#[tokio::test]
async fn idle_sockets_are_closed_and_pings_keep_them_alive() {
    let server =
        TestServer::start_with(|config| config.timing.idle_timeout = Duration::from_millis(1200)).await;
    let alice = server.register("alice").await;
    let mut idle = server.ws(&alice).await;
    let mut lively = server.ws(&alice).await;
    let started = tokio::time::Instant::now();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        lively.send("ping", json!({})).await;
    }
    assert_eq!(idle.expect_close(Duration::from_secs(1)).await, Some(4408));
    assert!(started.elapsed() >= Duration::from_millis(1100));
    lively.send_ref("ping", json!({}), "alive").await;
    lively.expect_where("pong", |f| f["ref"] == "alive").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_without_hurting_others() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut sender = server.ws(&alice).await;
    let mut reader = server.ws(&bob).await;
    let stalled = server.ws(&carol).await; // never read from again
    eventually("three sockets are connected", || async {
        server.server().connection_count() == 3
    })
    .await;

    // Bob keeps up (the test reads each window before sending the next); carol reads nothing.
    // 6000 messages of ~4 KB are far more than carol's queue and socket buffers can hold.
    let payload = "y".repeat(3900);
    let (windows, window) = (60, 100);
    for w in 0..windows {
        for i in 0..window {
            let content = format!("{} {payload}", w * window + i);
            sender
                .send("send_message", json!({"room_id": lobby, "content": content}))
                .await;
        }
        for _ in 0..window {
            sender.expect("new_message").await;
            reader
                .expect_where("new_message", |f| f["data"]["message"]["user_id"] == alice.id)
                .await;
        }
    }
    eventually("the stalled client is disconnected", || async {
        server.server().connection_count() == 2
    })
    .await;
    // The others are still connected and served.
    reader.send_ref("ping", json!({}), "ok").await;
    reader.expect_where("pong", |f| f["ref"] == "ok").await;
    drop(stalled);
}
