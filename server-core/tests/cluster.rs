//! Several `confab-server` processes on one PostgreSQL database: a person on any node sees what
//! happens on every node, in one order, and a retried send lands once whichever node takes it;
//! periodic work runs once for all of them.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_core::config::Database;
use server_core::store::Job;
use server_core::{Clock, Error};

use crate::common::{Next, PASSWORD, TestServer, TestUser, WAIT, WsClient, eventually};
use crate::postgres_cluster;

/// Two nodes serving one fresh PostgreSQL database, whatever the suite's backend; `None`
/// (the test then passes, saying why) when PostgreSQL is not installed.
async fn two_nodes() -> Option<(TestServer, TestServer)> {
    let (a, b, _) = nodes_on_one_database().await?;
    Some((a, b))
}

/// [`two_nodes`], and the database's URL to start more nodes on.
async fn nodes_on_one_database() -> Option<(TestServer, TestServer, String)> {
    let database = postgres_cluster::database().await?;
    database.pool.close().await;
    let url = database.url;
    let a = node(&url).await;
    let b = node(&url).await;
    Some((a, b, url))
}

/// Another node on the database at `url`.
async fn node(url: &str) -> TestServer {
    TestServer::start_with(|c| c.database = Some(Database::Postgres(url.to_owned()))).await
}

/// Waits for a presence frame (single or batched) saying `user` is `online`.
pub(crate) async fn expect_presence(ws: &mut WsClient, user: i64, online: bool) {
    let says = |s: &Value| s["user_id"] == user && s["is_online"] == online;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(Next::Frame(f)) if f["event"] == "user_status_update" && says(&f["data"]) => return,
            Some(Next::Frame(f))
                if f["event"] == "user_status_batch"
                    && f["data"]["users"].as_array().unwrap().iter().any(says) =>
            {
                return;
            }
            Some(Next::Frame(_)) => {}
            _ => panic!("no presence frame saying user {user} is online={online}"),
        }
    }
}

/// Whether `server`'s `/api/users/online` lists `user`, as `asker` reads it.
pub(crate) async fn listed_online(server: &TestServer, asker: &TestUser, user: &TestUser) -> bool {
    let (status, body) = server.get(Some(&asker.token), "/api/users/online").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == user.id)
}

