//! Two nodes of a cluster in one process — two hubs, two `ClusterFanout`s — on one real
//! PostgreSQL database: what one node publishes reaches the other's sockets, what is
//! node-local does not, and a node whose listener connection is cut says it must resync and
//! keeps receiving.

use std::future::pending;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use server_core::cluster::{
    Backfill, ClusterFanout, Head, HintBus, HintReceiver, Missed, PgNotify, PgReceiver, Received, Tuning,
};
use server_core::fanout::{Audience, Fanout, Frame, SessionEnd};
use server_core::hub::{Hub, Outbound, Registration, close};
use sqlx::PgPool;

use crate::common::WAIT;
use crate::postgres_cluster::{self, TestDatabase};

const CHANNEL: &str = "confab_hints";

struct Node {
    hub: Hub,
    fanout: ClusterFanout,
}

/// Two nodes on a fresh, migrated database, or `None` when PostgreSQL is not installed.
async fn two_nodes() -> Option<(TestDatabase, Node, Node)> {
    let db = postgres_cluster::database().await?;
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .expect("the PostgreSQL migrations apply");
    let a = node(&db, "node-a").await;
    let b = node(&db, "node-b").await;
    Some((db, a, b))
}

async fn node(db: &TestDatabase, name: &str) -> Node {
    let hub = Hub::new(4096);
    let bus = PgNotify::new(&db.options.clone().application_name(name), CHANNEL);
    let fanout = ClusterFanout::start(hub.clone(), bus, no_backfill())
        .await
        .expect("a node starts listening");
    Node { hub, fanout }
}

/// A node without a chat behind it: no message frames are published here, so there is never
/// anything to read back.
struct NoBackfill;

#[async_trait::async_trait]
impl Backfill for NoBackfill {
    async fn missed(&self, _room: i64, _after: i64, _before: i64) -> server_core::Result<Missed> {
        Ok(Missed {
            frames: Vec::new(),
            more: false,
        })
    }

    async fn heads(&self, _rooms: &[i64]) -> server_core::Result<Vec<Head>> {
        Ok(Vec::new())
    }

    fn resync(&self, room: i64) -> Frame {
        frame(&format!("resync {room}"))
    }

    async fn live_sessions(&self, sessions: &[i64]) -> server_core::Result<Vec<i64>> {
        Ok(sessions.to_vec())
    }

    async fn memberships(&self, _user: i64) -> server_core::Result<Vec<i64>> {
        // No accounts behind this node: its subscriptions stay as the test made them.
        Err(server_core::Error::Internal(
            "no chat behind this node".to_owned(),
        ))
    }
}

fn no_backfill() -> Arc<dyn Backfill> {
    Arc::new(NoBackfill)
}

fn frame(text: &str) -> Frame {
    Frame::from(serde_json::json!({"event": "test", "data": {"text": text}}).to_string())
}

/// The next thing `conn`'s socket would be sent, waiting for it.
async fn next(conn: &mut Registration) -> Outbound {
    tokio::time::timeout(WAIT, conn.outbound.recv())
        .await
        .expect("nothing arrived in time")
        .expect("the connection's queue closed")
}

