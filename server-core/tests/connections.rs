//! Connections that send nothing, too slowly, or too many at once: the server closes or refuses
//! them and keeps answering everyone else. "Other machines" are other loopback addresses
//! (127.0.0.2, …), which Linux routes to this one; 127.0.0.1 is this machine, which the
//! per-address cap leaves alone by default.

#![cfg(target_os = "linux")]

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use crate::common::{TestServer, eventually};

/// Longest any test here waits for the server to close a connection it should close.
const CLOSE_BOUND: Duration = Duration::from_secs(10);

/// A TCP connection to `server` from the loopback address `from`.
async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.expect("connects")
}

/// How a connection ended, read until it closes or `within` passes.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Closed by the server; with what it wrote first, if anything.
    Closed(String),
    /// Still open after `within`.
    Open,
}

async fn end_of(stream: &mut TcpStream, within: Duration) -> End {
    let mut seen = Vec::new();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return End::Open,
            Ok(Ok(0)) | Ok(Err(_)) => return End::Closed(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Median time `GET /api/health` takes over `tries` fresh connections from 127.0.0.1.
async fn health_median(server: &TestServer, tries: usize) -> Duration {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut times = Vec::new();
    for _ in 0..tries {
        let started = Instant::now();
        let response = tokio::time::timeout(CLOSE_BOUND, client.get(server.url("/api/health")).send())
            .await
            .expect("health answers while silent connections are open")
            .expect("health answers");
        assert_eq!(response.status(), StatusCode::OK);
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// The attack of issue 11: hundreds of connections that never send a byte used to be held
/// forever (the HTTP version sniffing waited for a first byte with no timeout) until the server
/// ran out of file descriptors and `/api/health` stopped answering.
#[tokio::test]
async fn silent_connections_are_closed_and_health_answers_meanwhile() {
    let server = TestServer::start_with(|config| config.timing.head_timeout = Duration::from_secs(1)).await;
    let addr = server.server().local_addr();
    let quiet = health_median(&server, 5).await;

    let silent = 200;
    let mut streams = Vec::new();
    for _ in 0..silent {
        streams.push(connect_from("127.0.0.2", addr).await);
    }
    eventually("the server has accepted every silent connection", || async {
        server.server().open_connections() >= silent
    })
    .await;
    let busy = health_median(&server, 5).await;
    eprintln!(
        "health median: {quiet:?} alone, {busy:?} beside {silent} silent connections ({:.1}×)",
        busy.as_secs_f64() / quiet.as_secs_f64().max(1e-6)
    );

    let ends = futures_util::future::join_all(streams.iter_mut().map(|s| end_of(s, CLOSE_BOUND))).await;
    let closed = ends.iter().filter(|end| matches!(end, End::Closed(_))).count();
    assert_eq!(closed, silent, "every silent connection is closed by the server");
    eventually("the server has let go of them", || async {
        server.server().open_connections() == 0
    })
    .await;
}

/// A head sent one byte at a time gets no more time than a silent one, and a kept-alive
/// connection that goes quiet after its answer is closed too.
#[tokio::test]
async fn slow_heads_and_idle_kept_alive_connections_are_closed() {
    let server = TestServer::start_with(|config| config.timing.head_timeout = Duration::from_secs(1)).await;
    let addr = server.server().local_addr();

    let mut dribbling = connect_from("127.0.0.2", addr).await;
    dribbling
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut cut_off = false;
    for i in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if dribbling
            .write_all(format!("x-{i}: y\r\n").as_bytes())
            .await
            .is_err()
        {
            cut_off = true;
            break;
        }
        if started.elapsed() > CLOSE_BOUND {
            break;
        }
    }
    // Writes can still succeed for a moment after the close; reading tells for sure.
    assert!(
        cut_off
            || matches!(
                end_of(&mut dribbling, Duration::from_millis(500)).await,
                End::Closed(_)
            ),
        "a head still unfinished after the head timeout is cut off"
    );

    let mut kept = connect_from("127.0.0.2", addr).await;
    kept.write_all(b"GET /api/health HTTP/1.1\r\nhost: confab\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    match end_of(&mut kept, CLOSE_BOUND).await {
        End::Closed(_) => {}
        End::Open => panic!("an idle kept-alive connection is closed after the head timeout"),
    }
}

/// HTTP/2 without TLS is not served: a client that opens with the HTTP/2 preface gets no
/// HTTP/2 session (whose idle connections would answer pings forever) and is closed.
#[tokio::test]
async fn cleartext_http2_is_not_offered() {
    let server = TestServer::start().await;
    let mut stream = connect_from("127.0.0.2", server.server().local_addr()).await;
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    match end_of(&mut stream, CLOSE_BOUND).await {
        End::Closed(answer) => assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 "),
            "answered as HTTP/2: {answer:?}"
        ),
        End::Open => panic!("an HTTP/2 preface is not held open"),
    }
}

/// One address cannot hold more than its share, the server as a whole holds no more than its
/// cap, and what is over either is turned away at once while everyone already connected (and
/// every other address, until the total is reached) is served.
#[tokio::test]
async fn connection_caps_refuse_quickly_and_keep_serving_others() {
    let mut server = TestServer::start_with(|config| {
        config.timing.head_timeout = Duration::from_secs(60);
        config.connections.max_total = 40;
        config.connections.max_per_address = 10;
    })
    .await;
    let addr = server.server().local_addr();
    // No kept-alive connections of the test's own, so the server's count is exactly ours.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    server.http = fresh.clone();
    let alice = server.register("alice").await;
    let mut ws = server.ws(&alice).await;

    // One machine opens 15 silent connections: 10 are held, 5 turned away at once.
    let mut greedy = Vec::new();
    for _ in 0..15 {
        greedy.push(connect_from("127.0.0.2", addr).await);
    }
    let ends =
        futures_util::future::join_all(greedy.iter_mut().map(|s| end_of(s, Duration::from_secs(2)))).await;
    let refused: Vec<&String> = ends
        .iter()
        .filter_map(|end| match end {
            End::Closed(answer) => Some(answer),
            End::Open => None,
        })
        .collect();
    assert_eq!(refused.len(), 5, "{ends:?}");
    for answer in refused {
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 503"),
            "a refusal is a 503 or a plain close: {answer:?}"
        );
    }
    // A refused client that did send a request reads why.
    let mut asking = connect_from("127.0.0.2", addr).await;
    let _ = asking
        .write_all(b"GET /api/health HTTP/1.1\r\nhost: confab\r\n\r\n")
        .await;
    match end_of(&mut asking, CLOSE_BOUND).await {
        End::Closed(answer) => assert!(
            answer.is_empty() || answer.contains("too_many_connections"),
            "{answer:?}"
        ),
        End::Open => panic!("a connection over the per-address cap is not held"),
    }

    // Another machine, and this one, are served as before.
    let mut other = connect_from("127.0.0.3", addr).await;
    other
        .write_all(b"GET /api/health HTTP/1.1\r\nhost: confab\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    match end_of(&mut other, CLOSE_BOUND).await {
        End::Closed(answer) => assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}"),
        End::Open => panic!("connection: close was not honoured"),
    }
    let response = fresh.get(server.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Fill the server: 1 WebSocket + 10 greedy + 29 more from three other machines = 40.
    eventually("only the WebSocket and the greedy ten are left", || async {
        server.server().open_connections() == 11
    })
    .await;
    let mut crowd = Vec::new();
    for (from, count) in [("127.0.0.4", 10), ("127.0.0.5", 10), ("127.0.0.6", 9)] {
        for _ in 0..count {
            crowd.push(connect_from(from, addr).await);
        }
    }
    eventually("the server holds 40 connections", || async {
        server.server().open_connections() == 40
    })
    .await;
    let mut late = connect_from("127.0.0.7", addr).await;
    assert!(
        matches!(end_of(&mut late, CLOSE_BOUND).await, End::Closed(_)),
        "a connection over the total cap is not held"
    );
    // Whoever is already connected keeps being served.
    ws.send_ref("ping", json!({}), "full").await;
    ws.expect_where("pong", |f| f["ref"] == "full").await;

    // Slots come back as connections close.
    drop(crowd);
    drop(greedy);
    eventually("the silent connections' slots are free again", || async {
        server.server().open_connections() == 1
    })
    .await;
    let response = fresh.get(server.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    ws.send_ref("ping", json!({}), "after").await;
    ws.expect_where("pong", |f| f["ref"] == "after").await;
}

/// The attack exactly as reported: the real `confab-server` under a 256-file limit, 300 silent
/// connections from one machine. The server keeps descriptors for itself and answers health
/// checks throughout, instead of running out of descriptors.
#[tokio::test]
async fn the_binary_under_a_small_file_limit_outlasts_300_silent_connections() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    // `ulimit -n` lowers the hard limit too, so the server cannot raise it back.
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_confab-server"))
        .args(["--bind", "127.0.0.1:0", "--profile", "testing", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("confab-server starts");
    let stdout = child.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines.next().expect("confab-server printed its URL").unwrap();
            if let Some(url) = line.trim().strip_prefix("http://") {
                return format!("http://{}", url.trim_end_matches('/'));
            }
        }
    })
    .await
    .unwrap();
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(connect_from("127.0.0.2", addr).await);
    }
    for _ in 0..5 {
        let response = fresh
            .get(format!("{base}/api/health"))
            .send()
            .await
            .expect("health answers beside 300 silent connections");
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The server holds only one address's share of them: 256 files less 128 kept back, a
    // quarter of that per address.
    let ends =
        futures_util::future::join_all(silent.iter_mut().map(|s| end_of(s, Duration::from_millis(500))))
            .await;
    let held = ends.iter().filter(|end| **end == End::Open).count();
    assert!(
        held <= 32,
        "{held} of 300 silent connections held under a 256-file limit"
    );
    drop(silent);
    let _ = child.kill();
    let _ = child.wait();
}
