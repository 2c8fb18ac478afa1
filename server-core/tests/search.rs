//! Message search (`GET /api/search`): languages, filters, who sees what, edits, deletes,
//! retention, paging and bad queries.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::{Clock, Config};

use crate::common::{TestServer, TestUser};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// `GET /api/search` with `params` (q first), as `user`.
async fn search_with(server: &TestServer, user: &TestUser, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    server
        .get(Some(&user.token), &format!("/api/search?{query}"))
        .await
}

/// The contents found for `q`, in result order.
async fn found(server: &TestServer, user: &TestUser, q: &str) -> Vec<String> {
    let (status, body) = search_with(server, user, &[("q", q)]).await;
    assert_eq!(status, StatusCode::OK, "searching {q:?}: {body}");
    contents(&body)
}

fn contents(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {body}"))
        .iter()
        .map(|r| r["message"]["content"].as_str().unwrap().to_owned())
        .collect()
}

/// The `invalid_query` message for `q`.
async fn refused(server: &TestServer, user: &TestUser, q: &str) -> String {
    let (status, body) = search_with(server, user, &[("q", q)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{q:?} should be refused: {body}");
    assert_eq!(body["error"]["code"], "invalid_query", "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn setup() -> (TestServer, TestUser, i64) {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "search-room", false).await;
    (server, alice, room)
}

#[tokio::test]
async fn chinese_one_two_and_longer_queries_and_mixed_scripts() {
    let (server, alice, room) = setup().await;
    for text in [
        "明天部署新版本",
        "部署 v2 完成了",
        "v2部署失败",
        "今天天气很好",
        "我们明天开会",
    ] {
        server.say(&alice, room, text).await;
    }
    assert_eq!(
        sorted(found(&server, &alice, "部署").await),
        ["v2部署失败", "明天部署新版本", "部署 v2 完成了"]
    );
    assert_eq!(
        sorted(found(&server, &alice, "署").await),
        ["v2部署失败", "明天部署新版本", "部署 v2 完成了"]
    );
    assert_eq!(found(&server, &alice, "明天部署").await, ["明天部署新版本"]);
    assert_eq!(found(&server, &alice, "天气").await, ["今天天气很好"]);
    assert!(found(&server, &alice, "部门").await.is_empty());
    assert!(
        found(&server, &alice, "明部").await.is_empty(),
        "characters must be adjacent"
    );
    assert_eq!(
        sorted(found(&server, &alice, "部署 v2").await),
        ["v2部署失败", "部署 v2 完成了"]
    );
    assert_eq!(
        sorted(found(&server, &alice, "v2部署").await),
        ["v2部署失败", "部署 v2 完成了"]
    );

    let (_, body) = search_with(&server, &alice, &[("q", "部署")]).await;
    let hit = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["message"]["content"] == "明天部署新版本")
        .unwrap();
    assert_eq!(hit["highlights"], json!([[2, 4]]), "{hit}");
    assert_eq!(hit["room"]["name"], "search-room");
    assert_eq!(hit["room"]["kind"], "channel");
    assert_eq!(hit["room"]["id"], room);
}

#[tokio::test]
async fn japanese_and_korean() {
    let (server, alice, room) = setup().await;
    server
        .say(&alice, room, "明日新しいバージョンをデプロイします")
        .await;
    server.say(&alice, room, "내일 새 버전을 배포합니다").await;
    server.say(&alice, room, "ガス代").await;
    assert_eq!(
        found(&server, &alice, "デプロイ").await,
        ["明日新しいバージョンをデプロイします"]
    );
    assert_eq!(
        found(&server, &alice, "배포").await,
        ["내일 새 버전을 배포합니다"]
    );
    assert_eq!(
        found(&server, &alice, "버전").await,
        ["내일 새 버전을 배포합니다"]
    );
    assert!(
        found(&server, &alice, "カス").await.is_empty(),
        "voicing marks change a Japanese word"
    );
}

#[tokio::test]
async fn latin_ignores_case_and_accents_and_finds_word_forms() {
    let (server, alice, room) = setup().await;
    for text in [
        "Meet me at the Café",
        "We DEPLOYED the fix",
        "deploying tonight",
        "the deployment plan",
        "nothing here",
    ] {
        server.say(&alice, room, text).await;
    }
    assert_eq!(found(&server, &alice, "cafe").await, ["Meet me at the Café"]);
    assert_eq!(found(&server, &alice, "CAFÉ").await, ["Meet me at the Café"]);
    assert_eq!(
        sorted(found(&server, &alice, "deploy").await),
        ["We DEPLOYED the fix", "deploying tonight", "the deployment plan"]
    );
    let (_, body) = search_with(&server, &alice, &[("q", "cafe")]).await;
    assert_eq!(body["results"][0]["highlights"], json!([[15, 19]]));
    // Phrases must be in order; exclusions leave messages out.
    assert_eq!(
        found(&server, &alice, "\"the fix\"").await,
        ["We DEPLOYED the fix"]
    );
    assert!(found(&server, &alice, "\"fix the\"").await.is_empty());
    assert_eq!(
        sorted(found(&server, &alice, "deploy -tonight").await),
        ["We DEPLOYED the fix", "the deployment plan"]
    );
}

#[tokio::test]
async fn emoji_only_messages_are_not_noise() {
    let (server, alice, room) = setup().await;
    server.say(&alice, room, "🎉🎉🎉").await;
    server.say(&alice, room, "party time 🎉").await;
    server.say(&alice, room, "👍").await;
    assert_eq!(found(&server, &alice, "party").await, ["party time 🎉"]);
    assert_eq!(found(&server, &alice, "time").await, ["party time 🎉"]);
    let message = refused(&server, &alice, "🎉").await;
    assert!(message.contains("nothing to search"), "{message}");
}

#[tokio::test]
async fn filters_narrow_the_results() {
    let clock = Clock::shiftable();
    let server = TestServer::start_with(|c: &mut Config| {
        c.clock = clock.clone();
        c.retention_days = 0;
    })
    .await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let ops = server.create_room(&alice, "ops", false).await;
    let dev = server.create_room(&alice, "dev", false).await;
    for room in [ops, dev] {
        server
            .post(Some(&bob.token), &format!("/api/rooms/{room}/join"), json!({}))
            .await;
    }
    clock.set_offset(10 * DAY, true);
    server.say(&alice, ops, "release notes old").await;
    clock.set_offset(Duration::ZERO, false);
    server.say(&alice, ops, "release notes by alice").await;
    server.say(&bob, ops, "release notes by bob").await;
    server
        .say(&bob, dev, "release notes in dev, see https://example.com/notes")
        .await;
    let (status, _) = server
        .upload(
            &alice,
            dev,
            "notes.txt",
            b"plain text notes",
            &[("caption", "release file")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3])))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (status, _) = server
        .upload(&alice, dev, "shot.png", &png, &[("caption", "release picture")])
        .await;
    assert_eq!(status, StatusCode::CREATED);

    assert_eq!(
        sorted(found(&server, &alice, "release from:bob").await),
        [
            "release notes by bob",
            "release notes in dev, see https://example.com/notes"
        ]
    );
    assert_eq!(
        sorted(found(&server, &alice, "release from:@BOB in:ops").await),
        ["release notes by bob"]
    );
    let (status, body) = search_with(&server, &alice, &[("q", "notes"), ("room_id", &dev.to_string())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        contents(&body),
        ["release notes in dev, see https://example.com/notes"]
    );
    assert_eq!(
        found(&server, &alice, "release has:link").await,
        ["release notes in dev, see https://example.com/notes"]
    );
    assert_eq!(
        sorted(found(&server, &alice, "release has:file").await),
        ["release file", "release picture"]
    );
    assert_eq!(
        found(&server, &alice, "release has:image").await,
        ["release picture"]
    );

    let today = chrono::Utc::now().date_naive();
    let old = today - chrono::Days::new(10);
    assert_eq!(
        found(&server, &alice, &format!("notes on:{old}")).await,
        ["release notes old"]
    );
    assert_eq!(
        found(
            &server,
            &alice,
            &format!("notes before:{}", today - chrono::Days::new(5))
        )
        .await,
        ["release notes old"]
    );
    assert_eq!(
        found(&server, &alice, &format!("notes after:{old} in:ops"))
            .await
            .len(),
        2
    );
    // Filters alone list the newest matches.
    assert_eq!(
        found(&server, &alice, "from:bob").await,
        [
            "release notes in dev, see https://example.com/notes",
            "release notes by bob"
        ]
    );
    assert!(
        refused(&server, &alice, "x from:nobody")
            .await
            .contains("from:nobody")
    );
    assert!(
        refused(&server, &alice, "x in:nowhere")
            .await
            .contains("in:nowhere")
    );
}

#[tokio::test]
async fn is_pinned_finds_only_what_was_pinned_and_stops_when_unpinned() {
    let (server, alice, room) = setup().await;
    let pinned = server.say(&alice, room, "release checklist for v2").await;
    server.say(&alice, room, "release party photos").await;
    let pin = format!("/api/messages/{}/pin", pinned["id"]);
    let (status, body) = server.put(Some(&alice.token), &pin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_eq!(
        found(&server, &alice, "release is:pinned").await,
        ["release checklist for v2"]
    );
    // A filter alone searches too; the pin's own system message is not a result.
    assert_eq!(
        found(&server, &alice, "is:pinned").await,
        ["release checklist for v2"]
    );
    assert_eq!(found(&server, &alice, "release").await.len(), 2);

    let (status, body) = server.delete(Some(&alice.token), &pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(found(&server, &alice, "release is:pinned").await.is_empty());
}

#[tokio::test]
async fn private_rooms_and_direct_messages_stay_private() {
    let (server, alice, public) = setup().await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let secret = server.create_room(&alice, "secret", true).await;
    server.say(&alice, secret, "the launch codes are 1234").await;
    let (status, dm) = server
        .post(Some(&alice.token), "/api/dms", json!({"user_ids": [bob.id]}))
        .await;
    assert!(status.is_success(), "{dm}");
    let dm = dm["room"]["id"].as_i64().unwrap();
    server.say(&alice, dm, "launch party at my place").await;
    for user in [&bob, &carol] {
        server
            .post(Some(&user.token), &format!("/api/rooms/{public}/join"), json!({}))
            .await;
    }
    server.say(&alice, public, "launch is on friday").await;

    assert_eq!(found(&server, &alice, "launch").await.len(), 3);
    assert_eq!(
        sorted(found(&server, &bob, "launch").await),
        ["launch is on friday", "launch party at my place"]
    );
    assert_eq!(found(&server, &carol, "launch").await, ["launch is on friday"]);
    // Naming a room one is not in finds nothing and does not say whether it exists.
    assert!(
        refused(&server, &carol, "launch in:secret")
            .await
            .contains("in:secret")
    );
    let (status, body) = search_with(
        &server,
        &carol,
        &[("q", "launch"), ("room_id", &secret.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(contents(&body).is_empty(), "{body}");
    let (_, body) = search_with(&server, &bob, &[("q", "party")]).await;
    assert_eq!(body["results"][0]["room"]["kind"], "direct");
}

#[tokio::test]
async fn deleted_and_edited_away_text_is_not_found() {
    let (server, alice, room) = setup().await;
    let gone = server.say(&alice, room, "password is hunter2").await;
    let edited = server.say(&alice, room, "meeting on tuesday").await;
    let (status, _) = server
        .delete(Some(&alice.token), &format!("/api/messages/{}", gone["id"]))
        .await;
    assert!(status.is_success());
    let (status, _) = server
        .put(
            Some(&alice.token),
            &format!("/api/messages/{}", edited["id"]),
            json!({"content": "meeting on 星期三"}),
        )
        .await;
    assert!(status.is_success());
    assert!(found(&server, &alice, "hunter2").await.is_empty());
    assert!(found(&server, &alice, "tuesday").await.is_empty());
    assert_eq!(found(&server, &alice, "星期三").await, ["meeting on 星期三"]);
    assert_eq!(found(&server, &alice, "meeting").await, ["meeting on 星期三"]);
}

#[tokio::test]
async fn retention_removes_results() {
    let clock = Clock::shiftable();
    let server = TestServer::start_with(|c: &mut Config| c.clock = clock.clone()).await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "history", false).await;
    clock.set_offset(10 * DAY, true);
    server.say(&alice, room, "ancient 秘密 message").await;
    clock.set_offset(Duration::ZERO, false);
    server.say(&alice, room, "recent 秘密 message").await;
    assert_eq!(found(&server, &alice, "秘密").await.len(), 2);
    server.server().cleanup(false).await.unwrap();
    assert_eq!(found(&server, &alice, "秘密").await, ["recent 秘密 message"]);
    assert_eq!(found(&server, &alice, "ancient").await, Vec::<String>::new());
}

#[tokio::test]
async fn pages_stay_stable_while_messages_arrive() {
    let (server, alice, room) = setup().await;
    for i in 0..25 {
        let filler = " word".repeat(i % 7);
        server
            .say(&alice, room, &format!("status report {i}{filler}"))
            .await;
    }
    for sort in ["relevance", "newest"] {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        for page in 0.. {
            assert!(page < 10, "paging never ends");
            let mut params = vec![("q", "report"), ("limit", "10"), ("sort", sort)];
            if let Some(c) = &cursor {
                params.push(("cursor", c));
            }
            let (status, body) = search_with(&server, &alice, &params).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            seen.extend(contents(&body));
            // New matching messages arrive between pages.
            server
                .say(&alice, room, &format!("{sort} late report {page}"))
                .await;
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{sort}: no result twice: {seen:?}");
        let status = seen.iter().filter(|s| s.starts_with("status")).count();
        assert_eq!(status, 25, "{sort}: every earlier match once: {seen:?}");
        assert!(
            !seen.iter().any(|s| s.starts_with(&format!("{sort} late"))),
            "{sort}: nothing that arrived while paging: {seen:?}"
        );
    }
    let (status, body) = search_with(&server, &alice, &[("q", "report"), ("cursor", "garbage!")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_cursor");
}

#[tokio::test]
async fn relevance_weighs_the_text_and_recency() {
    let (server, alice, room) = setup().await;
    server.say(&alice, room, "deploy deploy deploy").await;
    server
        .say(
            &alice,
            room,
            "a very long message that mentions deploy once among many other words here",
        )
        .await;
    server.say(&alice, room, "deploy now").await;
    let results = found(&server, &alice, "deploy").await;
    assert_eq!(results[0], "deploy deploy deploy");
    assert_eq!(
        results.last().unwrap(),
        "a very long message that mentions deploy once among many other words here"
    );
    let (_, body) = search_with(&server, &alice, &[("q", "deploy"), ("sort", "newest")]).await;
    assert_eq!(contents(&body)[0], "deploy now");
}

#[tokio::test]
async fn bad_queries_get_clear_errors() {
    let (server, alice, room) = setup().await;
    server.say(&alice, room, "something").await;
    assert!(
        refused(&server, &alice, "colour:red x")
            .await
            .contains("colour:red")
    );
    assert!(
        refused(&server, &alice, "x before:2026-02-30")
            .await
            .contains("before:2026-02-30")
    );
    assert!(
        refused(&server, &alice, "x on:tomorrow")
            .await
            .contains("YYYY-MM-DD")
    );
    assert!(refused(&server, &alice, "x has:gif").await.contains("has:gif"));
    assert!(
        refused(&server, &alice, "x is:starred")
            .await
            .contains("is:starred")
    );
    assert!(
        refused(&server, &alice, &"部署".repeat(2000))
            .await
            .contains("too long")
    );
    assert!(
        refused(&server, &alice, "- \"\" -")
            .await
            .contains("nothing to search")
    );
    assert!(refused(&server, &alice, "").await.contains("nothing to search"));
    assert!(refused(&server, &alice, "-something").await.contains("-word"));
    let (status, body) = search_with(&server, &alice, &[("q", "x"), ("sort", "oldest")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = search_with(&server, &alice, &[("q", "x"), ("limit", "0")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = server.get(None, "/api/search?q=x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The server is fine afterwards.
    assert_eq!(found(&server, &alice, "something").await, ["something"]);
}
