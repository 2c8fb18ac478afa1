//! The logs never hold a secret: the real `confab-server`, at the most detailed level, through
//! a whole account's life (register, log in, authenticate a WebSocket, change the password),
//! writes no token, password or password hash to its terminal or its log files.

#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::common::files_under;

#[tokio::test]
async fn no_log_level_prints_a_token_password_or_hash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let stdout_path = dir.path().join("stdout.txt");
    let stderr_path = dir.path().join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab-server"))
        .args(["--bind", "127.0.0.1:0", "--profile", "testing", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::from(std::fs::File::create(&stdout_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&stderr_path).unwrap()))
        .spawn()
        .expect("confab-server starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    let base = loop {
        let printed = std::fs::read_to_string(&stdout_path).unwrap_or_default();
        if let Some(url) = printed
            .lines()
            .find_map(|line| line.trim().strip_prefix("http://"))
        {
            break format!("http://{}", url.trim_end_matches('/'));
        }
        assert!(Instant::now() < deadline, "confab-server printed no URL");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let first_password = "Lantern-Quokka-4417";
    let second_password = "Marble-Heron-9083";
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| http.post(format!("{base}{path}")).json(&body);
    let registered: Value = post(
        "/api/auth/register",
        json!({"username": "dana", "password": first_password}),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let first_token = registered["token"].as_str().expect("registered").to_owned();
    let logged_in: Value = post(
        "/api/auth/login",
        json!({"username": "dana", "password": first_password}),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let second_token = logged_in["token"].as_str().expect("logged in").to_owned();

    let ws_url = format!("{}/ws", base.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    socket
        .send(Message::Text(
            json!({"event": "auth", "data": {"token": second_token}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let ready = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                if text.contains("\"ready\"") {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "the socket authenticated");

    let changed = http
        .put(format!("{base}/api/auth/change-password"))
        .bearer_auth(&second_token)
        .json(&json!({"current_password": first_password, "new_password": second_password}))
        .send()
        .await
        .unwrap();
    assert!(changed.status().is_success(), "{}", changed.status());
    let again = post(
        "/api/auth/login",
        json!({"username": "dana", "password": second_password}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let third_token = again.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(socket);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap();
    assert!(status.unwrap().success());

    let mut logs = vec![stdout_path, stderr_path];
    logs.extend(files_under(&data.join("logs")));
    assert!(logs.len() > 2, "the server wrote a log file: {logs:?}");
    for path in &logs {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        for (what, secret) in [
            ("the registration token", first_token.as_str()),
            ("the login token", second_token.as_str()),
            ("the token after the password change", third_token.as_str()),
            ("the first password", first_password),
            ("the new password", second_password),
            ("a password hash", "$argon2"),
        ] {
            assert!(!text.contains(secret), "{} holds {what}", path.display());
        }
        if !path.ends_with("stdout.txt") {
            // The search looked at real logs of this run.
            assert!(
                text.contains("confab server started"),
                "{}: {text}",
                path.display()
            );
        }
    }
}