/// `user` as a member of `room`, read through `server` by `asker`.
async fn member(server: &TestServer, asker: &TestUser, room: i64, user: &TestUser) -> Value {
    let (status, body) = server
        .get(Some(&asker.token), &format!("/api/rooms/{room}/members"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == user.id)
        .cloned()
        .unwrap_or_else(|| panic!("{} is not a member: {body}", user.name))
}

/// Waits for the `new_message` whose content is `content`.
async fn message(ws: &mut WsClient, content: &str) -> Value {
    ws.expect_where("new_message", |f| f["data"]["message"]["content"] == content)
        .await["data"]["message"]
        .clone()
}

/// `count` messages `"{tag} {n}"` from `user` through `server`, one after another.
async fn say_many(server: &TestServer, user: &TestUser, room: i64, tag: &str, count: usize) {
    for n in 0..count {
        server.say(user, room, &format!("{tag} {n}")).await;
    }
}

#[tokio::test]
async fn people_on_different_nodes_hear_each_other() {
    let Some((a, b)) = two_nodes().await else { return };
    let alice = a.register("alice").await;
    // An account made through one node signs in through the other: one database.
    let bob = b.register("bob").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let mut alice_ws = a.ws(&alice).await;
    let mut bob_ws = b.ws(&bob).await;

    let sent = a.say(&alice, lobby, "hello from node A").await;
    let heard = message(&mut bob_ws, "hello from node A").await;
    assert_eq!(heard["id"], sent["id"]);
    b.say(&bob, lobby, "and back from node B").await;
    message(&mut alice_ws, "and back from node B").await;

    let id = sent["id"].as_i64().unwrap();
    let (status, body) = a
        .put(
            Some(&alice.token),
            &format!("/api/messages/{id}"),
            json!({"content": "hello, edited on A"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let edited = bob_ws.expect("message_updated").await;
    assert_eq!(edited["data"]["message"]["content"], "hello, edited on A");

    let (status, body) = b
        .put(
            Some(&bob.token),
            &format!("/api/messages/{id}/reactions/%F0%9F%91%8D"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reactions = alice_ws.expect("reactions_updated").await;
    assert_eq!(
        reactions["data"]["reactions"],
        json!([{"emoji": "👍", "count": 1, "user_ids": [bob.id]}])
    );

    alice_ws.send("typing_start", json!({"room_id": lobby})).await;
    let typing = bob_ws.expect("typing_update").await;
    assert_eq!(typing["data"]["room_id"], lobby);

    // Signing out through node A closes the session's socket on node B too.
    let mut alice_on_b = b.ws(&alice).await;
    let (status, _) = a.post(Some(&alice.token), "/api/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(alice_on_b.expect_close(Duration::from_secs(10)).await, Some(4401));
}

#[tokio::test]
async fn two_nodes_writing_one_room_deliver_everything_once_and_catch_up_in_one_order() {
    let Some((a, b)) = two_nodes().await else { return };
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let carol = a.register("carol").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let mut on_a = a.ws(&carol).await;
    let mut on_b = b.ws(&carol).await;

    const EACH: usize = 40;
    tokio::join!(
        say_many(&a, &alice, lobby, "a", EACH),
        say_many(&b, &bob, lobby, "b", EACH)
    );

    let mut orders = Vec::new();
    for ws in [&mut on_a, &mut on_b] {
        let mut ids = Vec::new();
        while ids.len() < 2 * EACH {
            // Only the burst: the accounts' "joined" notices may still be crossing when the
            // sockets open, reaching one node's socket and not the other's.
            let frame = ws
                .expect_where("new_message", |f| {
                    let content = f["data"]["message"]["content"].as_str().unwrap_or("");
                    content.starts_with("a ") || content.starts_with("b ")
                })
                .await;
            ids.push(frame["data"]["message"]["id"].as_i64().unwrap());
        }
        orders.push(ids);
    }
    // Each node delivers the room in id order, whichever node stored a message
    // (`cluster_order.rs` checks that closer).
    for ids in &orders {
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 2 * EACH, "each message exactly once: {ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {ids:?}");
    }
    assert_eq!(orders[0], orders[1], "both nodes deliver the same messages");
    // Catching up from any node gives the same, with nothing missing.
    let first = orders[0][0] - 1;
    for server in [&a, &b] {
        let (_, page) = server
            .get(
                Some(&carol.token),
                &format!("/api/rooms/{lobby}/messages?after={first}&limit=100"),
            )
            .await;
        let ids: Vec<i64> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, orders[0]);
    }
}

#[tokio::test]
async fn a_send_retried_through_another_node_is_stored_once() {
    let Some((a, b)) = two_nodes().await else { return };
    let alice = a.register("alice").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let mut on_a = a.ws(&alice).await;
    let mut on_b = b.ws(&alice).await;
    let frame = json!({"room_id": lobby, "content": "sent twice", "client_msg_id": "retry-across"});
    on_a.send_ref("send_message", frame.clone(), "first").await;
    let first = on_a.expect_where("new_message", |f| f["ref"] == "first").await;
    on_b.send_ref("send_message", frame, "again").await;
    let again = on_b.expect_where("new_message", |f| f["ref"] == "again").await;
    assert_eq!(first["data"]["message"]["id"], again["data"]["message"]["id"]);
    let (_, history) = b
        .get(Some(&alice.token), &format!("/api/rooms/{lobby}/messages"))
        .await;
    let copies = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] == "sent twice")
        .count();
    assert_eq!(copies, 1);
}

#[tokio::test]
async fn someone_connected_to_one_node_is_online_on_every_node_until_their_last_socket_closes() {
    let Some((a, b, url)) = nodes_on_one_database().await else {
        return;
    };
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let mut alice_ws = a.ws(&alice).await;

    let bob_ws = b.ws(&bob).await;
    expect_presence(&mut alice_ws, bob.id, true).await;
    assert!(listed_online(&a, &alice, &bob).await, "node A lists bob online");
    let seen = member(&a, &alice, lobby, &bob).await;
    assert_eq!(
        (seen["is_online"].clone(), seen["status"].clone()),
        (json!(true), json!("online"))
    );

    // A node starting later leaves the others' users online.
    let c = node(&url).await;
    assert!(
        listed_online(&a, &alice, &bob).await,
        "still online on A after C started"
    );
    assert!(listed_online(&c, &alice, &bob).await, "node C lists bob online");
    assert_eq!(member(&c, &alice, lobby, &bob).await["is_online"], true);

    // Bob's last socket (on B) closing: offline on every node.
    drop(bob_ws);
    expect_presence(&mut alice_ws, bob.id, false).await;
    for server in [&a, &b, &c] {
        assert!(!listed_online(server, &alice, &bob).await);
        assert_eq!(member(server, &alice, lobby, &bob).await["is_online"], false);
    }
}

#[tokio::test]
async fn the_users_of_a_node_that_stops_beating_go_offline_and_come_back_when_it_beats_again() {
    let Some((a, mut b)) = two_nodes().await else {
        return;
    };
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let mut alice_ws = a.ws(&alice).await;
    let _bob_ws = b.ws(&bob).await;
    expect_presence(&mut alice_ws, bob.id, true).await;

    // Node B freezes: its socket stays open, but it stops telling the others it is alive.
    b.server().pause_heartbeat(true);
    expect_presence(&mut alice_ws, bob.id, false).await;
    eventually("node A no longer lists bob", || async {
        !listed_online(&a, &alice, &bob).await
    })
    .await;

    // It thaws: it joins again with the sockets it still holds.
    b.server().pause_heartbeat(false);
    expect_presence(&mut alice_ws, bob.id, true).await;
    assert!(listed_online(&a, &alice, &bob).await);

    // A node that stops for good takes its users with it.
    b.stop().await;
    expect_presence(&mut alice_ws, bob.id, false).await;
    assert!(!listed_online(&a, &alice, &bob).await);
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// A node on the database at `url` whose clock is `clock`.
async fn node_with_clock(url: &str, clock: &Clock) -> TestServer {
    TestServer::start_with(|c| {
        c.database = Some(Database::Postgres(url.to_owned()));
        c.clock = clock.clone();
    })
    .await
}

/// The demo administrator's token on `server`.
async fn admin_token(server: &TestServer) -> String {
    let (status, body) = server
        .post(
            None,
            "/api/auth/login",
            json!({"username": "admin", "password": "admin123"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// The audit log's entries for retention runs, as `server` lists them.
async fn retention_runs(server: &TestServer, token: &str) -> Vec<Value> {
    let (status, body) = server.get(Some(token), "/api/admin/audit").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "retention")
        .cloned()
        .collect()
}

/// Whether `room`'s history, read through `server`, still holds a message tagged `tag`.
async fn holds(server: &TestServer, token: &str, room: i64, tag: &str) -> bool {
    let (status, history) = server
        .get(Some(token), &format!("/api/rooms/{room}/messages?limit=200"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    history.to_string().contains(tag)
}

#[tokio::test]
async fn a_retention_run_due_on_two_nodes_is_made_once() {
    let Some(database) = postgres_cluster::database().await else {
        return;
    };
    database.pool.close().await;
    let clock = Clock::shiftable();
    clock.set_offset(10 * DAY, true);
    let mut a = node_with_clock(&database.url, &clock).await;
    let mut b = node_with_clock(&database.url, &clock).await;
    let alice = a.register("alice").await;
    let lobby = a.room_id(&alice, "大厅").await;
    say_many(&a, &alice, lobby, "expired through a", 600).await;
    say_many(&b, &alice, lobby, "expired through b", 600).await;
    a.stop().await;
    b.stop().await;

    // Ten days later both nodes start together, each finding the night's run missed.
    clock.set_offset(Duration::ZERO, false);
    tokio::join!(a.restart(), b.restart());
    let token = admin_token(&a).await;
    eventually("the old messages are gone", || async {
        !holds(&b, &token, lobby, "expired through").await
    })
    .await;
    eventually("the run is in the audit log", || async {
        !retention_runs(&a, &token).await.is_empty()
    })
    .await;
    // Give the node that lost the race time to make a second run, were it going to.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let runs = retention_runs(&b, &token).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    // The 1200 said through both nodes, and the welcome messages seeded with the database.
    let removed: u64 = runs[0]["target"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(removed >= 1200, "{runs:?}");
}

#[tokio::test]
async fn no_retention_run_while_another_node_holds_the_job() {
    let Some(database) = postgres_cluster::database().await else {
        return;
    };
    let clock = Clock::shiftable();
    let a = node_with_clock(&database.url, &clock).await;
    let alice = a.register("alice").await;
    let lobby = a.room_id(&alice, "大厅").await;
    clock.set_offset(10 * DAY, true);
    a.say(&alice, lobby, "from before the holidays").await;
    clock.set_offset(Duration::ZERO, false);

    // Another node is in the middle of a run: it holds the job's lock.
    let mut other = database.pool.acquire().await.unwrap();
    sqlx::query("select pg_advisory_lock($1)")
        .bind(Job::Retention.lock_key())
        .execute(&mut *other)
        .await
        .unwrap();
    let refused = a.server().cleanup(false).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Conflict { code, .. } if *code == "retention_running"),
        "{refused:?}"
    );
    assert!(holds(&a, &alice.token, lobby, "from before the holidays").await);

    // It finished: this node may run.
    sqlx::query("select pg_advisory_unlock($1)")
        .bind(Job::Retention.lock_key())
        .execute(&mut *other)
        .await
        .unwrap();
    let report = a.server().cleanup(false).await.unwrap();
    assert!(report.messages >= 1, "{report:?}");
    assert!(!holds(&a, &alice.token, lobby, "from before the holidays").await);
    let token = admin_token(&a).await;
    assert_eq!(retention_runs(&a, &token).await.len(), 1);
}

#[tokio::test]
async fn settings_changed_through_one_node_apply_on_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let token = admin_token(&a).await;
    let alice = a.register("alice").await;
    let (status, body) = a
        .put(
            Some(&token),
            "/api/admin/settings",
            json!({"registration": "closed", "max_upload_mb": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Registering through B is refused once B has heard (each try a new name, in case one
    // gets through before).
    let mut tries = 0;
    eventually("node B refuses registrations", || {
        tries += 1;
        let name = format!("late{tries}");
        let b = &b;
        async move {
            let (status, body) = b
                .post(
                    None,
                    "/api/auth/register",
                    json!({"username": name, "password": PASSWORD}),
                )
                .await;
            status == StatusCode::FORBIDDEN && body["error"]["code"] == "registration_closed"
        }
    })
    .await;

    // B's upload limit is A's new one.
    let (_, info) = b.get(None, "/api/info").await;
    assert_eq!(info["max_upload_bytes"], 1024 * 1024, "{info}");
    let lobby = b.room_id(&alice, "大厅").await;
    let (status, body) = b
        .upload(&alice, lobby, "big.bin", &vec![7u8; 1024 * 1024 + 10], &[])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}
