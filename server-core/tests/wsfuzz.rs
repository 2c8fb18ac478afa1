//! The WebSocket fuzzer's run: frames from `frames.rs`, generated from the server's own AsyncAPI
//! document (so a new client event is fuzzed without touching this file), sent in batches over
//! one long-lived authenticated socket. Per frame it checks the answer against the documents:
//! the documented reply, or exactly one `error` with a documented code; no close but the
//! documented ones (1002, 1007, 1009); every server frame matching its schema; and between
//! batches a second user's socket in a shared room still receives a third user's message.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::SinkExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::common::{Next, TestServer, TestUser, WAIT, WsClient};

mod frames;

use frames::{Case, Docs, Expect, Payload, Pools, documented_codes, mutated, random, well_formed};

/// Fixed, so a failure replays exactly.
const SEED: [u8; 32] = *b"confab websocket fuzzer seed 001";
/// Frames per run: a few thousand keeps a debug run well under a minute.
const FRAMES: usize = 3000;
/// Frames sent before the socket is read again (its outgoing queue is bounded).
const BATCH: usize = 16;

/// Counts and what went wrong, for the closing report.
#[derive(Default)]
struct Tally {
    frames: usize,
    errors: usize,
    replies: usize,
    reconnects: usize,
    probes: usize,
    kinds: HashMap<&'static str, usize>,
    /// Frames Alice's other socket received.
    twin: usize,
    /// Errors received, by code.
    codes: HashMap<String, usize>,
    /// Distinct findings (by kind, event and what happened), with one example each.
    findings: HashMap<String, String>,
}

impl Tally {
    fn finding(&mut self, key: String, example: String) {
        self.findings.entry(key).or_insert(example);
    }
}

struct Fuzzer<'a> {
    server: &'a TestServer,
    alice: &'a TestUser,
    ws: WsClient,
    docs: &'a Docs,
    made: Arc<Mutex<Vec<i64>>>,
    /// The schema of each server event, compiled once.
    validators: HashMap<String, jsonschema::Validator>,
    tally: Tally,
    next_ref: usize,
}

