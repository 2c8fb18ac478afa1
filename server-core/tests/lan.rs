//! Serving a LAN: the TLS identity (generated once, kept, or the administrator's own), HTTPS and
//! WSS with a client that trusts exactly the server's fingerprint, the plain-HTTP redirect, and
//! what `/api/info` says about the server's identity. All on loopback with `--tls on`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::tls::{identity, pin};
use server_core::{Config, Error, Server, TlsMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{PASSWORD, TestServer, WAIT};

async fn tls_server() -> TestServer {
    TestServer::start_with(|config| config.tls.mode = TlsMode::On).await
}

fn fingerprint_of(server: &TestServer) -> String {
    server
        .server()
        .tls_fingerprint()
        .expect("the server speaks HTTPS")
        .to_owned()
}

/// A TLS connection to `addr` that trusts only the certificate with `fingerprint`.
async fn connect(addr: SocketAddr, fingerprint: &str) -> std::io::Result<TlsStream<TcpStream>> {
    let connector = TlsConnector::from(Arc::new(pin::pinned_client_config(fingerprint)));
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    tokio::time::timeout(WAIT, connector.connect(name, tcp))
        .await
        .map_err(|_| std::io::Error::other("TLS handshake timed out"))?
}

/// One HTTPS request (HTTP/1.1, `Connection: close`) over a connection pinned to the server's
/// fingerprint, on loopback.
pub async fn https(server: &TestServer, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut addr = server.server().local_addr();
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let mut stream = connect(addr, &fingerprint_of(server))
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .expect("answer read");
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} answered non-JSON ({e}): {body}"))
    };
    (status, json)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

#[tokio::test]
async fn identity_is_generated_once_kept_private_and_survives_restarts() {
    let mut server = tls_server().await;
    let first = fingerprint_of(&server);
    assert_eq!(first.len(), 32 * 3 - 1, "{first}");
    assert!(
        first
            .split(':')
            .all(|pair| pair.len() == 2 && pair.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())),
        "{first}"
    );
    let data = &server.config.data_dir;
    let key = data.join(identity::KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is readable by others: {mode:o}");
    }
    // The file on disk is the certificate the server presents.
    assert_eq!(
        identity::fingerprint_of_file(&data.join(identity::CERT_FILE)).unwrap(),
        first
    );
    let key_before = std::fs::read(&key).unwrap();
    let (status, info) = https(&server, "GET", "/api/info", None).await;
    assert_eq!(status, 200);
    assert_eq!(info["tls_fingerprint"], first.as_str());
    let id = info["id"].as_str().expect("a server id").to_owned();
    assert_eq!(id.len(), 32, "{id}");

    server.restart().await;
    assert_eq!(fingerprint_of(&server), first, "a restart made a new identity");
    assert_eq!(std::fs::read(&key).unwrap(), key_before);
    let (_, info) = https(&server, "GET", "/api/info", None).await;
    assert_eq!(info["tls_fingerprint"], first.as_str());
    assert_eq!(info["id"], id.as_str(), "the server id changed across a restart");
}

#[tokio::test]
async fn an_unusable_identity_stops_the_start_with_a_clear_message() {
    let mut server = tls_server().await;
    server.stop().await;
    let key = server.config.data_dir.join(identity::KEY_FILE);
    std::fs::write(
        &key,
        b"-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let error = Server::start(server.config.clone())
        .await
        .err()
        .expect("a start error");
    assert!(matches!(error, Error::Identity { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("identity.key"), "{message}");
    // Never silently replaced: the broken file is still there for the administrator.
    assert!(std::fs::read_to_string(&key).unwrap().contains("broken"));

    // A key without its certificate is not taken as "first start" either.
    std::fs::remove_file(server.config.data_dir.join(identity::CERT_FILE)).unwrap();
    let error = Server::start(server.config.clone())
        .await
        .err()
        .expect("a start error");
    let message = error.to_string();
    assert!(
        message.contains("identity.crt") && message.contains("missing"),
        "{message}"
    );
}

#[tokio::test]
async fn an_administrators_own_certificate_is_used_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["chat.example.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.path().join("chat.pem"), dir.path().join("chat.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let expected = identity::fingerprint(cert.der());

    let server = TestServer::start_with(|config| {
        config.tls.mode = TlsMode::On;
        config.tls.cert = Some(cert_path.clone());
        config.tls.key = Some(key_path.clone());
    })
    .await;
    assert_eq!(fingerprint_of(&server), expected);
    let (status, info) = https(&server, "GET", "/api/info", None).await;
    assert_eq!(status, 200);
    assert_eq!(info["tls_fingerprint"], expected.as_str());
    assert!(
        !server.config.data_dir.join(identity::KEY_FILE).exists(),
        "a server with its own certificate generated one anyway"
    );

    // A key that is not the certificate's is refused at start, naming the file.
    let other = rcgen::KeyPair::generate().unwrap();
    std::fs::write(&key_path, other.serialize_pem()).unwrap();
    let error = Server::start(server.config.clone())
        .await
        .err()
        .expect("a start error");
    assert!(error.to_string().contains("chat.key"), "{error}");
}

#[tokio::test]
async fn https_and_wss_work_for_a_client_pinned_to_the_fingerprint() {
    let server = tls_server().await;
    let (status, body) = https(
        &server,
        "POST",
        "/api/auth/register",
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();

    let stream = connect(server.server().local_addr(), &fingerprint_of(&server))
        .await
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/ws", stream)
        .await
        .expect("the WebSocket upgrades over TLS");
    ws.send(Message::text(
        json!({"event": "auth", "data": {"token": token}}).to_string(),
    ))
    .await
    .unwrap();
    let ready = tokio::time::timeout(WAIT, async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).unwrap();
                if frame["event"] == "ready" {
                    return frame;
                }
            }
        }
        panic!("the socket closed before ready");
    })
    .await
    .expect("ready over WSS");
    assert_eq!(ready["data"]["user"]["username"], "alice", "{ready}");
    assert_eq!(server.server().connection_count(), 1);
}

