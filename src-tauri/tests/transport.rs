//! The desktop's pinned transport against a real Confab server speaking HTTPS on loopback:
//! first contact (probe, then pin), REST and WebSocket over the pinned connection, a wrong pin
//! stopped in the handshake before anything is sent, and a replaced server identity blocked.

use std::time::{Duration, Instant};

use bytes::Bytes;
use confab_desktop::error::Error;
use confab_desktop::pins::{Pins, Verdict};
use confab_desktop::transport::{self, Transport};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server_core::{Config, Profile, RunningServer, Server, TlsMode};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "correct horse battery";

async fn start(data: &std::path::Path, tls: TlsMode) -> RunningServer {
    let mut config = Config::new(data.to_path_buf());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = tls;
    config.discovery.enabled = false;
    config.limits.rate_limits = false;
    Server::start(config).await.expect("the server starts")
}

fn address(server: &RunningServer) -> String {
    server.local_addr().to_string()
}

async fn call(
    transport: &Transport,
    address: &str,
    fingerprint: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value), Error> {
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let response = transport
        .request(address, fingerprint, request.body(body).unwrap())
        .await?;
    let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    Ok((response.status().as_u16(), json))
}

async fn next_event(socket: &mut transport::Socket, event: &str) -> Value {
    tokio::time::timeout(WAIT, async {
        while let Some(frame) = socket.next().await {
            if let Message::Text(text) = frame.expect("a frame") {
                let frame: Value = serde_json::from_str(&text).unwrap();
                if frame["event"] == event {
                    return frame;
                }
            }
        }
        panic!("the socket closed before {event}");
    })
    .await
    .unwrap_or_else(|_| panic!("no {event} in time"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_pin_then_rest_and_websocket_over_the_pinned_connection() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On).await;
    let address = address(&server);
    let fingerprint = server.tls_fingerprint().unwrap().to_owned();

    // First contact: the probe reports what the handshake presented, and the id to pin it to.
    let probe = transport::probe(&address).await.unwrap();
    assert_eq!(probe.fingerprint, fingerprint);
    assert_eq!(probe.address, address);
    assert_eq!(probe.id.len(), 32, "{probe:?}");
    let mut pins = Pins::default();
    assert_eq!(pins.check(&probe.sighting()), Verdict::New);
    pins.pin(&probe.sighting(), 1);
    assert_eq!(pins.observe(&probe.sighting(), 2), Verdict::Pinned);
    let pinned = pins.at(&address).unwrap().fingerprint.clone();

    let transport = Transport::default();
    let (status, body) = call(
        &transport,
        &address,
        &pinned,
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &transport,
        &address,
        &pinned,
        "POST",
        "/api/rooms",
        Some(&token),
        Some(json!({"name": "lan"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let room = body["room"]["id"].as_i64().unwrap();

    let mut socket = transport::websocket(&address, &pinned, "/ws").await.unwrap();
    socket
        .send(Message::text(
            json!({"event": "auth", "data": {"token": token}}).to_string(),
        ))
        .await
        .unwrap();
    let ready = next_event(&mut socket, "ready").await;
    assert_eq!(ready["data"]["user"]["username"], "alice", "{ready}");
    socket
        .send(Message::text(
            json!({"event": "send_message", "data": {"room_id": room, "content": "hello over TLS"}})
                .to_string(),
        ))
        .await
        .unwrap();
    let message = next_event(&mut socket, "new_message").await;
    assert_eq!(
        message["data"]["message"]["content"], "hello over TLS",
        "{message}"
    );

    // And the message is there for a REST reader too.
    let (status, body) = call(
        &transport,
        &address,
        &pinned,
        "GET",
        &format!("/api/rooms/{room}/messages"),
        Some(&token),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("hello over TLS"), "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_fails_in_the_handshake_and_nothing_reaches_the_server() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On).await;
    let address = address(&server);
    let right = server.tls_fingerprint().unwrap().to_owned();
    let wrong = right.replace(|c: char| c.is_ascii_hexdigit(), "0");
    let transport = Transport::default();

    let error = call(
        &transport,
        &address,
        &wrong,
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await
    .expect_err("the handshake fails");
    assert_eq!(error.code(), "certificate_mismatch", "{error}");
    let error = transport::websocket(&address, &wrong, "/ws")
        .await
        .expect_err("the WebSocket's handshake fails too");
    assert_eq!(error.code(), "certificate_mismatch", "{error}");

    // The registration never arrived: the name is still free.
    let (status, body) = call(
        &transport,
        &address,
        &right,
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_identity_is_blocked_and_the_old_pin_no_longer_connects() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On).await;
    let address = address(&server);
    let probe = transport::probe(&address).await.unwrap();
    let mut pins = Pins::default();
    pins.pin(&probe.sighting(), 1);
    let port = server.local_addr().port();
    server.shutdown().await.unwrap();

    // The host's identity files are gone (a reinstall, a lost disk): a new certificate, the
    // same server id, on the same port.
    for file in [
        server_core::tls::identity::KEY_FILE,
        server_core::tls::identity::CERT_FILE,
    ] {
        std::fs::remove_file(data.path().join(file)).unwrap();
    }
    let mut config = Config::new(data.path().to_path_buf());
    config.bind = format!("127.0.0.1:{port}").parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.discovery.enabled = false;
    let server = Server::start(config).await.unwrap();

    let again = transport::probe(&address).await.unwrap();
    assert_eq!(again.id, probe.id, "the same server");
    assert_ne!(again.fingerprint, probe.fingerprint, "a new certificate");
    let before = pins.clone();
    assert_eq!(
        pins.observe(&again.sighting(), 2),
        Verdict::Changed {
            pinned: probe.fingerprint.clone(),
            presented: again.fingerprint.clone(),
        }
    );
    assert_eq!(pins, before, "nothing learned from the changed server");
    let error = Transport::default()
        .request(
            &address,
            &probe.fingerprint,
            http::Request::get("/api/auth/me").body(Bytes::new()).unwrap(),
        )
        .await
        .expect_err("the old pin refuses the new certificate");
    assert_eq!(error.code(), "certificate_mismatch");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_server_is_not_probed_as_https() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::Off).await;
    let error = transport::probe(&address(&server)).await.unwrap_err();
    assert_eq!(error.code(), "unreachable", "{error}");
    server.shutdown().await.unwrap();
}

/// The cost of the pinned transport against the direct path (reqwest over plain HTTP for
/// REST, tokio-tungstenite over plain TCP for the WebSocket) on loopback. Prints figures for
/// docs/performance.md: `cargo test -p confab-desktop --test transport --release -- --ignored
/// --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn measure_round_trips() {
    const ROUNDS: u32 = 500;
    let tls_data = tempfile::tempdir().unwrap();
    let plain_data = tempfile::tempdir().unwrap();
    let tls = start(tls_data.path(), TlsMode::On).await;
    let plain = start(plain_data.path(), TlsMode::Off).await;
    let address = address(&tls);
    let fp = tls.tls_fingerprint().unwrap().to_owned();
    let transport = Transport::default();
    let client = reqwest::Client::new();
    let plain_base = format!("http://{}", plain.local_addr());

    let per = |start: Instant| start.elapsed() / ROUNDS;
    // Warm both paths (connections, caches).
    for _ in 0..20 {
        call(&transport, &address, &fp, "GET", "/api/info", None, None)
            .await
            .unwrap();
        client.get(format!("{plain_base}/api/info")).send().await.unwrap();
    }
    let t = Instant::now();
    for _ in 0..ROUNDS {
        call(&transport, &address, &fp, "GET", "/api/info", None, None)
            .await
            .unwrap();
    }
    let rest_pinned = per(t);
    let t = Instant::now();
    for _ in 0..ROUNDS {
        let r = client.get(format!("{plain_base}/api/info")).send().await.unwrap();
        let _ = r.bytes().await.unwrap();
    }
    let rest_direct = per(t);

    let token_tls = register(&transport, &address, &fp).await;
    let mut pinned_socket = transport::websocket(&address, &fp, "/ws").await.unwrap();
    let ws_pinned = authed_ping_rounds(&mut pinned_socket, &token_tls, ROUNDS).await;
    let (status, body) = {
        let r = client
            .post(format!("{plain_base}/api/auth/register"))
            .json(&json!({"username": "bench", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 201, "{body}");
    let token_plain = body["token"].as_str().unwrap().to_owned();
    let (mut plain_socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", plain.local_addr()))
        .await
        .unwrap();
    let ws_direct = authed_ping_rounds(&mut plain_socket, &token_plain, ROUNDS).await;

    println!(
        "REST GET /api/info round trip: pinned {rest_pinned:?}, direct {rest_direct:?}, ratio {:.2}",
        ratio(rest_pinned, rest_direct)
    );
    println!(
        "WS ping/pong round trip: pinned {ws_pinned:?}, direct {ws_direct:?}, ratio {:.2}",
        ratio(ws_pinned, ws_direct)
    );
    tls.shutdown().await.unwrap();
    plain.shutdown().await.unwrap();
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

async fn register(transport: &Transport, address: &str, fp: &str) -> String {
    let (status, body) = call(
        transport,
        address,
        fp,
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"username": "bench", "password": PASSWORD})),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn authed_ping_rounds<S>(
    socket: &mut tokio_tungstenite::WebSocketStream<S>,
    token: &str,
    rounds: u32,
) -> Duration
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    socket
        .send(Message::text(
            json!({"event": "auth", "data": {"token": token}}).to_string(),
        ))
        .await
        .unwrap();
    next_ready(socket).await;
    for _ in 0..20 {
        ping(socket).await;
    }
    let t = Instant::now();
    for _ in 0..rounds {
        ping(socket).await;
    }
    t.elapsed() / rounds
}

async fn next_ready<S>(socket: &mut tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("\"ready\"") => return,
            Some(Ok(_)) => {}
            other => panic!("socket ended before ready: {other:?}"),
        }
    }
}

async fn ping<S>(socket: &mut tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    socket
        .send(Message::text(json!({"event": "ping", "data": {}}).to_string()))
        .await
        .unwrap();
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("\"pong\"") => return,
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_server_is_followed_and_a_copy_without_its_certificate_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On).await;
    let first = transport::probe(&address(&server)).await.unwrap();
    let mut pins = Pins::default();
    pins.pin(&first.sighting(), 1);
    server.shutdown().await.unwrap();

    // The same server (data and identity) at another address: followed without a question.
    let mut config = Config::new(data.path().to_path_buf());
    config.bind = "127.0.0.2:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.discovery.enabled = false;
    let moved = Server::start(config).await.unwrap();
    let seen = transport::probe(&address(&moved)).await.unwrap();
    assert_eq!(pins.observe(&seen.sighting(), 2), Verdict::Moved);
    assert_eq!(pins.at(&address(&moved)).unwrap().id, first.id);
    let (status, _) = call(
        &Transport::default(),
        &address(&moved),
        &pins.at(&address(&moved)).unwrap().fingerprint,
        "GET",
        "/api/info",
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    moved.shutdown().await.unwrap();

    // A copy of its data without its identity (so: its id, another certificate) elsewhere.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if entry.file_type().unwrap().is_file() && !name.to_string_lossy().starts_with("identity.") {
            std::fs::copy(entry.path(), copy.path().join(&name)).unwrap();
        }
    }
    let mut config = Config::new(copy.path().to_path_buf());
    config.bind = "127.0.0.3:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.discovery.enabled = false;
    let impostor = Server::start(config).await.unwrap();
    let claimed = transport::probe(&address(&impostor)).await.unwrap();
    assert_eq!(claimed.id, first.id, "it claims the pinned id");
    let before = pins.clone();
    assert!(matches!(
        pins.observe(&claimed.sighting(), 3),
        Verdict::Impostor { .. }
    ));
    assert_eq!(pins, before, "nothing learned from it");
    impostor.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_gone_from_its_saved_address_is_followed_to_another_last_known_one() {
    let data = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let server = start(data.path(), TlsMode::On).await;
    let fingerprint = server.tls_fingerprint().unwrap().to_owned();
    let saved = address(&server);
    // Another server (another certificate) that answers at a known address: not followed there.
    let stranger = start(other.path(), TlsMode::On).await;
    server.shutdown().await.unwrap();

    // The same server (data and identity) back on another of its last known addresses.
    let mut config = Config::new(data.path().to_path_buf());
    config.bind = "127.0.0.2:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.discovery.enabled = false;
    let moved = Server::start(config).await.unwrap();
    let elsewhere = [address(&stranger), address(&moved)];

    let transport = Transport::default();
    let get = || http::Request::get("/api/info").body(Bytes::new()).unwrap();
    // Without the other addresses it simply fails, as before.
    let alone = transport
        .request_following(&saved, &[], &fingerprint, get())
        .await;
    assert!(matches!(alone, Err(Error::Unreachable { .. })), "{alone:?}");

    let (answer, followed) = transport
        .request_following(&saved, &elsewhere, &fingerprint, get())
        .await
        .expect("followed to where it answers with its certificate");
    assert_eq!(answer.status(), 200);
    assert_eq!(followed.as_deref(), Some(address(&moved).as_str()));
    assert_eq!(transport.route(&saved), address(&moved));
    // From then on straight there, with nothing more to follow.
    let (answer, followed) = transport
        .request_following(&saved, &elsewhere, &fingerprint, get())
        .await
        .unwrap();
    assert_eq!((answer.status().as_u16(), followed), (200, None));

    // A request that may change something is not sent twice: it fails, the next goes through.
    let fresh = Transport::default();
    let post = http::Request::post("/api/auth/register")
        .header("content-type", "application/json")
        .body(Bytes::from(
            json!({"username": "bob", "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let once = fresh
        .request_following(&saved, &elsewhere, &fingerprint, post)
        .await;
    assert!(matches!(once, Err(Error::Unreachable { .. })), "{once:?}");
    assert_eq!(fresh.route(&saved), address(&moved));

    // With only the stranger left, nothing is followed.
    moved.shutdown().await.unwrap();
    let lost = Transport::default()
        .request_following(&saved, &[address(&stranger)], &fingerprint, get())
        .await;
    assert!(matches!(lost, Err(Error::Unreachable { .. })), "{lost:?}");
    stranger.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_a_certificate_from_a_trusted_authority_needs_no_fingerprint_check() {
    use confab_desktop::verify::Roots;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

    // The office's own authority, installed as a root on this computer (here: an extra root),
    // and a certificate it issued for the server's address.
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let cert_path = data.path().join("office.crt");
    let key_path = data.path().join("office.key");
    std::fs::write(&cert_path, format!("{}{}", leaf.pem(), ca.pem())).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let mut config = Config::new(data.path().join("data"));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.tls.cert = Some(cert_path);
    config.tls.key = Some(key_path);
    config.discovery.enabled = false;
    let server = Server::start(config)
        .await
        .expect("the server starts with the office certificate");
    let at = address(&server);
    let roots = Roots::with_extra(vec![ca.der().clone()]).unwrap();

    // The probe says the authority vouches for it: nobody is asked to compare fingerprints.
    let probe = transport::probe_with(&at, Some(roots.clone())).await.unwrap();
    assert!(probe.by_roots, "{probe:?}");
    // Without that authority it is one more unknown certificate, to be compared by a person.
    assert!(
        !transport::probe_with(&at, Roots::platform())
            .await
            .unwrap()
            .by_roots
    );

    // Requests go through whatever pin is on file (a renewed certificate is no alarm)…
    let unrelated_pin = "AB".repeat(32);
    let vouched = Transport::with_roots(Some(roots.clone()));
    let (status, body) = call(&vouched, &at, &unrelated_pin, "GET", "/api/info", None, None)
        .await
        .unwrap();
    assert_eq!((status, body["id"].as_str()), (200, Some(probe.id.as_str())));
    let socket = transport::websocket_with(&at, &unrelated_pin, "/ws", Some(roots)).await;
    assert!(socket.is_ok(), "{:?}", socket.err());
    // …but never to a self-signed server that does not present its pin.
    let own = tempfile::tempdir().unwrap();
    let self_signed = start(own.path(), TlsMode::On).await;
    let refused = call(
        &vouched,
        &address(&self_signed),
        &unrelated_pin,
        "GET",
        "/api/info",
        None,
        None,
    )
    .await;
    assert!(
        matches!(refused, Err(Error::CertificateMismatch { .. })),
        "{refused:?}"
    );
    assert!(
        !transport::probe_with(&address(&self_signed), vouched.roots())
            .await
            .unwrap()
            .by_roots
    );
    self_signed.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}