impl Fuzzer<'_> {
    /// Sends `cases` and checks each answer; a batch ends with a `ping` whose `pong` marks that
    /// every frame before it was handled (a socket handles its frames in order).
    async fn batch(&mut self, cases: &[Case]) {
        let mut sent: Vec<(Case, Option<String>, String)> = Vec::new();
        for case in cases {
            let (message, reference, shown) = self.encode(case);
            if self.ws.stream.send(message).await.is_err() {
                self.tally
                    .finding(format!("{}: send failed", case.kind), shown.clone());
                self.reconnect().await;
                return;
            }
            sent.push((case.clone(), reference, shown));
        }
        self.next_ref += 1;
        let sync = format!("sync{}", self.next_ref);
        self.ws.send_ref("ping", json!({}), &sync).await;
        let mut by_ref: HashMap<String, Vec<Value>> = HashMap::new();
        let mut refless: VecDeque<Value> = VecDeque::new();
        loop {
            match self.ws.next(WAIT).await {
                Some(Next::Frame(frame)) if frame["ref"] == sync.as_str() => break,
                Some(Next::Frame(frame)) => self.record(frame, &mut by_ref, &mut refless),
                other => {
                    let last = sent
                        .last()
                        .map(|(_, _, s)| s.chars().take(300).collect::<String>());
                    let what = match other {
                        Some(Next::Closed(close)) => format!("socket closed: {close:?}"),
                        _ => "no pong: the socket stopped answering".to_owned(),
                    };
                    let kinds: BTreeSet<&str> = sent.iter().map(|(c, _, _)| c.kind).collect();
                    self.tally
                        .finding(what.clone(), format!("batch of {kinds:?}, last {last:?}"));
                    self.reconnect().await;
                    return;
                }
            }
        }
        // Sends are stored in batches and answered once stored, so their answers may come after
        // the pong: wait (boundedly) for every answer that is due.
        let due: Vec<String> = sent
            .iter()
            .filter(|(case, _, _)| self.answer_due(case))
            .filter_map(|(_, reference, _)| reference.clone())
            .collect();
        let deadline = tokio::time::Instant::now() + WAIT;
        while due.iter().any(|r| !by_ref.contains_key(r)) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.ws.next(left).await {
                Some(Next::Frame(frame)) => self.record(frame, &mut by_ref, &mut refless),
                _ => break,
            }
        }
        for (case, reference, shown) in sent {
            let shown: String = shown.chars().take(300).collect();
            let got = reference
                .as_ref()
                .and_then(|r| by_ref.remove(r))
                .unwrap_or_default();
            match &case.expect {
                Expect::Answer { event, code } => self.check_answer(&case, event, *code, got, &shown),
                Expect::RefLess(codes) => match refless.pop_front() {
                    Some(error) if codes.contains(&error["data"]["code"].as_str().unwrap_or("")) => {}
                    Some(error) => self.tally.finding(
                        format!("{}: wrong code {}", case.kind, error["data"]["code"]),
                        format!("{shown} → {error}"),
                    ),
                    None => self.tally.finding(format!("{}: no error", case.kind), shown),
                },
                Expect::Nothing | Expect::Close(_) => {}
            }
        }
        for (reference, frames) in by_ref {
            self.tally.finding(
                "an answer with an unknown ref".into(),
                format!("{reference}: {frames:?}"),
            );
        }
        if let Some(error) = refless.front() {
            self.tally
                .finding("an error for no frame".into(), error.to_string());
        }
    }

    fn record(
        &mut self,
        frame: Value,
        by_ref: &mut HashMap<String, Vec<Value>>,
        refless: &mut VecDeque<Value>,
    ) {
        if frame["event"] == "error" {
            self.tally.errors += 1;
            let code = frame["data"]["code"].as_str().unwrap_or("?").to_owned();
            *self.tally.codes.entry(code).or_default() += 1;
        }
        self.check_schema(&frame);
        let made = match frame["event"].as_str() {
            Some("new_message") => frame["data"]["message"]["id"].as_i64(),
            Some("room_joined") => frame["data"]["room"]["id"].as_i64(),
            _ => None,
        };
        if let Some(id) = made.filter(|_| frame["ref"].is_string()) {
            self.made.lock().unwrap().push(id);
        }
        match frame["ref"].as_str() {
            Some(r) => by_ref.entry(r.to_owned()).or_default().push(frame),
            None if frame["event"] == "error" => refless.push_back(frame),
            None => {}
        }
    }

    /// Checks what Alice's other socket received meanwhile: broadcast copies carry no `ref`,
    /// errors go only to the asker, and each frame matches its schema. Returns the socket (a
    /// new one if it was closed, which is a finding).
    async fn drain_twin(&mut self, mut twin: WsClient) -> WsClient {
        // Not a frame of the fuzzer's: a ping without ref keeps the idle timer away.
        twin.send("ping", json!({})).await;
        loop {
            match twin.next(std::time::Duration::from_millis(1)).await {
                Some(Next::Frame(frame)) => {
                    self.tally.twin += 1;
                    if frame.get("ref").is_some() || frame["event"] == "error" {
                        let shown: String = frame.to_string().chars().take(600).collect();
                        self.tally
                            .finding("another socket got an answer meant for the asker".into(), shown);
                    }
                    self.check_schema(&frame);
                }
                Some(Next::Closed(close)) => {
                    self.tally
                        .finding(format!("Alice's other socket closed: {close:?}"), String::new());
                    return self.server.ws(self.alice).await;
                }
                None => return twin,
            }
        }
    }

    /// Every frame the server sends matches its event's schema in the AsyncAPI document.
    fn check_schema(&mut self, frame: &Value) {
        let event = frame["event"].as_str().unwrap_or("").to_owned();
        if !self.validators.contains_key(&event) {
            if !self.docs.document["components"]["messages"][&event].is_object() {
                self.tally
                    .finding(format!("the undocumented event {event:?}"), frame.to_string());
                return;
            }
            let validator = crate::asyncapi::validator(&self.docs.document, &event);
            self.validators.insert(event.clone(), validator);
        }
        let errors: Vec<String> = self.validators[&event]
            .iter_errors(frame)
            .take(3)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if !errors.is_empty() {
            let shown: String = frame.to_string().chars().take(600).collect();
            self.tally.finding(
                format!("{event} does not match its schema"),
                format!("{errors:?} in {shown}"),
            );
        }
    }

    /// Whether the frame must be answered: refused with an error, or an event that has a reply.
    fn answer_due(&self, case: &Case) -> bool {
        match &case.expect {
            Expect::Answer { event, code } => {
                code.is_some()
                    || self
                        .docs
                        .events
                        .iter()
                        .any(|e| &e.name == event && !e.replies.is_empty())
            }
            _ => false,
        }
    }

    fn check_answer(&mut self, case: &Case, event: &str, code: Option<&str>, got: Vec<Value>, shown: &str) {
        let (errors, replies): (Vec<Value>, Vec<Value>) =
            got.into_iter().partition(|f| f["event"] == "error");
        self.tally.replies += replies.len();
        let key = |what: &str| format!("{} {event}: {what}", case.kind);
        match (errors.as_slice(), code) {
            ([error], _) if !replies.is_empty() => self.tally.finding(
                key("an error and a reply"),
                format!("{shown} → {error} and {replies:?}"),
            ),
            ([error], expected) => {
                let got = error["data"]["code"].as_str().unwrap_or("");
                if !self.docs.codes.contains(got) {
                    self.tally.finding(
                        key(&format!("undocumented code {got}")),
                        format!("{shown} → {error}"),
                    );
                } else if expected.is_some_and(|c| c != got) {
                    self.tally.finding(
                        key(&format!("{got} instead of {}", expected.unwrap())),
                        format!("{shown} → {error}"),
                    );
                }
            }
            ([], Some(expected)) => self.tally.finding(
                key(&format!("no {expected} error")),
                format!("{shown} → {replies:?}"),
            ),
            ([], None) => {
                let documented = &self
                    .docs
                    .events
                    .iter()
                    .find(|e| e.name == event)
                    .expect("event")
                    .replies;
                for reply in &replies {
                    let name = reply["event"].as_str().unwrap_or("");
                    if !documented.contains(name) {
                        self.tally.finding(
                            key(&format!("undocumented reply {name}")),
                            format!("{shown} → {reply}"),
                        );
                    }
                }
                if replies.is_empty() && !documented.is_empty() {
                    self.tally.finding(key("no answer"), shown.to_owned());
                }
            }
            (many, _) => self
                .tally
                .finding(key("several errors"), format!("{shown} → {many:?}")),
        }
    }

    /// A frame over the limit closes the socket with 1009, as documented; then a new one.
    /// A frame the documents say closes the socket, with `code`; then a new socket.
    /// The frame to send for `case`, with the `ref` it carries and a short description.
    fn encode(&mut self, case: &Case) -> (Message, Option<String>, String) {
        self.tally.frames += 1;
        *self.tally.kinds.entry(case.kind).or_default() += 1;
        match &case.payload {
            Payload::Json { frame, keep_ref } => {
                let mut frame = frame.clone();
                self.next_ref += 1;
                let unique = format!("f{}", self.next_ref);
                if !keep_ref {
                    frame["ref"] = json!(unique);
                }
                let reference = frame["ref"].as_str().map(str::to_owned);
                let text = frame.to_string();
                (Message::Text(text.clone().into()), reference, text)
            }
            Payload::Text(text) => (
                Message::Text(text.clone().into()),
                None,
                text.chars().take(300).collect(),
            ),
            Payload::Binary(bytes) => (
                Message::Binary(bytes.clone().into()),
                None,
                format!("{} binary bytes", bytes.len()),
            ),
            Payload::Ping => (
                Message::Ping(b"p".to_vec().into()),
                None,
                "a ping frame".to_owned(),
            ),
            Payload::RawText { bytes, reserved } => {
                let mut frame = Frame::message(bytes.clone(), OpCode::Data(Data::Text), true);
                frame.header_mut().rsv2 = *reserved;
                (
                    Message::Frame(frame),
                    None,
                    format!("text frame {bytes:?}, reserved bit {reserved}"),
                )
            }
        }
    }

    /// `case` as the first frame of a new socket: anything but `auth` is answered by
    /// `error unauthorized` and close 4401, except a frame the socket cannot take at all,
    /// which closes it with its own code.
    async fn first_frame(&mut self, case: &Case) {
        let (message, _, shown) = self.encode(case);
        let mut ws = self.server.ws_raw().await;
        let _ = ws.stream.send(message).await;
        let code = match case.expect {
            Expect::Close(code) => code,
            _ => 4401,
        };
        let mut frames = Vec::new();
        let closed = loop {
            match ws.next(WAIT).await {
                Some(Next::Frame(frame)) => frames.push(frame),
                Some(Next::Closed(close)) => break close.map(|c| u16::from(c.code)),
                None => break None,
            }
        };
        let unauthorized = frames.len() == 1 && frames[0]["data"]["code"] == "unauthorized";
        if closed != Some(code) || (code == 4401 && !unauthorized) {
            self.tally.finding(
                format!("before auth, {}: close {closed:?}", case.kind),
                format!("{shown} → {frames:?}"),
            );
        }
    }

    async fn closing(&mut self, case: &Case, code: u16) {
        let (message, _, shown) = self.encode(case);
        // The server may close before it has read the whole frame.
        let _ = self.ws.stream.send(message).await;
        match self.ws.expect_close(WAIT).await {
            Some(got) if got == code => {}
            other => self
                .tally
                .finding(format!("{}: close {other:?} instead of {code}", case.kind), shown),
        }
        self.reconnect().await;
    }

    async fn reconnect(&mut self) {
        self.tally.reconnects += 1;
        self.ws = self.server.ws(self.alice).await;
    }
}

