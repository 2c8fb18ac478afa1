//! Backups: an archive of a running server under write load restores into a fresh data dir
//! with every acknowledged message and file; restore refuses what it must.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use server_core::{Config, Profile, Server, backup};
use tokio_util::sync::CancellationToken;

use crate::admin_users::server_with_admin;
use crate::common::{PASSWORD, TestServer, TestUser};

/// Every message content of `room`, paging back through history.
async fn all_contents(server: &TestServer, user: &TestUser, room: i64) -> HashSet<String> {
    let mut contents = HashSet::new();
    let mut before: Option<i64> = None;
    for _ in 0..100 {
        let path = match before {
            Some(id) => format!("/api/rooms/{room}/messages?limit=100&before={id}"),
            None => format!("/api/rooms/{room}/messages?limit=100"),
        };
        let (status, body) = server.get(Some(&user.token), &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let messages = body["messages"].as_array().unwrap();
        for m in messages {
            contents.insert(m["content"].as_str().unwrap().to_owned());
        }
        before = messages.iter().filter_map(|m| m["id"].as_i64()).min();
        if body["has_more"] != true || before.is_none() {
            return contents;
        }
    }
    panic!("history did not end");
}

async fn login(server: &TestServer, name: &str) -> TestUser {
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    TestUser {
        id: body["user"]["id"].as_i64().unwrap(),
        name: name.to_owned(),
        token: body["token"].as_str().unwrap().to_owned(),
    }
}

/// Starts a server on `data_dir` as the harness would (a restored copy).
async fn start_on(data_dir: std::path::PathBuf) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(data_dir);
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.profile = Profile::Production;
    config.timing = crate::common::test_timing();
    config.limits.rate_limits = false;
    let server = Server::start(config.clone())
        .await
        .expect("restored server starts");
    let base = format!("http://{}", server.local_addr());
    TestServer::adopt(server, dir, config, base)
}

#[tokio::test]
async fn a_backup_under_write_load_restores_every_acknowledged_message_and_file() {
    // The archive holds an SQLite snapshot; a PostgreSQL database is backed up with pg_dump.
    if crate::common::sqlite_only("backup archives snapshot the SQLite database") {
        return;
    }
    let (server, boss) = server_with_admin().await;
    let lobby = server.room_id(&boss, "大厅").await;
    let (status, upload) = server
        .upload(&boss, lobby, "report.txt", b"quarterly numbers", &[])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{upload}");
    let file_url = upload["message"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    // A writer that keeps sending until told to stop (at most 2000 messages).
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = CancellationToken::new();
    let writer = {
        let (http, url, token) = (
            server.http.clone(),
            server.url(&format!("/api/rooms/{lobby}/messages")),
            boss.token.clone(),
        );
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            for i in 0..2000 {
                if stop.is_cancelled() {
                    break;
                }
                let content = format!("load {i}");
                let response = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"content": content}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                acknowledged.lock().unwrap().push(content);
            }
        })
    };
    crate::common::eventually("some messages are acknowledged", || {
        let acknowledged = acknowledged.clone();
        async move { acknowledged.lock().unwrap().len() >= 20 }
    })
    .await;
    let before_backup: Vec<String> = acknowledged.lock().unwrap().clone();

    let (status, headers, archive) = server.fetch(&boss, "/api/admin/backup").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-tar");
    // The writer was never stopped by the backup: it goes on being acknowledged.
    let seen = before_backup.len();
    crate::common::eventually("messages go on being acknowledged", || {
        let acknowledged = acknowledged.clone();
        async move { acknowledged.lock().unwrap().len() > seen }
    })
    .await;
    stop.cancel();
    writer.await.unwrap();

    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("backup.tar");
    std::fs::write(&file, &archive).unwrap();
    let restored_dir = scratch.path().join("restored");
    backup::restore(&file, &restored_dir).await.expect("restore");

    let restored = start_on(restored_dir.clone()).await;
    let boss_again = login(&restored, "boss").await;
    let contents = all_contents(&restored, &boss_again, lobby).await;
    for content in &before_backup {
        assert!(
            contents.contains(content),
            "{content} is missing after the restore"
        );
    }
    let (status, _, bytes) = restored.fetch(&boss_again, &file_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"quarterly numbers");

    // Restoring twice into the same place is refused: nothing is overwritten.
    let error = backup::restore(&file, &restored_dir)
        .await
        .expect_err("not empty");
    assert_eq!(error.code(), "data_dir_not_empty");
    let (_, audit) = server.get(Some(&boss.token), "/api/admin/audit").await;
    assert_eq!(audit["entries"][0]["action"], "backup");
}

#[tokio::test]
async fn the_command_line_backs_up_a_running_server_and_restore_refuses_other_files() {
    // The archive holds an SQLite snapshot; a PostgreSQL database is backed up with pg_dump.
    if crate::common::sqlite_only("backup archives snapshot the SQLite database") {
        return;
    }
    let (server, boss) = server_with_admin().await;
    let lobby = server.room_id(&boss, "大厅").await;
    server.say(&boss, lobby, "kept by the cli backup").await;
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("cli.tar");
    let progress = Arc::new(Mutex::new(0u64));
    let seen = progress.clone();
    let done = backup::backup_to_file(&server.config, &out, move |p| *seen.lock().unwrap() = p.files)
        .await
        .expect("backup");
    assert!(done.files >= 1 && *progress.lock().unwrap() == done.files);

    let restored_dir = scratch.path().join("restored");
    backup::restore(&out, &restored_dir).await.expect("restore");
    let restored = start_on(restored_dir).await;
    let boss_again = login(&restored, "boss").await;
    assert!(
        all_contents(&restored, &boss_again, lobby)
            .await
            .contains("kept by the cli backup")
    );

    let junk = scratch.path().join("junk.tar");
    std::fs::write(&junk, b"not an archive at all").unwrap();
    let error = backup::restore(&junk, &scratch.path().join("elsewhere"))
        .await
        .expect_err("junk");
    assert_eq!(error.code(), "invalid_backup");

    let alice = server.register("alice").await;
    let (status, body) = server.get(Some(&alice.token), "/api/admin/backup").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "not_server_admin");
}
