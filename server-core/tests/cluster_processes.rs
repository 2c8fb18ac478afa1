//! Real `confab-server` processes on one PostgreSQL database, hurt the way machines are: a node
//! killed with SIGKILL under load, PostgreSQL restarted under load, a node frozen with SIGSTOP.
//! No acknowledged message is lost, a retried send lands once, service resumes by itself, and
//! presence follows the nodes that are really alive.
//!
//! These tests start PostgreSQL themselves whatever `CONFAB_TEST_DATABASE` says, so the
//! PostgreSQL run of the suite (`scripts/test-on-postgres`, which sets it) skips them: they
//! already ran in the first.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::cluster::{expect_presence, listed_online};
use crate::common::{Backend, Next, TestServer, TestUser, WAIT, WsClient, backend, eventually};
use crate::postgres_cluster::{self, PrivateCluster};

/// The nodes' heartbeat: a node silent for three is taken for dead.
const HEARTBEAT: Duration = Duration::from_millis(500);
/// How long a dead or frozen node's users may still show online elsewhere: three beats, the
/// sweep at the next beat, the presence batching second, and room for a busy machine.
const OFFLINE_WITHIN: Duration = Duration::from_secs(8);

/// One `confab-server` process and a client of it.
struct Node {
    child: Process,
    /// Its data dir's parent (stdout and stderr are written there too) and a client.
    client: TestServer,
    database: String,
}

impl Node {
    /// A node serving the PostgreSQL database at `database`, ready when this returns.
    async fn start(database: &str) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let (child, base) = spawn(dir.path().to_owned(), database).await;
        Node {
            child,
            client: TestServer::remote(base, dir),
            database: database.to_owned(),
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: sends a signal to our own child, which has not been reaped yet.
        let sent = unsafe { libc::kill(self.child.0.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "signal {signal} to the node");
    }

    /// Starts the node again on its data dir (on a new port), as a supervisor would.
    async fn restart(&mut self) {
        self.child.end();
        let (child, base) = spawn(self.client.dir.path().to_owned(), &self.database).await;
        self.child = child;
        self.client.base = base;
    }

    /// SIGKILL: no shutdown, no goodbye to the database or the sockets.
    fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        self.child.0.wait().expect("reap the killed node");
    }

    /// Whether the process printed a panic to its stderr.
    fn panicked(&self) -> Option<String> {
        let stderr = std::fs::read_to_string(self.client.dir.path().join("stderr")).unwrap_or_default();
        stderr.contains("panicked").then_some(stderr)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let stderr = std::fs::read_to_string(self.client.dir.path().join("stderr")).unwrap_or_default();
            eprintln!("node {} said:\n{stderr}", self.client.base);
        }
    }
}

/// A child process, killed and reaped when dropped.
struct Process(Child);

impl Process {
    fn end(&mut self) {
        // SIGKILL ends a stopped process too.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.end();
    }
}