#[tokio::test]
async fn the_websocket_survives_fuzzed_frames() {
    fuzz(TestServer::start().await, FRAMES, 1).await;
}

/// The same with the rate limits on, where many frames are refused with `rate_limited`: a
/// refusal is an `error` too, never a silent drop or a close.
#[tokio::test]
async fn the_websocket_survives_fuzzed_frames_under_rate_limits() {
    let server = TestServer::start_with(|config| config.limits.rate_limits = true).await;
    fuzz(server, FRAMES / 3, 3).await;
}

/// Sends `frames` generated frames to Alice's socket, checking every answer, while Bob's socket
/// hears a third person's messages between batches (taking turns among `probers` people, each
/// within their own rate limit).
async fn fuzz(server: TestServer, frames: usize, probers: usize) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let lobby = server.room_id(&alice, "大厅").await;
    let mut others = Vec::new();
    for n in 0..probers {
        others.push(server.register(&format!("carol{n}")).await);
    }
    let carol = &others[0];
    // Bob and Carol share a room Alice is not in (she may join it: it is public).
    let shared = server.create_room(carol, "shared", false).await;
    for user in others.iter().skip(1).chain([&bob]) {
        let (status, _) = server
            .post(Some(&user.token), &format!("/api/rooms/{shared}/join"), json!({}))
            .await;
        assert!(status.is_success());
    }
    let private = server.create_room(carol, "carol-only", true).await;
    let own = server.create_room(&alice, "alice-own", false).await;
    let mut ids = vec![
        lobby,
        shared,
        private,
        own,
        alice.id,
        bob.id,
        carol.id,
        0,
        -1,
        999_999,
        i64::MAX,
    ];
    for (user, room) in [
        (&alice, lobby),
        (&alice, own),
        (carol, shared),
        (carol, private),
        (&bob, lobby),
    ] {
        ids.push(
            server.say(user, room, "seed message @alice").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let made = Arc::new(Mutex::new(Vec::new()));
    let pools = Pools {
        ids,
        made: made.clone(),
        words: [
            "hi",
            "👍",
            ":tada:",
            "hello @bob",
            "@room",
            "",
            "   ",
            "dnd",
            "away",
            "早上好 👋",
            "**bold**",
            "\u{202e}evil",
            "a\u{0}b",
            alice.token.as_str(),
        ]
        .map(str::to_owned)
        .to_vec(),
    };

    let (status, asyncapi) = server.get(None, "/api/asyncapi.json").await;
    assert!(status.is_success());
    let docs = Docs::new(&asyncapi);
    let strategy = prop_oneof![4 => well_formed(&docs, &pools), 5 => mutated(&docs, &pools), 2 => random()];
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &SEED),
    );

    let mut watcher = server.ws(&bob).await;
    // Alice's second device: it gets the copies of what her fuzzed socket did, never its answers.
    let mut twin = server.ws(&alice).await;
    let mut first_frames = 0;
    let started = std::time::Instant::now();
    let mut fuzzer = Fuzzer {
        server: &server,
        alice: &alice,
        ws: server.ws(&alice).await,
        docs: &docs,
        made,
        validators: HashMap::new(),
        tally: Tally::default(),
        next_ref: 0,
    };
    let mut batch_number = 0;
    while first_frames < frames / 30 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let auth = matches!(&case.payload, Payload::Json { frame, .. } if frame["event"] == "auth");
        // A ping frame alone gets no answer before the auth deadline.
        if !auth && !matches!(case.expect, Expect::Nothing) {
            first_frames += 1;
            fuzzer.first_frame(&case).await;
        }
    }
    while fuzzer.tally.frames < frames {
        let cases: Vec<Case> = (0..BATCH)
            .map(|_| strategy.new_tree(&mut runner).expect("a case").current())
            .collect();
        // A frame over the limit ends the socket: what came before it is checked first.
        let mut chunk = Vec::new();
        for case in cases {
            if let Expect::Close(code) = case.expect {
                fuzzer.batch(&chunk).await;
                chunk.clear();
                fuzzer.closing(&case, code).await;
            } else {
                chunk.push(case);
            }
        }
        fuzzer.batch(&chunk).await;
        twin = fuzzer.drain_twin(twin).await;
        // Bob, on his own socket, still hears Carol throughout.
        batch_number += 1;
        let probe = format!("probe {batch_number}");
        server.say(&others[batch_number % probers], shared, &probe).await;
        watcher
            .expect_where("new_message", |f| {
                f["data"]["message"]["content"] == probe.as_str()
            })
            .await;
        fuzzer.tally.probes += 1;
    }
    // The server is still up and Alice can still do ordinary things.
    let (status, _) = server.get(None, "/api/health").await;
    assert!(status.is_success());
    // (She may have left the lobby along the way.)
    fuzzer
        .ws
        .send_ref("join_room", json!({"room_id": lobby}), "rejoin")
        .await;
    fuzzer
        .ws
        .expect_where("room_joined", |f| f["ref"] == "rejoin")
        .await;
    fuzzer
        .ws
        .send_ref(
            "send_message",
            json!({"room_id": lobby, "content": "after the storm"}),
            "last",
        )
        .await;
    fuzzer
        .ws
        .expect_where("new_message", |f| f["ref"] == "last")
        .await;

    let tally = fuzzer.tally;
    let mut codes: Vec<_> = tally.codes.iter().collect();
    codes.sort();
    let mut kinds: Vec<_> = tally.kinds.iter().collect();
    kinds.sort();
    eprintln!(
        "ws fuzzer (rate limits {}): {} frames ({} events from the AsyncAPI document), {} errors and {} replies received, {} reconnects, {} probes delivered, {} frames on Alice's other socket, in {:.1?}; by kind {kinds:?}; error codes {codes:?}",
        if server.config.limits.rate_limits {
            "on"
        } else {
            "off"
        },
        tally.frames,
        docs.events.len(),
        tally.errors,
        tally.replies,
        tally.reconnects,
        tally.probes,
        tally.twin,
        started.elapsed(),
    );
    let mut findings: Vec<_> = tally.findings.into_iter().collect();
    findings.sort();
    assert!(
        findings.is_empty(),
        "{} findings:\n{}",
        findings.len(),
        findings
            .iter()
            .map(|(k, v)| format!("- {k}\n    e.g. {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The codes the socket answers refused frames with are all in `protocol.md`'s error tables,
/// so a client can handle each (the fuzzer found these missing).
#[tokio::test]
async fn refusals_carry_documented_codes() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let codes = documented_codes(include_str!("../../docs/protocol.md"));
    let dm = server
        .post(Some(&alice.token), "/api/dms", json!({"user_ids": [bob.id]}))
        .await
        .1["room"]["id"]
        .clone();
    let mut ws = server.ws(&alice).await;
    let refused = [
        ("open_dm", json!({"user_ids": []}), "dm_needs_people"),
        (
            "open_dm",
            json!({"user_ids": (1..=9).collect::<Vec<i64>>()}),
            "too_many_people",
        ),
        ("set_status", json!({"status": "offline"}), "invalid_status"),
        (
            "set_status",
            json!({"status": "dnd", "status_text": "x".repeat(101)}),
            "invalid_status_text",
        ),
        ("leave_room", json!({"room_id": dm}), "direct_room"),
    ];
    for (event, data, code) in refused {
        ws.send_ref(event, data, code).await;
        let error = ws.expect_where("error", |f| f["ref"] == code).await;
        assert_eq!(error["data"]["code"], code, "{event}: {error}");
        assert!(
            codes.contains(code),
            "{code} is not in protocol.md's error tables"
        );
    }
}

/// A text frame that is not UTF-8, one with a reserved bit set, or one over the size limit
/// fails the connection as RFC 6455 says, before `auth` as after, with the documented close code
/// rather than a silent drop.
#[tokio::test]
async fn frames_breaking_the_websocket_protocol_close_with_their_code() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let cases = [
        (b"{\"event\":\"\xff\"}".to_vec(), false, 1007),
        (br#"{"event":"ping"}"#.to_vec(), true, 1002),
        (vec![b'x'; 70_000], false, 1009),
    ];
    for (bytes, reserved, code) in cases {
        for authenticated in [true, false] {
            let mut ws = if authenticated {
                server.ws(&alice).await
            } else {
                server.ws_raw().await
            };
            let mut frame = Frame::message(bytes.clone(), OpCode::Data(Data::Text), true);
            frame.header_mut().rsv2 = reserved;
            let _ = ws.stream.send(Message::Frame(frame)).await;
            let closed = ws.expect_close(WAIT).await;
            assert_eq!(closed, Some(code), "authenticated: {authenticated}");
        }
    }
    // Alice can still connect and be answered.
    let mut ws = server.ws(&alice).await;
    ws.send_ref("ping", json!({}), "p").await;
    ws.expect_where("pong", |f| f["ref"] == "p").await;
}
