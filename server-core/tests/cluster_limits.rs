//! Limits on a cluster: two nodes on one PostgreSQL database count one budget. Before they
//! were shared, each node kept its own counters, so N nodes gave an attacker N times the
//! login guesses, messages, registrations and upload quota, and a user's sockets spread over
//! nodes escaped the cap. Below the API, two nodes' stores racing for one bucket, and the
//! purge that keeps the counters' tables bounded.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::config::Database;
use server_core::store::LimitStore;
use server_core::store::limits::BucketRate;
use server_core::store::postgres::PgStore;
use server_core::{Config, Rate};

use crate::common::{Next, PASSWORD, TestServer, WAIT, eventually};
use crate::postgres_cluster;

const HOUR: Duration = Duration::from_secs(3600);

/// Two nodes on one fresh PostgreSQL database, both configured by `adjust`; `None` (the test
/// then passes) when PostgreSQL is not installed.
async fn two_nodes(adjust: impl Fn(&mut Config)) -> Option<(TestServer, TestServer)> {
    let database = postgres_cluster::database().await?;
    database.pool.close().await;
    let mut nodes = Vec::new();
    for _ in 0..2 {
        nodes.push(
            TestServer::start_with(|c| {
                c.database = Some(Database::Postgres(database.url.clone()));
                adjust(c);
            })
            .await,
        );
    }
    let b = nodes.pop()?;
    let a = nodes.pop()?;
    Some((a, b))
}

async fn login(server: &TestServer, username: &str, password: &str) -> (StatusCode, Value) {
    server
        .post(
            None,
            "/api/auth/login",
            json!({"username": username, "password": password}),
        )
        .await
}

