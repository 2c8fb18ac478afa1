//! The retention job, with the server's clock shifted to make last week happen now.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use serde_json::json;
use server_core::{Clock, Config};

use crate::common::{PASSWORD, TestServer, eventually, files_under};

const DAY: Duration = Duration::from_secs(24 * 3600);

fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(400, 400, image::Rgb([10, 200, 90])))
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

fn stored_files(server: &TestServer) -> usize {
    files_under(&server.config.uploads_dir())
        .into_iter()
        .filter(|p| !p.starts_with(server.config.uploads_dir().join("tmp")))
        .count()
}

#[tokio::test]
async fn old_messages_and_their_files_go_new_ones_stay() {
    let clock = Clock::shiftable();
    let server = TestServer::start_with(|c: &mut Config| c.clock = clock.clone()).await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "history", false).await;

    clock.set_offset(10 * DAY, true);
    let old_text = server.say(&alice, room, "ten days ago").await;
    let (_, old_image) = server.upload(&alice, room, "old.png", &png(), &[]).await;
    let old_url = old_image["message"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    clock.set_offset(6 * DAY, true);
    let recent = server.say(&alice, room, "six days ago").await;
    clock.set_offset(Duration::ZERO, false);
    let (_, new_image) = server.upload(&alice, room, "new.png", &png(), &[]).await;
    let new_url = new_image["message"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(stored_files(&server), 4);

    let dry = server.server().cleanup(true).await.unwrap();
    assert!(dry.messages >= 2, "{dry:?}");
    assert_eq!(dry.files, 1);
    assert!(dry.bytes > 0);
    assert_eq!(stored_files(&server), 4, "a dry run removes nothing");
    let mut watching = server.ws(&alice).await;
    watching
        .expect_none("history_expired", Duration::from_millis(100))
        .await;

    let report = server.server().cleanup(false).await.unwrap();
    assert_eq!(report.messages, dry.messages);
    assert_eq!(report.files, 1);
    // Connected clients are told where history now starts, so they stop showing what expired;
    // those connecting later learn it from `ready`.
    let expired = watching.expect("history_expired").await;
    let before = expired["data"]["before"].as_str().unwrap().to_owned();
    let cutoff = chrono::DateTime::parse_from_rfc3339(&before).unwrap();
    let age = chrono::Utc::now().signed_duration_since(cutoff);
    assert!((age.num_hours() - 7 * 24).abs() <= 1, "7 days back: {before}");
    let later = server.ws(&alice).await;
    assert_eq!(later.ready["data"]["history_starts"], before.as_str());
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    let ids: Vec<&serde_json::Value> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert!(!ids.contains(&&old_text["id"]) && !ids.contains(&&old_image["message"]["id"]));
    assert!(ids.contains(&&recent["id"]) && ids.contains(&&new_image["message"]["id"]));
    let (status, _, _) = server.fetch(&alice, &old_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = server.fetch(&alice, &new_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stored_files(&server),
        2,
        "the old image and its thumbnail are gone from disk"
    );

    let again = server.server().cleanup(false).await.unwrap();
    assert_eq!((again.messages, again.files), (0, 0), "idempotent");
    // New messages still get new, higher ids after old ones were deleted.
    let next = server.say(&alice, room, "still counting").await;
    assert!(next["id"].as_i64() > new_image["message"]["id"].as_i64());
}

#[tokio::test]
async fn zero_days_keeps_everything() {
    let clock = Clock::shiftable();
    let server = TestServer::start_with(|c| {
        c.clock = clock.clone();
        c.retention_days = 0;
    })
    .await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    clock.set_offset(400 * DAY, true);
    server.say(&alice, lobby, "from last year").await;
    clock.set_offset(Duration::ZERO, false);
    let report = server.server().cleanup(false).await.unwrap();
    assert_eq!(report.messages, 0);
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    assert!(history.to_string().contains("from last year"));
}

#[tokio::test]
async fn old_logs_and_unreferenced_uploads_are_swept() {
    let (server, alice, room) = {
        let server = TestServer::start().await;
        let alice = server.register("alice").await;
        let room = server.create_room(&alice, "r", false).await;
        (server, alice, room)
    };
    let (_, kept) = server.upload(&alice, room, "kept.png", &png(), &[]).await;
    let logs = server.config.logs_dir();
    std::fs::create_dir_all(&logs).unwrap();
    let long_ago = filetime::FileTime::from_system_time(SystemTime::now() - 31 * DAY);
    let old_log = logs.join("confab-server.2026-10-01.log");
    let recent_log = logs.join("confab-server.2026-11-01.log");
    std::fs::write(&old_log, "old").unwrap();
    std::fs::write(&recent_log, "recent").unwrap();
    filetime::set_file_mtime(&old_log, long_ago).unwrap();
    // A leftover of a crashed upload, and a file whose message row vanished.
    let uploads = server.config.uploads_dir();
    let stray_tmp = uploads.join("tmp").join("0123.part");
    let orphan_dir = uploads.join("ab");
    std::fs::create_dir_all(&orphan_dir).unwrap();
    let orphan = orphan_dir.join("ab0123456789abcdef0123456789abcd");
    let fresh_orphan = orphan_dir.join("abffffffffffffffffffffffffffffff");
    for path in [&stray_tmp, &orphan, &fresh_orphan] {
        std::fs::write(path, "x").unwrap();
    }
    let two_hours_ago = filetime::FileTime::from_system_time(SystemTime::now() - Duration::from_secs(7200));
    filetime::set_file_mtime(&stray_tmp, two_hours_ago).unwrap();
    filetime::set_file_mtime(&orphan, two_hours_ago).unwrap();

    let report = server.server().cleanup(false).await.unwrap();
    assert_eq!(report.logs, 1);
    assert_eq!(report.orphans, 2);
    assert!(!old_log.exists() && recent_log.exists());
    assert!(!stray_tmp.exists() && !orphan.exists());
    assert!(
        fresh_orphan.exists(),
        "an upload in progress may not have its row yet"
    );
    let (status, _, _) = server
        .fetch(&alice, kept["message"]["attachment"]["url"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "referenced files stay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_see_no_errors_during_a_large_cleanup() {
    let clock = Clock::shiftable();
    let server = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    clock.set_offset(30 * DAY, true);
    let mut filler = server.ws(&alice).await;
    let old = 6000;
    for window in 0..old / 500 {
        for i in 0..500 {
            let content = format!("old {}", window * 500 + i);
            filler
                .send("send_message", json!({"room_id": lobby, "content": content}))
                .await;
        }
        for _ in 0..500 {
            filler.expect("new_message").await;
        }
    }
    clock.set_offset(Duration::ZERO, false);

    let base = server.base.clone();
    let token = bob.token.clone();
    let http = server.http.clone();
    let senders = tokio::spawn(async move {
        let mut statuses = Vec::new();
        for i in 0..150 {
            let status = http
                .post(format!("{base}/api/rooms/{lobby}/messages"))
                .bearer_auth(&token)
                .json(&json!({"content": format!("during cleanup {i}")}))
                .send()
                .await
                .map(|r| r.status());
            statuses.push(status.map_err(|e| e.to_string()));
        }
        statuses
    });
    let report = server.server().cleanup(false).await.unwrap();
    let statuses = senders.await.unwrap();
    assert!(report.messages >= old, "{report:?}");
    assert!(
        statuses.iter().all(|s| *s == Ok(StatusCode::CREATED)),
        "{statuses:?}"
    );
    let (_, history) = server
        .get(
            Some(&bob.token),
            &format!("/api/rooms/{lobby}/messages?limit=200"),
        )
        .await;
    let kept = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["content"]
                .as_str()
                .unwrap_or_default()
                .starts_with("during cleanup")
        })
        .count();
    assert_eq!(kept, 150, "every message sent during the cleanup is kept");
}

#[tokio::test]
async fn a_missed_run_happens_at_start_up() {
    let clock = Clock::shiftable();
    clock.set_offset(10 * DAY, true);
    let mut server = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    server.say(&alice, lobby, "before the holidays").await;
    server.stop().await;
    clock.set_offset(Duration::ZERO, false);
    server.restart().await;
    let (_, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let token = body["token"].as_str().unwrap().to_owned();
    eventually("the start-up run removed the old message", || async {
        let (_, history) = server
            .get(Some(&token), &format!("/api/rooms/{lobby}/messages"))
            .await;
        !history.to_string().contains("before the holidays")
    })
    .await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_cleanup_command_reports_and_removes() {
    let clock = Clock::shiftable();
    clock.set_offset(9 * DAY, true);
    let mut server = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let alice = server.register("alice").await;
    let lobby = server.room_id(&alice, "大厅").await;
    server.say(&alice, lobby, "stale").await;
    server.stop().await;
    let data_dir = server.config.data_dir.clone();
    let database = crate::common::database_args(&server.config);
    let run = |extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_confab-server"))
            .arg("cleanup")
            .args(extra)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(&database)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let dry = run(&["--dry-run"]);
    assert!(
        dry.contains("would remove") && !dry.contains(" 0 messages"),
        "{dry}"
    );
    let real = run(&[]);
    assert!(
        real.starts_with("Removed") && !real.contains(" 0 messages"),
        "{real}"
    );
    let after = run(&["--dry-run"]);
    assert!(after.contains("remove 0 messages"), "{after}");
}
