//! Starting, seeding, serving the web client, and stopping without losing acknowledged
//! messages — through the library API and through the real `confab-server` binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::{Profile, Server};

use crate::common::{PASSWORD, TestServer, WAIT};

#[tokio::test]
async fn graceful_shutdown_keeps_every_acknowledged_message() {
    let mut server = TestServer::start().await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut ws = server.ws(&alice).await;
    let total = 300;
    for i in 0..total {
        ws.send(
            "send_message",
            json!({"room_id": lobby, "content": format!("durable {i}"), "client_msg_id": format!("d{i}")}),
        )
        .await;
    }
    // Shut down while messages are still arriving: after the first 100 acknowledgements.
    let mut acked = Vec::new();
    while acked.len() < 100 {
        let frame = ws.expect("new_message").await;
        acked.push(frame["data"]["message"]["id"].as_i64().unwrap());
    }
    let shutdown = tokio::spawn(async move {
        server.stop().await;
        server
    });
    let close_code = loop {
        match ws.next(WAIT).await {
            Some(crate::common::Next::Frame(frame)) if frame["event"] == "new_message" => {
                acked.push(frame["data"]["message"]["id"].as_i64().unwrap());
            }
            Some(crate::common::Next::Frame(_)) => {}
            Some(crate::common::Next::Closed(frame)) => break frame.map(|f| u16::from(f.code)),
            None => panic!("socket neither closed nor acknowledged"),
        }
    };
    assert_eq!(close_code, Some(1001), "shutdown closes sockets with 1001");
    let mut server = shutdown.await.unwrap();

    server.restart().await;
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().unwrap();
    let (_, history) = server
        .get(Some(token), &format!("/api/rooms/{lobby}/messages?limit=200"))
        .await;
    let mut stored: Vec<i64> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    let mut before = stored.first().copied();
    while let Some(b) = before {
        let (_, page) = server
            .get(
                Some(token),
                &format!("/api/rooms/{lobby}/messages?limit=200&before={b}"),
            )
            .await;
        let older: Vec<i64> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        if older.is_empty() {
            break;
        }
        before = older.first().copied();
        stored.splice(0..0, older);
    }
    for id in &acked {
        assert!(stored.contains(id), "acknowledged message {id} was lost");
    }
    let mut deduped = stored.clone();
    deduped.dedup();
    assert_eq!(deduped.len(), stored.len(), "no duplicates");
}

#[tokio::test]
async fn default_rooms_are_created_once() {
    let mut server = TestServer::start().await;
    server.restart().await;
    server.restart().await;
    let alice = server.register("alice").await;
    let (_, rooms) = server.get(Some(&alice.token), "/api/rooms").await;
    assert_eq!(rooms["rooms"].as_array().unwrap().len(), 3, "{rooms}");
}