/// The next frame `conn` receives; fails on a close or anything else.
async fn next_frame(conn: &mut Registration) -> String {
    match next(conn).await {
        Outbound::Frame(frame) => frame.to_string(),
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// Whatever `conn` receives next is `expected`: anything published before it that should not
/// have crossed would have arrived first (hints arrive in publish order).
async fn next_is(conn: &mut Registration, expected: &Frame) {
    assert_eq!(next_frame(conn).await, expected.to_string());
}

#[tokio::test]
async fn room_user_and_everyone_events_cross_to_the_other_node() {
    let Some((_db, a, b)) = two_nodes().await else {
        return;
    };
    let mut in_room = b.hub.register(1, 10, vec![100]);
    let mut elsewhere = b.hub.register(2, 20, vec![200]);

    let room_event = frame("in room 100");
    a.fanout.publish(Audience::room(100), &room_event);
    next_is(&mut in_room, &room_event).await;

    let to_user = frame("for user 2");
    a.fanout.publish(Audience::user(2), &to_user);
    next_is(&mut elsewhere, &to_user).await;

    let to_all = frame("for everyone");
    a.fanout.publish(Audience::everyone(), &to_all);
    next_is(&mut in_room, &to_all).await;
    next_is(&mut elsewhere, &to_all).await;
    assert_eq!(a.fanout.dropped(), 0);
}

#[tokio::test]
async fn exclusions_and_one_connection_events_stay_put() {
    let Some((_db, a, b)) = two_nodes().await else {
        return;
    };
    let mut excluded = b.hub.register(1, 10, vec![100]);
    let mut other = b.hub.register(2, 20, vec![100]);
    // Connection ids are per node: B's first connection has the same id as A's first would.
    let mut on_a = a.hub.register(3, 30, vec![]);
    assert_eq!(on_a.id, excluded.id, "both hubs number their connections alike");

    let not_for_1 = frame("not for user 1");
    a.fanout.publish(Audience::room(100).except_user(1), &not_for_1);
    let only_on_a = frame("to A's connection only");
    a.fanout.publish(Audience::conn(on_a.id), &only_on_a);
    let after = frame("after");
    a.fanout.publish(Audience::room(100), &after);

    next_is(&mut other, &not_for_1).await;
    next_is(&mut other, &after).await;
    next_is(&mut excluded, &after).await;
    next_is(&mut on_a, &only_on_a).await;
}

#[tokio::test]
async fn a_frame_over_the_notify_limit_crosses_whole_through_the_spill_table() {
    let Some((db, a, b)) = two_nodes().await else {
        return;
    };
    let mut conn = b.hub.register(1, 10, vec![100]);
    // Multi-byte text, 30 KB: well past NOTIFY's 8,000 bytes.
    let big = frame(&"é—ok ".repeat(3000));
    assert!(big.len() > 20_000);
    a.fanout.publish(Audience::room(100), &big);
    let small = frame("small, after the big one");
    a.fanout.publish(Audience::room(100), &small);

    next_is(&mut conn, &big).await;
    next_is(&mut conn, &small).await;
    assert_eq!(
        spilled(&db.pool).await,
        1,
        "the big frame went through the spill table"
    );
}

async fn spilled(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from cluster_spill")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn subscribing_on_one_node_subscribes_the_users_sockets_on_the_other() {
    let Some((_db, a, b)) = two_nodes().await else {
        return;
    };
    let mut joiner = b.hub.register(5, 50, vec![]);
    a.fanout.subscribe(5, 300);
    let in_300 = frame("in room 300");
    a.fanout.publish(Audience::room(300), &in_300);
    next_is(&mut joiner, &in_300).await;
    assert!(b.hub.is_subscribed(joiner.id, 300));

    a.fanout.unsubscribe(5, 300);
    a.fanout
        .publish(Audience::room(300), &frame("no longer for user 5"));
    let direct = frame("for user 5");
    a.fanout.publish(Audience::user(5), &direct);
    next_is(&mut joiner, &direct).await;
}

#[tokio::test]
async fn closing_a_session_on_one_node_closes_its_sockets_on_the_other() {
    let Some((_db, a, b)) = two_nodes().await else {
        return;
    };
    let mut signed_out = b.hub.register(1, 10, vec![]);
    let mut same_user_other_session = b.hub.register(1, 11, vec![]);
    a.fanout.close_sessions(&[10], SessionEnd::LoggedOut);
    match next(&mut signed_out).await {
        Outbound::Close(code, reason) => {
            assert_eq!((code, reason), (close::UNAUTHORIZED, "logged out"));
        }
        other => panic!("expected the socket to close, got {other:?}"),
    }
    let still_here = frame("still signed in");
    a.fanout.publish(Audience::user(1), &still_here);
    next_is(&mut same_user_other_session, &still_here).await;
}

#[tokio::test]
async fn a_burst_arrives_in_publish_order_exactly_once() {
    let Some((_db, a, b)) = two_nodes().await else {
        return;
    };
    let mut conn = b.hub.register(1, 10, vec![100]);
    const BURST: usize = 2000;
    let frames: Vec<Frame> = (0..BURST).map(|i| frame(&i.to_string())).collect();
    for f in &frames {
        a.fanout.publish(Audience::room(100), f);
    }
    let last = frame("last");
    a.fanout.publish(Audience::room(100), &last);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(
            next_frame(&mut conn).await,
            f.to_string(),
            "frame {i} of the burst"
        );
    }
    // Nothing repeated in between: the frame after the burst is the one published after it.
    next_is(&mut conn, &last).await;
    assert_eq!(a.fanout.dropped(), 0);
    assert_eq!(*b.fanout.resyncs().borrow(), 0, "no gap was seen");
}

#[tokio::test]
async fn a_node_whose_listener_is_cut_asks_for_a_resync_and_keeps_receiving() {
    let Some((db, a, b)) = two_nodes().await else {
        return;
    };
    let mut conn = b.hub.register(1, 10, vec![100]);
    let before = frame("before");
    a.fanout.publish(Audience::room(100), &before);
    next_is(&mut conn, &before).await;

    let mut resyncs = b.fanout.resyncs();
    assert_eq!(*resyncs.borrow_and_update(), 0);
    // Other tests' nodes share the PostgreSQL server (a database each) and their names.
    let terminated: Vec<bool> = sqlx::query_scalar(
        r#"select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and application_name = 'node-b listener'"#,
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(terminated, [true], "B's listener connection was found and ended");
    tokio::time::timeout(WAIT, resyncs.changed())
        .await
        .expect("B did not report a resync")
        .unwrap();

    // Reported once B listens again: what A publishes now arrives.
    let after = frame("after the reconnection");
    a.fanout.publish(Audience::room(100), &after);
    next_is(&mut conn, &after).await;
    // A's own listener was untouched.
    assert_eq!(*a.fanout.resyncs().borrow(), 0);
}

#[tokio::test]
async fn hints_a_node_had_to_drop_make_the_other_nodes_resync() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .unwrap();
    let hub = Hub::new(256);
    let bus = PgNotify::new(&db.options.clone().application_name("node-a"), CHANNEL);
    // Room for one hint: a burst published without yielding keeps one and drops the rest.
    let tuning = Tuning {
        queue: 1,
        batch: 1,
        ..Tuning::default()
    };
    let a = ClusterFanout::start_with(hub, bus, no_backfill(), tuning)
        .await
        .unwrap();
    let b = node(&db, "node-b").await;
    let mut conn = b.hub.register(1, 10, vec![100]);
    let first = frame("first");
    a.publish(Audience::room(100), &first);
    next_is(&mut conn, &first).await;
    let mut resyncs = b.fanout.resyncs();
    assert_eq!(*resyncs.borrow_and_update(), 0);

    let burst: Vec<Frame> = (0..50).map(|i| frame(&i.to_string())).collect();
    for f in &burst {
        a.publish(Audience::room(100), f);
    }
    assert_eq!(a.dropped(), 49);
    // The one kept arrives, and B knows the rest did not.
    next_is(&mut conn, &burst[0]).await;
    tokio::time::timeout(WAIT, resyncs.changed())
        .await
        .expect("B did not report a resync")
        .unwrap();
}

/// A transport that takes nothing: every send waits forever.
struct Stalled;

struct Silent;

impl HintBus for Stalled {
    type Receiver = Silent;

    async fn send(&self, _hints: Vec<String>) -> server_core::Result<()> {
        pending().await
    }

    async fn receive(&self) -> server_core::Result<Silent> {
        Ok(Silent)
    }
}

impl HintReceiver for Silent {
    async fn next(&mut self) -> Received {
        pending().await
    }
}

#[tokio::test]
async fn a_stalled_transport_drops_hints_past_the_queue_and_never_blocks_publishing() {
    let hub = Hub::new(256);
    let mut local = hub.register(1, 10, vec![100]);
    let tuning = Tuning {
        queue: 8,
        batch: 4,
        ..Tuning::default()
    };
    let fanout = ClusterFanout::start_with(hub.clone(), Stalled, no_backfill(), tuning)
        .await
        .unwrap();
    for i in 0..100 {
        fanout.publish(Audience::room(100), &frame(&i.to_string()));
    }
    // Local delivery is untouched.
    for i in 0..100 {
        assert_eq!(next_frame(&mut local).await, frame(&i.to_string()).to_string());
    }
    // At most the queue and one batch in the sender's hands were kept.
    let dropped = fanout.dropped();
    assert!(
        (100 - 8 - 4..=100 - 8).contains(&dropped),
        "dropped {dropped} of 100 with a queue of 8"
    );
}

/// PostgreSQL's transport, whose next send fails once `fail` is set.
struct FailingOnce {
    inner: PgNotify,
    fail: Arc<AtomicBool>,
}

impl HintBus for FailingOnce {
    type Receiver = PgReceiver;

    async fn send(&self, hints: Vec<String>) -> server_core::Result<()> {
        if self.fail.swap(false, Ordering::SeqCst) {
            return Err(server_core::Error::Internal("the send failed".to_owned()));
        }
        self.inner.send(hints).await
    }

    async fn receive(&self) -> server_core::Result<PgReceiver> {
        self.inner.receive().await
    }
}

#[tokio::test]
async fn a_failed_send_with_nothing_after_it_still_makes_the_other_nodes_resync() {
    let Some(db) = postgres_cluster::database().await else {
        return;
    };
    sqlx::migrate!("./migrations/postgres")
        .run(&db.pool)
        .await
        .unwrap();
    let fail = Arc::new(AtomicBool::new(false));
    let bus = FailingOnce {
        inner: PgNotify::new(&db.options.clone().application_name("node-a"), CHANNEL),
        fail: fail.clone(),
    };
    let a = ClusterFanout::start_with(Hub::new(256), bus, no_backfill(), Tuning::default())
        .await
        .unwrap();
    let b = node(&db, "node-b").await;
    let mut conn = b.hub.register(1, 10, vec![100]);
    let first = frame("first");
    a.publish(Audience::room(100), &first);
    next_is(&mut conn, &first).await;
    let mut resyncs = b.fanout.resyncs();
    assert_eq!(*resyncs.borrow_and_update(), 0);

    // The last thing A says is lost, and A says nothing more: B must still learn of it.
    fail.store(true, Ordering::SeqCst);
    a.publish(Audience::room(100), &frame("lost"));
    tokio::time::timeout(WAIT, resyncs.changed())
        .await
        .expect("B never learnt that A's last hint was lost")
        .unwrap();
    assert_eq!(a.dropped(), 1);
}