#[tokio::test]
async fn the_login_throttle_still_sees_the_client_address_over_tls() {
    let server = tls_server().await;
    // Twenty failures from one address across as many usernames: only the address counter
    // can connect them, and it needs the address the TLS connection came from.
    for n in 0..20 {
        let (status, body) = https(
            &server,
            "POST",
            "/api/auth/login",
            Some(json!({"username": format!("guess{n}"), "password": "wrong-wrong"})),
        )
        .await;
        assert_eq!(status, 401, "attempt {n}: {body}");
    }
    let (status, body) = https(
        &server,
        "POST",
        "/api/auth/login",
        Some(json!({"username": "someone-new", "password": "wrong-wrong"})),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
}

#[tokio::test]
async fn a_client_pinned_to_another_fingerprint_fails_in_the_handshake() {
    let server = tls_server().await;
    let wrong = fingerprint_of(&server).replace(|c: char| c.is_ascii_hexdigit(), "0");
    let error = connect(server.server().local_addr(), &wrong)
        .await
        .expect_err("the handshake fails");
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a certificate error: {error:?}"));
    assert!(
        matches!(rustls_error, rustls::Error::InvalidCertificate(_)),
        "{rustls_error:?}"
    );
    // Nothing reached HTTP: the server holds no connection for it, and twenty more tries sent
    // no login — had they, the address's twenty failures would make the next one 429.
    crate::common::eventually("the refused connection is closed", || async {
        server.server().open_connections() == 0
    })
    .await;
    for _ in 0..20 {
        assert!(connect(server.server().local_addr(), &wrong).await.is_err());
    }
    let (status, body) = https(
        &server,
        "POST",
        "/api/auth/login",
        Some(json!({"username": "nobody", "password": "wrong-wrong"})),
    )
    .await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn a_silent_client_blocks_no_one_and_is_dropped_after_the_handshake_timeout() {
    let server = TestServer::start_with(|config| {
        config.tls.mode = TlsMode::On;
        config.timing.tls_handshake_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = server.server().local_addr();
    // One connects and says nothing; another starts a ClientHello and stops halfway.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut halfway = TcpStream::connect(addr).await.unwrap();
    halfway
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .await
        .unwrap();
    // Others are served meanwhile, long before the timeout would free anything.
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let (status, _) = https(&server, "GET", "/api/info", None).await;
        assert_eq!(status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "requests waited for the silent clients: {:?}",
        started.elapsed()
    );
    // And the silent ones are closed once their handshake time is up.
    for stream in [&mut silent, &mut halfway] {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("the server closes a silent connection");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
}

#[tokio::test]
async fn plain_http_api_info_has_an_id_and_no_fingerprint() {
    let mut server = TestServer::start().await;
    assert_eq!(server.server().tls_fingerprint(), None);
    let (status, info) = server.get(None, "/api/info").await;
    assert_eq!(status, StatusCode::OK);
    assert!(info["tls_fingerprint"].is_null(), "{info}");
    let id = info["id"].as_str().expect("an id").to_owned();
    assert_eq!(id, server.server().server_id());
    assert!(
        !server.config.data_dir.join(identity::KEY_FILE).exists(),
        "a plain-HTTP server made a TLS identity"
    );
    server.restart().await;
    let (_, info) = server.get(None, "/api/info").await;
    assert_eq!(info["id"], id.as_str());
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_redirect_port_answers_308_to_the_same_path_over_https() {
    let redirect_port = free_port();
    let server = TestServer::start_with(|config| {
        config.tls.mode = TlsMode::On;
        config.tls.redirect_port = Some(redirect_port);
    })
    .await;
    let https_port = server.server().local_addr().port();
    assert_eq!(
        server.server().redirect_addr().map(|a| a.port()),
        Some(redirect_port)
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let response = client
            .request(
                method.clone(),
                format!("http://127.0.0.1:{redirect_port}/api/info?x=1"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT, "{method}");
        assert_eq!(
            response.headers()["location"],
            format!("https://127.0.0.1:{https_port}/api/info?x=1").as_str()
        );
        assert!(
            response.headers().get("strict-transport-security").is_none(),
            "HSTS would lock a later plain-HTTP setup out"
        );
    }
}

#[tokio::test]
async fn a_redirect_port_without_tls_is_a_start_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path().join("data"));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.tls.redirect_port = Some(free_port());
    let error = Server::start(config).await.err().expect("a start error");
    assert!(error.to_string().contains("--http-redirect-port"), "{error}");
}

#[tokio::test]
async fn the_health_command_checks_an_https_server_against_its_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bind = format!("127.0.0.1:{}", free_port());
    let binary = env!("CARGO_BIN_EXE_confab-server");
    let mut server = std::process::Command::new(binary)
        .args([
            "--tls",
            "on",
            "--profile",
            "testing",
            "--bind",
            &bind,
            "--data-dir",
        ])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let health = |tls: &str| {
        std::process::Command::new(binary)
            .args(["health", "--tls", tls, "--bind", &bind, "--data-dir"])
            .arg(&data)
            .output()
            .unwrap()
    };
    let mut healthy = false;
    for _ in 0..100 {
        if health("on").status.success() {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Plain HTTP to an HTTPS port is not an answer.
    let plain = health("off");
    let _ = server.kill();
    let _ = server.wait();
    assert!(healthy, "the health check never passed over TLS");
    assert!(!plain.status.success(), "{plain:?}");
}
