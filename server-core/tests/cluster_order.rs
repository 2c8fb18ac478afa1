//! A room's messages reach every socket of a cluster in id order with no hole, whichever node
//! stored them, and a node whose listener connection was cut repairs what it missed.

use std::time::Duration;

use serde_json::json;
use server_core::config::Database;
use sqlx::PgPool;

use crate::common::{Next, TestServer, TestUser, WAIT, WsClient};
use crate::postgres_cluster;

/// A node on the database at `url`, its connections named `name` (`{name} listener`…).
async fn node(url: &str, name: &str) -> TestServer {
    let url = format!("{url}&application_name={name}");
    TestServer::start_with(|c| c.database = Some(Database::Postgres(url))).await
}

/// Two nodes, "node-a" and "node-b", on one fresh database; `None` without PostgreSQL.
async fn two_nodes() -> Option<(TestServer, TestServer, postgres_cluster::TestDatabase)> {
    let database = postgres_cluster::database().await?;
    let a = node(&database.url, "node-a").await;
    let b = node(&database.url, "node-b").await;
    Some((a, b, database))
}

/// Ends node B's listening connection to the database; one `true` per connection ended.
async fn cut_b_listener(pool: &PgPool) -> Vec<bool> {
    sqlx::query_scalar(
        r#"select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and application_name = 'node-b listener'"#,
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The ids of the room's messages after `after`, oldest first, as `server` pages them.
async fn history_after(server: &TestServer, user: &TestUser, room: i64, after: i64) -> Vec<i64> {
    let (_, page) = server
        .get(
            Some(&user.token),
            &format!("/api/rooms/{room}/messages?after={after}&limit=200"),
        )
        .await;
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// The newest message id of `room`.
async fn newest(server: &TestServer, user: &TestUser, room: i64) -> i64 {
    let (_, page) = server
        .get(Some(&user.token), &format!("/api/rooms/{room}/messages?limit=1"))
        .await;
    page["messages"][0]["id"].as_i64().unwrap_or(0)
}

/// What a socket heard: the ids of the room's new messages after `after` in arrival order,
/// the messages it heard edited, and whether it was told to resync the room.
#[derive(Default)]
struct Heard {
    ids: Vec<i64>,
    edited: Vec<i64>,
    resync: bool,
}

/// Reads `ws` until it has heard `until` (or the wait runs out), keeping what [`Heard`] keeps.
async fn listen(ws: &mut WsClient, room: i64, after: i64, until: impl Fn(&Heard) -> bool) -> Heard {
    let mut heard = Heard::default();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !until(&heard) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(Next::Frame(frame)) = ws.next(left).await else {
            break;
        };
        let data = &frame["data"];
        match frame["event"].as_str() {
            Some("new_message") if data["message"]["room_id"] == room => {
                let id = data["message"]["id"].as_i64().unwrap();
                if id > after {
                    heard.ids.push(id);
                }
            }
            Some("message_updated") if data["message"]["room_id"] == room => {
                heard.edited.push(data["message"]["id"].as_i64().unwrap());
            }
            Some("resync") => {
                heard.resync |= data["room_ids"]
                    .as_array()
                    .is_some_and(|rooms| rooms.contains(&json!(room)));
            }
            _ => {}
        }
    }
    heard
}

/// `count` messages `"{tag} {n}"` from `user` through `server`, `lanes` senders at once.
async fn say_hard(server: &TestServer, user: &TestUser, room: i64, tag: &str, lanes: usize, count: usize) {
    let sends = (0..lanes).map(|lane| async move {
        for n in 0..count {
            server.say(user, room, &format!("{tag} {lane}.{n}")).await;
        }
    });
    futures_util::future::join_all(sends).await;
}

fn assert_in_order_without_holes(heard: &[i64], history: &[i64], on: &str) {
    assert!(
        heard.windows(2).all(|w| w[0] < w[1]),
        "{on}: messages out of order or twice: {heard:?}"
    );
    assert_eq!(heard, history, "{on}: every message of the room, none missing");
}

#[tokio::test]
async fn two_nodes_writing_one_room_deliver_its_messages_in_id_order_with_no_hole() {
    let Some((a, b, _db)) = two_nodes().await else {
        return;
    };
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let carol = a.register("carol").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let mut on_a = a.ws(&carol).await;
    let mut on_b = b.ws(&carol).await;
    let start = newest(&a, &alice, lobby).await;

    const LANES: usize = 4;
    const EACH: usize = 15;
    let total = 2 * LANES * EACH;
    tokio::join!(
        say_hard(&a, &alice, lobby, "a", LANES, EACH),
        say_hard(&b, &bob, lobby, "b", LANES, EACH)
    );

    let history = history_after(&a, &carol, lobby, start).await;
    assert_eq!(history.len(), total);
    for (ws, on) in [(&mut on_a, "node A"), (&mut on_b, "node B")] {
        let heard = listen(ws, lobby, start, |h| h.ids.len() >= total).await;
        assert_in_order_without_holes(&heard.ids, &history, on);
    }
}

#[tokio::test]
async fn a_node_whose_listener_was_cut_delivers_what_it_missed_in_order_and_has_clients_resync() {
    let Some((a, b, db)) = two_nodes().await else {
        return;
    };
    let alice = a.register("alice").await;
    let carol = a.register("carol").await;
    let lobby = a.room_id(&alice, "大厅").await;
    let mut on_b = b.ws(&carol).await;
    let edited = a.say(&alice, lobby, "to be edited").await["id"].as_i64().unwrap();
    let start = newest(&a, &alice, lobby).await;
    // B's socket hears the room before the cut: the node follows it.
    on_b.expect_where("new_message", |f| f["data"]["message"]["id"] == edited)
        .await;

    assert_eq!(
        cut_b_listener(&db.pool).await,
        [true],
        "B's listener connection was found and ended"
    );
    // B's listener connection is ended again and again while A takes messages: whatever A
    // notifies between B's reconnection and the next cut arrives, the rest is lost to B.
    let cutting = tokio::spawn({
        let pool = db.pool.clone();
        async move {
            // Bounded: far more than the sends below take.
            for _ in 0..2000 {
                assert!(cut_b_listener(&pool).await.len() <= 1, "one listener per node");
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        }
    });
    say_hard(&a, &alice, lobby, "while cut", 2, 10).await;
    let (status, _) = a
        .put(
            Some(&alice.token),
            &format!("/api/messages/{edited}"),
            json!({"content": "edited while cut"}),
        )
        .await;
    assert!(status.is_success(), "{status}");
    cutting.abort();
    let history = history_after(&a, &carol, lobby, start).await;
    assert_eq!(history.len(), 20);

    let heard = listen(&mut on_b, lobby, start, |h| {
        h.ids.len() >= history.len() && (h.resync || h.edited.contains(&edited))
    })
    .await;
    assert_in_order_without_holes(&heard.ids, &history, "node B");
    assert!(
        heard.resync || heard.edited.contains(&edited),
        "B's socket neither heard the edit nor was told to resync"
    );
    // And B keeps hearing A afterwards.
    let after = a.say(&alice, lobby, "after the repair").await["id"]
        .as_i64()
        .unwrap();
    let more = listen(&mut on_b, lobby, after - 1, |h| h.ids.contains(&after)).await;
    assert_eq!(more.ids, [after]);
}

#[tokio::test]
async fn after_lost_hints_a_node_ends_sessions_that_ended_and_subscribes_people_to_their_rooms() {
    let Some((a, b, db)) = two_nodes().await else {
        return;
    };
    let alice = a.register("alice").await;
    let dave = a.register("dave").await;
    let erin = a.register("erin").await;
    let ops = a.create_room(&alice, "ops", false).await;
    let mut dave_on_b = b.ws(&dave).await;
    let mut erin_on_b = b.ws(&erin).await;

    // What lost hints leave behind: the database changed and node B never heard of it —
    // dave's session ended (signed out through A), erin joined `ops` (through A).
    sqlx::query("delete from sessions where user_id = $1")
        .bind(dave.id)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("insert into room_memberships (room_id, user_id, joined_at) values ($1, $2, 0)")
        .bind(ops)
        .bind(erin.id)
        .execute(&db.pool)
        .await
        .unwrap();
    // B learns that it lost hints: its listener connection is ended.
    assert_eq!(
        cut_b_listener(&db.pool).await,
        [true],
        "B's listener connection was found and ended"
    );

    assert_eq!(
        dave_on_b.expect_close(WAIT).await,
        Some(4401),
        "the socket of a session that ended is closed after the repair"
    );
    // Erin's socket on B hears `ops` once B has repaired its subscriptions (just after the
    // sessions); a message said before that does not reach it, so say one until one does.
    let mut heard = false;
    for i in 0..20 {
        a.say(&alice, ops, &format!("for erin {i}")).await;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match erin_on_b.next(left).await {
                Some(Next::Frame(f))
                    if f["event"] == "new_message" && f["data"]["message"]["room_id"] == ops =>
                {
                    heard = true;
                    break;
                }
                Some(Next::Frame(_)) => {}
                _ => break,
            }
        }
        if heard {
            break;
        }
    }
    assert!(
        heard,
        "erin's socket on B never heard the room she joined while B's hints were lost"
    );
}