#[tokio::test]
async fn login_failures_through_two_nodes_add_up_to_one_accounts_throttle() {
    let Some((a, b)) = two_nodes(|_| {}).await else {
        return;
    };
    a.register("alice").await;
    // Five free failures for the account: three through A, two through B.
    for (server, tries) in [(&a, 3), (&b, 2)] {
        for _ in 0..tries {
            let (status, body) = login(server, "alice", "wrong password").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        }
    }
    // The sixth guess waits, on either node (one node alone saw at most three).
    for server in [&a, &b] {
        let (status, body) = login(server, "alice", "another guess").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "too_many_attempts");
        assert!(body["error"]["retry_after"].as_u64().unwrap() >= 1, "{body}");
    }
    // A device that signed in through A is trusted by B too, so the owner still gets in.
    let bob = a.register("bob").await;
    let (status, body) = a
        .post(
            None,
            "/api/auth/login",
            json!({"username": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let device = body["device_token"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        login(&a, "bob", "wrong").await;
    }
    assert_eq!(login(&b, "bob", "wrong").await.0, StatusCode::TOO_MANY_REQUESTS);
    let (status, body) = b
        .post(
            None,
            "/api/auth/login",
            json!({"username": "bob", "password": PASSWORD, "device_token": device}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{} through B with A's device token: {body}",
        bob.name
    );
}

#[tokio::test]
async fn a_message_bucket_drained_through_two_nodes_is_refused_on_either() {
    let Some((a, b)) = two_nodes(|c| {
        c.limits.rate_limits = true;
        c.limits.messages = Rate::new(10, 10 * HOUR);
    })
    .await
    else {
        return;
    };
    let alice = a.register("alice").await;
    let lobby = a.room_id(&alice, "大厅").await;
    for i in 0..5 {
        a.say(&alice, lobby, &format!("through A {i}")).await;
        b.say(&alice, lobby, &format!("through B {i}")).await;
    }
    for server in [&a, &b] {
        let (status, body) = server
            .post(
                Some(&alice.token),
                &format!("/api/rooms/{lobby}/messages"),
                json!({"content": "one too many"}),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "rate_limited");
        // One token per hour (10 h / 10), less what the seconds of the test refilled.
        let wait = body["error"]["retry_after"].as_u64().unwrap();
        assert!((3540..=3600).contains(&wait), "{body}");
    }
    // The refused messages were not stored.
    let (_, page) = b
        .get(
            Some(&alice.token),
            &format!("/api/rooms/{lobby}/messages?limit=100"),
        )
        .await;
    assert!(!page.to_string().contains("one too many"), "{page}");
    // Another user has a bucket of their own.
    let bob = b.register("bob").await;
    b.say(&bob, lobby, "hello").await;
}

#[tokio::test]
async fn registrations_from_one_address_are_counted_across_nodes() {
    let Some((a, b)) = two_nodes(|c| {
        c.limits.rate_limits = true;
        c.limits.registrations = Rate::new(3, HOUR);
    })
    .await
    else {
        return;
    };
    a.register("user1").await;
    b.register("user2").await;
    a.register("user3").await;
    for (server, name) in [(&b, "user4"), (&a, "user5")] {
        let (status, body) = server
            .post(
                None,
                "/api/auth/register",
                json!({"username": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}: {body}");
        assert_eq!(body["error"]["code"], "rate_limited");
        // One account per 3,600 s / 3, less what the seconds of hashing passwords refilled.
        let wait = body["error"]["retry_after"].as_u64().unwrap();
        assert!((1140..=1200).contains(&wait), "{body}");
    }
}

#[tokio::test]
async fn the_upload_quota_is_one_across_nodes() {
    let Some((a, b)) = two_nodes(|c| {
        c.limits.rate_limits = true;
        c.limits.upload_bytes_per_day = 100 * 1024;
    })
    .await
    else {
        return;
    };
    let alice = a.register("alice").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let file = vec![7u8; 60 * 1024];
    let (status, body) = a.upload(&alice, lobby, "first.bin", &file, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = b.upload(&alice, lobby, "second.bin", &file, &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "upload_quota_exceeded");
    let wait = body["error"]["retry_after"].as_u64().unwrap();
    assert!(wait > 24 * 3600 - 600 && wait <= 24 * 3600, "{wait}");
    // What is left still fits, through either node.
    let (status, body) = b.upload(&alice, lobby, "small.bin", &[1u8; 1024], &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn the_sockets_per_user_cap_counts_every_node() {
    let Some((a, b)) = two_nodes(|c| c.limits.sockets_per_user = 2).await else {
        return;
    };
    let alice = a.register("alice").await;
    let mut on_a = vec![a.ws(&alice).await, a.ws(&alice).await];
    // Node A holds both of alice's sockets: B refuses a third with the cap's close code.
    let mut third = b.ws_raw().await;
    third
        .send_ref("auth", json!({"token": alice.token}), "auth")
        .await;
    let mut refusal = None;
    let code = loop {
        match third.next(WAIT).await {
            Some(Next::Frame(f)) if f["event"] == "error" => refusal = Some(f),
            Some(Next::Frame(f)) => panic!("a third socket was let in: {f}"),
            Some(Next::Closed(frame)) => break frame.map(|f| u16::from(f.code)),
            None => panic!("the third socket is still open"),
        }
    };
    assert_eq!(code, Some(4429));
    let refusal = refusal.expect("an error event before the close");
    assert_eq!(refusal["data"]["code"], "rate_limited", "{refusal}");
    // A's sockets were not disturbed.
    for ws in &mut on_a {
        ws.send_ref("ping", json!({}), "p").await;
        assert_eq!(ws.expect("pong").await["ref"], "p");
    }
    // Once one of them closes, B lets alice in.
    drop(on_a.pop());
    eventually("B admits alice once A holds one socket", || async {
        let mut ws = b.ws_raw().await;
        ws.send("auth", json!({"token": alice.token})).await;
        matches!(ws.next(WAIT).await, Some(Next::Frame(f)) if f["event"] == "ready")
    })
    .await;
}

/// Two nodes' stores (two pools) on one fresh database; `None` without PostgreSQL.
async fn two_stores() -> Option<(PgStore, PgStore, sqlx::PgPool)> {
    let db = postgres_cluster::database().await?;
    let a = PgStore::open_with(db.options.clone()).await.unwrap();
    let b = PgStore::open_with(db.options.clone()).await.unwrap();
    Some((a, b, db.pool))
}

#[tokio::test]
async fn two_nodes_racing_for_one_bucket_spend_each_token_once() {
    let Some((a, b, _pool)) = two_stores().await else {
        return;
    };
    let key = [7u8; 16];
    let rate = BucketRate {
        burst: 10,
        period_ms: 10_000,
    };
    let now = 1_000_000;
    let takes = (0..40).map(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        async move { store.take_token(&key, rate, now).await.unwrap().granted }
    });
    let granted = futures_util::future::join_all(takes)
        .await
        .into_iter()
        .filter(|granted| *granted)
        .count();
    assert_eq!(granted, 10, "the burst, once, across both nodes");
    // A second later one token is back (10 per 10 s), for one of the two.
    let later = now + 1_000;
    let first = a.take_token(&key, rate, later).await.unwrap();
    let second = b.take_token(&key, rate, later).await.unwrap();
    assert!(first.granted && !second.granted, "{first:?} {second:?}");
    // A node whose clock lags a minute does not refill the bucket by moving it back.
    let lagging = b.take_token(&key, rate, later - 60_000).await.unwrap();
    assert!(!lagging.granted, "{lagging:?}");
}

#[tokio::test]
async fn counters_that_hold_nobody_back_are_purged() {
    let Some((a, _b, pool)) = two_stores().await else {
        return;
    };
    let rate = BucketRate {
        burst: 2,
        period_ms: 60_000,
    };
    let t0 = 10_000_000;
    let window = 15 * 60_000;
    a.take_token(&[1; 16], rate, t0).await.unwrap();
    a.record_login_failure(&[([2; 16], true), ([3; 16], false)], window, t0)
        .await
        .unwrap();
    a.charge_upload(&[4; 16], 100, 1_000, true, t0, (t0 - 86_400_000, 3_600_000))
        .await
        .unwrap()
        .unwrap();
    let rows = || async {
        let mut counts = Vec::new();
        for table in ["limit_buckets", "login_failures", "upload_usage"] {
            let sql = format!("select count(*) from {table}");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap();
            counts.push(n);
        }
        counts
    };
    // Still holding someone back: nothing goes.
    assert_eq!(a.purge_limits(t0 + 1, t0 - 86_400_000).await.unwrap(), 0);
    assert_eq!(rows().await, [1, 2, 1]);
    // The bucket is full again after its period, the failures aged out after their window,
    // the upload after a day.
    let day_later = t0 + 86_400_000;
    assert_eq!(
        a.purge_limits(day_later, day_later - 86_400_000).await.unwrap(),
        4
    );
    assert_eq!(rows().await, [0, 0, 0]);
}
