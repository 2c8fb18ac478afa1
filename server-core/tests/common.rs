//! Test harness: a real server on `127.0.0.1:0` with a fresh data dir, and HTTP / WebSocket
//! clients that talk to it exactly as a user's client would. The server's database is SQLite in
//! that data dir, or with `CONFAB_TEST_DATABASE=postgres` a fresh database of its own on the
//! test binary's PostgreSQL cluster (`support/postgres.rs`), so the suite runs on either.

#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::{Config, Database, Profile, RunningServer, Server, Timing};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const PASSWORD: &str = "correct-horse-42";
/// How long a test waits for an event it expects.
pub const WAIT: Duration = Duration::from_secs(10);

/// The database the suite's servers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `CONFAB_TEST_DATABASE`: `sqlite` (the default) or `postgres`.
#[track_caller]
pub fn backend() -> Backend {
    match std::env::var("CONFAB_TEST_DATABASE").as_deref() {
        Err(_) | Ok("" | "sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("CONFAB_TEST_DATABASE={other}: expected sqlite or postgres"),
    }
}

/// A database for one more server: none on SQLite (the data dir's file), a fresh, empty
/// PostgreSQL database otherwise.
pub async fn fresh_database() -> Option<Database> {
    match backend() {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let database = crate::postgres_cluster::database()
                .await
                .expect("CONFAB_TEST_DATABASE=postgres needs PostgreSQL installed");
            // The server opens its own connections; the harness's would only take slots.
            database.pool.close().await;
            Some(Database::Postgres(database.url))
        }
    }
}

/// True, saying so on stderr, when the suite runs on PostgreSQL and `what` (a check of
/// SQLite's own files or features) does not apply there: the caller skips that part.
pub fn sqlite_only(what: &str) -> bool {
    let skip = backend() == Backend::Postgres;
    if skip {
        eprintln!("skipped on PostgreSQL: {what}");
    }
    skip
}

/// The command-line flags that point a `confab-server` command at `config`'s database.
pub fn database_args(config: &Config) -> Vec<String> {
    match &config.database {
        // The test cluster's URLs hold no password.
        Some(Database::Postgres(url)) => vec!["--database".to_owned(), url.clone()],
        Some(Database::Sqlite(path)) => vec!["--database".to_owned(), format!("sqlite://{}", path.display())],
        None => Vec::new(),
    }
}

pub struct TestServer {
    server: Option<RunningServer>,
    pub dir: TempDir,
    pub config: Config,
    pub base: String,
    pub http: reqwest::Client,
}