/// Starts `confab-server` in `dir` and waits (bounded) for the URL it prints once it listens.
async fn spawn(dir: PathBuf, database: &str) -> (Process, String) {
    let stdout = dir.join("stdout");
    let child = Process(
        Command::new(env!("CARGO_BIN_EXE_confab-server"))
            .args(["--bind", "127.0.0.1:0", "--profile", "testing", "--no-discovery"])
            .args(["--rate-limits", "off", "--database", database])
            .args(["--cluster-heartbeat-ms", &HEARTBEAT.as_millis().to_string()])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(dir.join("stderr")).expect("stderr file"))
            .spawn()
            .expect("confab-server starts"),
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let printed = std::fs::read_to_string(&stdout).unwrap_or_default();
        if let Some(url) = printed.lines().find_map(|l| l.trim().strip_prefix("http://")) {
            return (child, format!("http://{}", url.trim_end_matches('/')));
        }
        if tokio::time::Instant::now() >= deadline {
            drop(child);
            let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
            panic!("confab-server printed no URL within {WAIT:?}: {printed}{stderr}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two nodes on one fresh database of the binary's shared cluster; `None` when PostgreSQL is
/// not installed, or in the suite's PostgreSQL run (these ran in the SQLite one).
async fn two_nodes() -> Option<(Node, Node)> {
    if skipped() {
        return None;
    }
    let database = postgres_cluster::database().await?;
    database.pool.close().await;
    Some((Node::start(&database.url).await, Node::start(&database.url).await))
}

fn skipped() -> bool {
    let skip = backend() == Backend::Postgres;
    if skip {
        eprintln!("skipped: the process-level cluster tests run once, in the SQLite run");
    }
    skip
}

/// What one socket's steady sends came to.
#[derive(Default, Debug)]
struct Sends {
    /// Every `client_msg_id` sent, in order (each message's content is its id too).
    sent: Vec<String>,
    /// Acknowledged: the sender's own `new_message` came back, with the message's id.
    acked: HashMap<String, i64>,
    /// Refused with an `error` event: its code.
    refused: HashMap<String, String>,
    /// The socket closed before everything was answered: its close code, if any.
    closed: Option<Option<u16>>,
}

/// Sends `count` messages `"{tag}-{n}"` (also their `client_msg_id` and `ref`) into `room`, one
/// every `every`, while collecting the answers; bumps `acks` at each acknowledgement. Ends when
/// every send is answered, the socket closes, or (bounded) `WAIT` after the last send.
async fn send_steadily(
    mut ws: WsClient,
    room: i64,
    tag: &str,
    count: usize,
    every: Duration,
    acks: Arc<AtomicUsize>,
) -> (Sends, WsClient) {
    let mut sends = Sends::default();
    let mut tick = tokio::time::interval(every);
    let mut give_up = tokio::time::Instant::now() + every * count as u32 + WAIT;
    loop {
        if sends.sent.len() == count && sends.acked.len() + sends.refused.len() == count {
            return (sends, ws);
        }
        tokio::select! {
            _ = tick.tick(), if sends.sent.len() < count => {
                let id = format!("{tag}-{}", sends.sent.len());
                let frame = json!({"event": "send_message", "ref": id,
                                   "data": {"room_id": room, "content": id, "client_msg_id": id}});
                // A send into a socket whose node is gone fails like a close: the client
                // does not know whether it arrived.
                sends.sent.push(id);
                if ws.stream.send(Message::Text(frame.to_string().into())).await.is_err() {
                    sends.closed = Some(None);
                    return (sends, ws);
                }
                give_up = tokio::time::Instant::now() + WAIT;
            }
            next = ws.next(Duration::from_millis(200)) => match next {
                Some(Next::Frame(frame)) => {
                    let Some(reference) = frame["ref"].as_str().map(str::to_owned) else { continue };
                    if frame["event"] == "new_message" {
                        let message = &frame["data"]["message"];
                        assert_eq!(message["content"], reference.as_str(), "an ack answers its own send");
                        sends.acked.insert(reference, message["id"].as_i64().unwrap());
                        acks.fetch_add(1, Ordering::Relaxed);
                    } else if frame["event"] == "error" {
                        let code = frame["data"]["code"].as_str().unwrap_or_default().to_owned();
                        sends.refused.insert(reference, code);
                    }
                }
                Some(Next::Closed(close)) => {
                    sends.closed = Some(close.map(|c| u16::from(c.code)));
                    return (sends, ws);
                }
                None => assert!(
                    tokio::time::Instant::now() < give_up,
                    "sends left unanswered for {WAIT:?}: {sends:?}"
                ),
            },
        }
    }
}

/// Every message of `room` as `user` reads it through `server`: id by content (each content
/// is a `client_msg_id` here), and the contents seen more than once.
async fn history(server: &TestServer, user: &TestUser, room: i64) -> (HashMap<String, i64>, Vec<String>) {
    let mut by_content = HashMap::new();
    let mut twice = Vec::new();
    let mut after = 0;
    for _ in 0..100 {
        let (status, page) = server
            .get(
                Some(&user.token),
                &format!("/api/rooms/{room}/messages?after={after}&limit=200"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let messages = page["messages"].as_array().unwrap();
        for message in messages {
            let content = message["content"].as_str().unwrap_or_default().to_owned();
            let id = message["id"].as_i64().unwrap();
            if by_content.insert(content.clone(), id).is_some() {
                twice.push(content);
            }
            after = after.max(id);
        }
        if page["has_more"] != true || messages.is_empty() {
            return (by_content, twice);
        }
    }
    panic!("history of room {room} did not end");
}

/// Asserts that `room`, read by `user` through `server`, holds no content twice and every
/// message `sends` had acknowledged under the id it was acknowledged with; returns the history.
async fn assert_acknowledged_stored_once(
    server: &TestServer,
    user: &TestUser,
    room: i64,
    sends: [&Sends; 2],
) -> HashMap<String, i64> {
    let (stored, twice) = history(server, user, room).await;
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    for (id, message) in sends.iter().flat_map(|s| &s.acked) {
        assert_eq!(
            stored.get(id),
            Some(message),
            "acknowledged {id} is not in history"
        );
    }
    stored
}

/// Sends `id` (content and `client_msg_id`) through `server` over REST: status and message.
async fn send_rest(server: &TestServer, user: &TestUser, room: i64, id: &str) -> (StatusCode, Value) {
    server
        .post(
            Some(&user.token),
            &format!("/api/rooms/{room}/messages"),
            json!({"content": id, "client_msg_id": id}),
        )
        .await
}

/// Polls until `server` shows `user` as `online` (to `asker`), at most `within`.
async fn shown(server: &TestServer, asker: &TestUser, user: &TestUser, online: bool, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while listed_online(server, asker, user).await != online {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} still shown online={} after {within:?}",
            user.name,
            !online
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for(acks: &AtomicUsize, at_least: usize) {
    eventually(&format!("{at_least} acknowledgements"), || async {
        acks.load(Ordering::Relaxed) >= at_least
    })
    .await;
}

#[tokio::test]
async fn a_node_killed_under_load_loses_no_acknowledged_message_and_retries_land_once() {
    let Some((mut a, b)) = two_nodes().await else {
        return;
    };
    let alice = a.client.register("alice").await;
    let bob = b.client.register("bob").await;
    let lobby = a.client.room_id(&alice, "大厅").await;
    // Alice's only socket is on A; Bob's on B.
    let alice_ws = a.client.ws(&alice).await;
    let bob_ws = b.client.ws(&bob).await;
    shown(&b.client, &bob, &alice, true, WAIT).await;

    let alice_acks = Arc::new(AtomicUsize::new(0));
    let on_a = tokio::spawn(send_steadily(
        alice_ws,
        lobby,
        "a",
        400,
        Duration::from_millis(5),
        alice_acks.clone(),
    ));
    let on_b = tokio::spawn(send_steadily(
        bob_ws,
        lobby,
        "b",
        60,
        Duration::from_millis(25),
        Arc::default(),
    ));
    wait_for(&alice_acks, 20).await;
    a.kill();

    let (alice_sends, _) = on_a.await.unwrap();
    let (bob_sends, _) = on_b.await.unwrap();
    assert!(
        alice_sends.closed.is_some(),
        "A's socket ended with A: {alice_sends:?}"
    );
    assert!(alice_sends.sent.len() < 400, "A was killed mid-load");
    // B never stopped serving: every one of Bob's sends through B was acknowledged.
    assert_eq!(bob_sends.acked.len(), 60, "{bob_sends:?}");

    let stored = assert_acknowledged_stored_once(&b.client, &bob, lobby, [&alice_sends, &bob_sends]).await;

    // Alice's client retries every send it has no answer for, through B: each lands once.
    let unanswered: Vec<&String> = alice_sends
        .sent
        .iter()
        .filter(|id| !alice_sends.acked.contains_key(*id))
        .collect();
    for id in &unanswered {
        let (status, body) = send_rest(&b.client, &alice, lobby, id).await;
        // 200: it had committed, its acknowledgement died with A; 201: it never had.
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{id}: {status} {body}"
        );
        if let Some(earlier) = stored.get(*id) {
            assert_eq!(body["message"]["id"], *earlier, "{id} answered as stored");
        }
    }
    // A retry of an acknowledged send returns the message it stored.
    let (acked_id, acked_message) = alice_sends.acked.iter().next().unwrap();
    let (status, body) = send_rest(&b.client, &alice, lobby, acked_id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"]["id"], *acked_message);

    let (stored, twice) = history(&b.client, &bob, lobby).await;
    assert!(twice.is_empty(), "stored twice after the retries: {twice:?}");
    for id in &alice_sends.sent {
        assert!(stored.contains_key(id), "{id} retried and still missing");
    }
    eprintln!(
        "killed A after {} sends, {} acknowledged, {} retried through B",
        alice_sends.sent.len(),
        alice_sends.acked.len(),
        unanswered.len()
    );

    // Alice had a socket on A only: she goes offline on B within the heartbeat timeout.
    shown(&b.client, &bob, &alice, false, OFFLINE_WITHIN).await;

    // A, started again by its supervisor, serves the same room to Alice's reconnecting client.
    a.restart().await;
    let _alice_again = a.client.ws(&alice).await;
    let (through_a, _) = history(&a.client, &alice, lobby).await;
    assert_eq!(through_a, stored, "both nodes serve one history");
    shown(&b.client, &bob, &alice, true, OFFLINE_WITHIN).await;
    assert_eq!(a.panicked(), None);
    assert_eq!(b.panicked(), None);
}

#[tokio::test]
async fn a_frozen_node_falls_out_of_presence_and_comes_back() {
    let Some((a, b)) = two_nodes().await else { return };
    let alice = a.client.register("alice").await;
    let bob = b.client.register("bob").await;
    let lobby = a.client.room_id(&alice, "大厅").await;
    let mut alice_ws = a.client.ws(&alice).await;
    let mut bob_ws = b.client.ws(&bob).await;
    shown(&b.client, &bob, &alice, true, WAIT).await;

    a.signal(libc::SIGSTOP);
    shown(&b.client, &bob, &alice, false, OFFLINE_WITHIN).await;
    // Bob's socket was told too, and B went on serving meanwhile.
    expect_presence(&mut bob_ws, alice.id, false).await;
    b.client.say(&bob, lobby, "anyone on A?").await;

    a.signal(libc::SIGCONT);
    // A beats again, finds itself swept, and registers the users of its open sockets.
    shown(&b.client, &bob, &alice, true, OFFLINE_WITHIN).await;
    // Alice's socket lived through the freeze: what was said meanwhile reaches her, and it
    // works both ways.
    alice_ws
        .expect_where("new_message", |f| {
            f["data"]["message"]["content"] == "anyone on A?"
        })
        .await;
    alice_ws.send_ref("ping", json!({}), "p").await;
    alice_ws.expect("pong").await;
    alice_ws
        .send("send_message", json!({"room_id": lobby, "content": "back on A"}))
        .await;
    bob_ws
        .expect_where("new_message", |f| f["data"]["message"]["content"] == "back on A")
        .await;
    assert_eq!(a.panicked(), None);
    assert_eq!(b.panicked(), None);
}

#[tokio::test]
async fn postgres_restarted_under_load_acknowledges_only_what_it_stored_and_service_resumes() {
    if skipped() {
        return;
    }
    // Its own PostgreSQL: stopping the shared one would fail every other test running now.
    let Some(postgres) = PrivateCluster::start().await else {
        return;
    };
    let database = postgres.database().await;
    database.pool.close().await;
    let a = Node::start(&database.url).await;
    let b = Node::start(&database.url).await;
    let alice = a.client.register("alice").await;
    let bob = b.client.register("bob").await;
    let lobby = a.client.room_id(&alice, "大厅").await;
    let acks = Arc::new(AtomicUsize::new(0));
    let each = 150;
    let every = Duration::from_millis(20);
    let on_a = tokio::spawn(send_steadily(
        a.client.ws(&alice).await,
        lobby,
        "a",
        each,
        every,
        acks.clone(),
    ));
    let on_b = tokio::spawn(send_steadily(
        b.client.ws(&bob).await,
        lobby,
        "b",
        each,
        every,
        acks.clone(),
    ));
    wait_for(&acks, 20).await;

    postgres.stop().await;
    // While the database is down a send is refused, clearly, as something to retry.
    let (status, body) = send_rest(&a.client, &alice, lobby, "during-the-outage").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    postgres.start_again().await;

    let (alice_sends, alice_ws) = on_a.await.unwrap();
    let (bob_sends, bob_ws) = on_b.await.unwrap();
    let refused: Vec<_> = alice_sends.refused.iter().chain(&bob_sends.refused).collect();
    assert!(!refused.is_empty(), "nothing was sent during the outage");
    for (id, code) in &refused {
        assert_eq!(code.as_str(), "database_unavailable", "{id}");
    }
    for sends in [&alice_sends, &bob_sends] {
        // The socket lived through it (a send is answered, acknowledged or refused, either way).
        assert_eq!(sends.closed, None, "{sends:?}");
        assert_eq!(sends.acked.len() + sends.refused.len(), each, "{sends:?}");
    }

    // Service resumes without restarting the nodes, within a bounded wait.
    for (node, user) in [(&a, &alice), (&b, &bob)] {
        let mut tries = 0;
        loop {
            tries += 1;
            let (status, body) = send_rest(
                &node.client,
                user,
                lobby,
                &format!("resumed-{tries}-{}", user.name),
            )
            .await;
            if status == StatusCode::CREATED {
                break;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert!(tries < 100, "no service within 10 s of PostgreSQL's return");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Everything acknowledged was committed; a refused send, retried, lands once.
    assert_acknowledged_stored_once(&b.client, &bob, lobby, [&alice_sends, &bob_sends]).await;
    for (id, _) in &refused {
        let user = if id.starts_with("a-") { &alice } else { &bob };
        let (status, body) = send_rest(&a.client, user, lobby, id).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{id}: {status} {body}"
        );
    }
    let (stored, twice) = history(&a.client, &alice, lobby).await;
    assert!(twice.is_empty(), "stored twice after the retries: {twice:?}");
    for (id, _) in &refused {
        assert!(stored.contains_key(*id), "{id} retried and still missing");
    }
    eprintln!(
        "PostgreSQL restarted: {} acknowledged, {} refused meanwhile",
        alice_sends.acked.len() + bob_sends.acked.len(),
        refused.len()
    );

    // The nodes hear each other again: A's listener reconnected. Hints sent before it did are
    // lost to it (the repair is not built), so A's socket waits for one sent afterwards.
    let (mut alice_ws, mut bob_ws) = (alice_ws, bob_ws);
    let mut heard = false;
    for n in 0..50 {
        let said = format!("hello again {n}");
        b.client.say(&bob, lobby, &said).await;
        bob_ws
            .expect_where("new_message", |f| {
                f["data"]["message"]["content"] == said.as_str()
            })
            .await;
        if heard_within(&mut alice_ws, &said, Duration::from_millis(200)).await {
            heard = true;
            break;
        }
    }
    assert!(heard, "node A does not hear node B after PostgreSQL came back");
    assert_eq!(a.panicked(), None);
    assert_eq!(b.panicked(), None);
}

/// Whether `ws` receives the `new_message` with `content` within `within`.
async fn heard_within(ws: &mut WsClient, content: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(Next::Frame(f))
                if f["event"] == "new_message" && f["data"]["message"]["content"] == content =>
            {
                return true;
            }
            Some(Next::Frame(_)) => {}
            Some(Next::Closed(close)) => panic!("socket closed: {close:?}"),
            None => return false,
        }
    }
}