#[tokio::test]
async fn demo_accounts_only_where_they_are_safe() {
    let login = |server: &TestServer| {
        let server_base = server.base.clone();
        let http = server.http.clone();
        async move {
            http.post(format!("{server_base}/api/auth/login"))
                .json(&json!({"username": "admin", "password": "admin123"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let dev = TestServer::start_with(|c| c.profile = Profile::Development).await;
    assert_eq!(login(&dev).await, StatusCode::OK);
    let (status, body) = dev
        .post(
            None,
            "/api/auth/login",
            json!({"username": "testuser", "password": "test123"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["is_server_admin"], false);

    let prod = TestServer::start_with(|c| c.profile = Profile::Production).await;
    assert_eq!(login(&prod).await, StatusCode::UNAUTHORIZED);
    let (status, _) = prod.get(None, "/api/health").await;
    assert_eq!(status, StatusCode::OK);

    // Reachable from the network: never, whatever the profile. (And over HTTPS: `--tls auto`.)
    let lan = TestServer::start_with(|c| {
        c.profile = Profile::Development;
        c.bind = "0.0.0.0:0".parse().unwrap();
    })
    .await;
    let (status, _) = crate::lan::https(
        &lan,
        "POST",
        "/api/auth/login",
        Some(json!({"username": "admin", "password": "admin123"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED.as_u16());
    assert!(
        lan.server().urls().len() >= 2,
        "loopback plus LAN addresses: {:?}",
        lan.server().urls()
    );
    assert!(lan.server().urls()[0].starts_with("https://127.0.0.1:"));
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_data_dir_is_private_and_an_existing_one_is_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;

    // It holds password hashes, sessions, messages and uploads: nobody else may read it.
    let fresh = dir.path().join("office").join("confab-data");
    let mut config = server_core::Config::new(&fresh);
    config.bind = "127.0.0.1:0".parse().unwrap();
    Server::start(config).await.unwrap().shutdown().await.unwrap();
    assert_eq!(mode(&fresh), 0o700);

    // An administrator's own choice (say, a group-readable folder for backups) stays.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o750)).unwrap();
    let mut config = server_core::Config::new(&shared);
    config.bind = "127.0.0.1:0".parse().unwrap();
    Server::start(config).await.unwrap().shutdown().await.unwrap();
    assert_eq!(mode(&shared), 0o750);
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = server_core::Config::new(dir.path());
    config.bind = addr;
    let error = match Server::start(config).await {
        Ok(_) => panic!("started on a taken port"),
        Err(e) => e,
    };
    let text = error.to_string();
    assert!(
        text.contains(&addr.to_string()) && text.to_lowercase().contains("in use"),
        "{text}"
    );
}

#[tokio::test]
async fn serves_the_web_client_health_and_cors() {
    let server = TestServer::start().await;
    let response = server.http.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.headers().contains_key("content-security-policy"));
    let etag = response.headers()["etag"].clone();
    assert!(response.text().await.unwrap().contains("Confab"));
    let cached = server
        .http
        .get(server.url("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    let head = server.http.head(server.url("/")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(
        head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let missing = server.http.get(server.url("/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let traversal = server
        .http
        .get(server.url("/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(traversal.status(), StatusCode::NOT_FOUND);

    let (status, health) = server.get(None, "/api/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], server_core::VERSION);

    let preflight = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/api/rooms"))
        .header("origin", "tauri://localhost")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let answered = server
        .http
        .get(server.url("/api/health"))
        .header("origin", "http://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert!(answered.headers().contains_key("access-control-allow-origin"));
}

/// The real binary, started with a throwaway data dir; killed on drop.
struct Binary {
    child: Child,
    base: String,
}

impl Binary {
    fn start(data_dir: &std::path::Path, via_env: bool) -> Binary {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confab-server"));
        if via_env {
            command
                .env("CONFAB_DATA_DIR", data_dir)
                .env("CONFAB_BIND", "127.0.0.1:0")
                .env("CONFAB_PROFILE", "testing");
        } else {
            command
                .args(["--bind", "127.0.0.1:0", "--profile", "testing", "--data-dir"])
                .arg(data_dir);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("confab-server starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Only the URL is read; the rest of the banner goes to a pipe nobody reads any more,
        // which the server must survive.
        let base = loop {
            let line = lines.next().expect("confab-server printed its URL").unwrap();
            if let Some(url) = line.trim().strip_prefix("http://") {
                break format!("http://{}", url.trim_end_matches('/'));
            }
        };
        Binary { child, base }
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_stops_on_sigterm_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let http = reqwest::Client::new();
    let binary = Binary::start(&data, false);
    let body: Value = http
        .post(format!("{}/api/auth/register", binary.base))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    let ws_url = format!("{}/ws", binary.base.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    use futures_util::SinkExt;
    socket
        .send(
            json!({"event": "auth", "data": {"token": token}})
                .to_string()
                .into(),
        )
        .await
        .unwrap();
    let response = http
        .post(format!("{}/api/rooms/1/messages", binary.base))
        .bearer_auth(&token)
        .json(&json!({"content": "survives restarts"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    // The container/service health check agrees.
    let bind = binary.base.trim_start_matches("http://").to_owned();
    let elsewhere = tempfile::tempdir().unwrap();
    let healthy = Command::new(env!("CARGO_BIN_EXE_confab-server"))
        .args(["health", "--bind", &bind])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(healthy.status.success(), "{healthy:?}");
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "a health check creates no data dir or logs"
    );

    let status = tokio::task::spawn_blocking(move || binary.terminate())
        .await
        .unwrap();
    let unhealthy = Command::new(env!("CARGO_BIN_EXE_confab-server"))
        .args(["health", "--bind", &bind])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(!unhealthy.status.success(), "a stopped server is not healthy");
    assert!(status.success(), "SIGTERM is a clean exit: {status:?}");
    // The socket was told the server is going away.
    let mut code = None;
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
        if let Ok(tokio_tungstenite::tungstenite::Message::Close(frame)) = message {
            code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1001));
    assert!(data.join("confab.db").exists());
    assert!(
        !data.join("confab.db-wal").exists()
            || std::fs::metadata(data.join("confab.db-wal")).unwrap().len() == 0,
        "the WAL was checkpointed on shutdown"
    );

    // Configured through CONFAB_* variables this time.
    let binary = Binary::start(&data, true);
    let body: Value = http
        .post(format!("{}/api/auth/login", binary.base))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap();
    let history: Value = http
        .get(format!("{}/api/rooms/1/messages", binary.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(history.to_string().contains("survives restarts"), "{history}");
}