pub struct TestUser {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// Timers short enough for tests, long enough not to fire by accident.
pub fn test_timing() -> Timing {
    Timing {
        auth_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(60),
        typing_ttl: Duration::from_millis(800),
        presence_interval: Duration::from_millis(100),
        // Long enough that no test sees anyone go away unless it shortens it.
        away_after: Duration::from_secs(600),
        shutdown_grace: Duration::from_secs(5),
        // A frozen node's users go offline within 1.5 s; a beat late by more on a busy
        // machine only makes its users blink, and it joins again at the next one.
        heartbeat: Duration::from_millis(500),
        // Lost hints a node notices are repaired at once; tests that need the periodic
        // check shorten it.
        cluster_check: Duration::from_secs(30),
        head_timeout: Duration::from_secs(5),
        tls_handshake_timeout: Duration::from_secs(5),
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// A server on SQLite whatever the suite's backend: for tests that compare with SQLite or
    /// read its file (the schema parity tests, the migration's source).
    pub async fn start_on_sqlite() -> TestServer {
        TestServer::start_with(|c| c.database = Some(Database::Sqlite(c.database_path()))).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(dir.path().join("data"));
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.profile = Profile::Testing;
        config.timing = test_timing();
        // Tests send faster than people; the limits have their own tests (`limits.rs`).
        config.limits.rate_limits = false;
        // Tests talk over loopback only: a server bound to every interface must not announce
        // itself on this machine's real networks (the discovery tests make their own).
        config.discovery.enabled = false;
        config.database = fresh_database().await;
        adjust(&mut config);
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = format!("http://{}", server.local_addr());
        TestServer {
            server: Some(server),
            dir,
            config,
            base,
            http: reqwest::Client::new(),
        }
    }

    /// Wraps a server started elsewhere (e.g. on a restored data dir); `dir` is kept alive.
    pub fn adopt(server: RunningServer, dir: TempDir, config: Config, base: String) -> TestServer {
        TestServer {
            server: Some(server),
            dir,
            config,
            base,
            http: reqwest::Client::new(),
        }
    }

    /// A client of a server running elsewhere (a `confab-server` process) at `base`; `dir`
    /// is kept alive with it. The library-only calls ([`TestServer::server`], `restart`,
    /// `stop`) do not apply to it.
    pub fn remote(base: String, dir: TempDir) -> TestServer {
        let config = Config::new(dir.path().join("data"));
        TestServer {
            server: None,
            dir,
            config,
            base,
            http: reqwest::Client::new(),
        }
    }

    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("server is running")
    }

    /// Graceful shutdown, then a new server on the same data dir (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        let server = Server::start(self.config.clone()).await.expect("server restarts");
        self.base = format!("http://{}", server.local_addr());
        self.server = Some(server);
    }

    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http", "ws", 1))
    }

    async fn call(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{method} {path} answered non-JSON ({e}): {text}"))
        };
        (status, json)
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, token, path, None).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, token, path, Some(body)).await
    }

    pub async fn patch(&self, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PATCH, token, path, Some(body)).await
    }

    pub async fn put(&self, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, token, path, Some(body)).await
    }

    pub async fn delete(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, token, path, None).await
    }

    /// Registers `name` with [`PASSWORD`].
    pub async fn register(&self, name: &str) -> TestUser {
        let (status, body) = self
            .post(
                None,
                "/api/auth/register",
                json!({"username": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "registering {name}: {body}");
        TestUser {
            id: body["user"]["id"].as_i64().expect("user id"),
            name: name.to_owned(),
            token: body["token"].as_str().expect("token").to_owned(),
        }
    }

    /// The id of the room called `name` as `user` sees the room list.
    pub async fn room_id(&self, user: &TestUser, name: &str) -> i64 {
        let (status, body) = self.get(Some(&user.token), "/api/rooms").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{} cannot see room {name}: {body}", user.name))["id"]
            .as_i64()
            .unwrap()
    }

    /// Creates a room owned by `user`; returns its id.
    pub async fn create_room(&self, user: &TestUser, name: &str, private: bool) -> i64 {
        let (status, body) = self
            .post(
                Some(&user.token),
                "/api/rooms",
                json!({"name": name, "is_private": private}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "creating {name}: {body}");
        body["room"]["id"].as_i64().unwrap()
    }

    /// Posts `content` to `room` over REST; returns the message.
    pub async fn say(&self, user: &TestUser, room: i64, content: &str) -> Value {
        let (status, body) = self
            .post(
                Some(&user.token),
                &format!("/api/rooms/{room}/messages"),
                json!({"content": content}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{} saying {content:?}: {body}",
            user.name
        );
        body["message"].clone()
    }

    /// Uploads `bytes` as `file_name` to `room` with optional extra text parts.
    pub async fn upload(
        &self,
        user: &TestUser,
        room: i64,
        file_name: &str,
        bytes: &[u8],
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("file", Some(file_name), bytes)];
        for (name, value) in extra {
            parts.push((name, None, value.as_bytes()));
        }
        let (content_type, body) = multipart(&parts);
        let response = self
            .http
            .post(self.url(&format!("/api/rooms/{room}/uploads")))
            .bearer_auth(&user.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("upload request");
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON upload answer: {text}")),
        )
    }

    /// Fetches `path` (a file URL) as `user`: status, headers, body.
    pub async fn fetch(
        &self,
        user: &TestUser,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&user.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// Opens a socket without authenticating.
    pub async fn ws_raw(&self) -> WsClient {
        let (stream, _) = tokio_tungstenite::connect_async(self.ws_url())
            .await
            .expect("ws connects");
        WsClient {
            stream,
            ready: Value::Null,
        }
    }

    /// Opens a socket as `user` and waits for `ready`.
    pub async fn ws(&self, user: &TestUser) -> WsClient {
        let mut ws = self.ws_raw().await;
        ws.send("auth", json!({"token": user.token})).await;
        ws.ready = ws.expect("ready").await;
        ws
    }
}

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `ready` frame this socket received.
    pub ready: Value,
}

pub enum Next {
    Frame(Value),
    Closed(Option<CloseFrame>),
}

impl WsClient {
    pub async fn send(&mut self, event: &str, data: Value) {
        self.send_json(json!({"event": event, "data": data})).await;
    }

    pub async fn send_ref(&mut self, event: &str, data: Value, reference: &str) {
        self.send_json(json!({"event": event, "data": data, "ref": reference}))
            .await;
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.send_raw(Message::Text(frame.to_string().into())).await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.expect("ws send");
    }

    /// The next text frame or the close, within `within`; `None` on timeout.
    pub async fn next(&mut self, within: Duration) -> Option<Next> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()?;
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Some(Next::Frame(
                        serde_json::from_str(&text).expect("server frames are JSON"),
                    ));
                }
                Some(Ok(Message::Close(frame))) => return Some(Next::Closed(frame)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Next::Closed(None)),
            }
        }
    }

    /// Waits for the next `event` frame for which `wanted` holds, skipping others.
    pub async fn expect_where(&mut self, event: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let mut skipped = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(Next::Frame(frame)) if frame["event"] == event && wanted(&frame) => return frame,
                Some(Next::Frame(frame)) => skipped.push(frame),
                Some(Next::Closed(close)) => {
                    panic!("socket closed ({close:?}) while waiting for {event}; saw {skipped:?}")
                }
                None => panic!("no {event} within {WAIT:?}; saw {skipped:?}"),
            }
        }
    }

    /// Waits for the next `event` frame, skipping others.
    pub async fn expect(&mut self, event: &str) -> Value {
        self.expect_where(event, |_| true).await
    }

    /// Asserts that no `event` frame matching `wanted` arrives within `within`.
    pub async fn expect_none_where(
        &mut self,
        event: &str,
        within: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            match self.next(left).await {
                Some(Next::Frame(frame)) if frame["event"] == event && wanted(&frame) => {
                    panic!("unexpected {event}: {frame}")
                }
                Some(Next::Frame(_)) => {}
                Some(Next::Closed(_)) | None => return,
            }
        }
    }

    pub async fn expect_none(&mut self, event: &str, within: Duration) {
        self.expect_none_where(event, within, |_| true).await;
    }

    /// Waits for the server to close the socket; returns the close code (skipping frames).
    pub async fn expect_close(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(Next::Frame(_)) => continue,
                Some(Next::Closed(frame)) => return frame.map(|f| u16::from(f.code)),
                None => panic!("socket still open after {within:?}"),
            }
        }
    }
}

/// A multipart/form-data body of `(name, file name, bytes)` parts, built by hand so tests control
/// every byte (file names with `../`, NUL, …).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "confab-test-boundary-7d3f9";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(file_name) => {
                // `UTF-8''…` names go in RFC 5987 form, as browsers send non-ASCII names.
                let param = match file_name.strip_prefix("UTF-8''") {
                    Some(_) => format!("filename*={file_name}"),
                    None => format!("filename=\"{file_name}\""),
                };
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; {param}\r\n").as_bytes(),
                );
                body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
            }
            None => body
                .extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes()),
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// Polls `check` until it returns true or `WAIT` passes.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}
