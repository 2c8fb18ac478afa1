//! One simulated chat client: a WebSocket that speaks Confab's protocol (`auth` → `ready`,
//! `send_message` with a `client_msg_id` and `ref`, `ping` every 25 s) or the ceiling server's
//! bare frames, sends stamped messages when told to, and records every stamped message it
//! receives into the run's phases.
//!
//! Each client is one task that both reads and writes its socket, like the server's own
//! connection tasks; the scenario steers it through a command channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::error::{Error, Result};
use crate::stamp::{self, Clock, Stamp};
use crate::stats::{Phase, Phases};

/// How often a Confab client pings (the server closes sockets silent for 60 s).
const PING_EVERY: Duration = Duration::from_secs(25);
/// Most messages written per wake-up before reading again.
const SEND_BURST: usize = 64;
/// `last_seen` entry of a sender not heard from yet.
const NO_PHASE: u8 = u8::MAX;

/// Which server a client talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Confab,
    Ceiling,
}

impl Dialect {
    /// The server's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Confab => "confab",
            Dialect::Ceiling => "ceiling",
        }
    }
}

/// State every client of a run shares.
pub struct Shared {
    pub phases: Phases,
    pub clock: Clock,
    /// Makes `client_msg_id`s unique across runs against the same server.
    pub nonce: u64,
    /// `error` events received and sends that failed.
    pub errors: AtomicU64,
    /// Sockets the server closed, or that failed, while the scenario still wanted them.
    pub disconnects: AtomicU64,
    /// Text frames and their bytes received by every client (presence traffic included).
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Arc::new(Shared {
            phases: Phases::default(),
            clock: Clock::default(),
            nonce,
            errors: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        })
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn disconnects(&self) -> u64 {
        self.disconnects.load(Ordering::Relaxed)
    }

    /// (frames, bytes) received so far by all clients.
    pub fn received(&self) -> (u64, u64) {
        (
            self.frames.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

/// Who a client is.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// The client's number; also its sender id in stamps.
    pub index: u32,
    pub dialect: Dialect,
    /// `ws://host:port/ws`.
    pub ws_url: String,
    /// Confab session token.
    pub token: Option<String>,
    /// Rooms the client is in (the ceiling server is told them in the URL).
    pub rooms: Vec<i64>,
    /// Whether deliveries to this client are counted (slow readers and idle crowds are not).
    pub tracked: bool,
}

/// How a client spaces its messages.
#[derive(Clone, Debug)]
pub enum Pacing {
    /// One message every `interval`, the first at `first`; a client that falls behind catches up.
    Fixed { interval: Duration, first: Instant },
    /// Exponentially distributed gaps with this mean (people typing independently).
    Poisson { mean: Duration },
    /// As fast as acknowledgements allow, with at most `window` messages unacknowledged.
    Window { window: u32 },
}

/// What to send: messages to `rooms` (each with its number of tracked recipients), chosen at
/// random per message, paced by `pacing`, until `until`.
#[derive(Clone)]
pub struct SendPlan {
    pub phase: Arc<Phase>,
    pub rooms: Vec<(i64, u32)>,
    pub pacing: Pacing,
    pub until: Instant,
}

enum Command {
    Send(SendPlan),
    /// Stop sending.
    Stop,
    /// Stop reading the socket (a client whose app froze).
    Pause,
    /// Read whatever is waiting and answer whether the server has closed the socket.
    Probe(oneshot::Sender<bool>),
}

/// A running client.
pub struct Client {
    pub index: u32,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl Client {
    /// Connects, authenticates (Confab: waits for `ready`) and starts the client's task.
    pub async fn connect(spec: ClientSpec, shared: Arc<Shared>) -> Result<Client> {
        let socket = open(&spec).await?;
        let (commands, rx) = mpsc::unbounded_channel();
        let index = spec.index;
        let runner = Runner::new(spec, shared, socket);
        let task = tokio::spawn(runner.run(rx));
        Ok(Client {
            index,
            commands,
            task,
        })
    }

    pub fn send(&self, plan: SendPlan) {
        let _ = self.commands.send(Command::Send(plan));
    }

    pub fn stop_sending(&self) {
        let _ = self.commands.send(Command::Stop);
    }

    pub fn pause(&self) {
        let _ = self.commands.send(Command::Pause);
    }

    /// Whether the server has closed this socket: reads what is waiting for up to `limit`
    /// of silence.
    pub async fn closed_by_server(&self) -> bool {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Probe(tx)).is_err() {
            return true;
        }
        rx.await.unwrap_or(true)
    }

    /// Whether the client's task ended (its socket closed).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Closes the socket and waits for the task.
    pub async fn close(self) {
        drop(self.commands);
        let _ = self.task.await;
    }
}

type Socket = WebSocketStream<TcpStream>;

fn client_config() -> WebSocketConfig {
    // Small buffers: the tool holds ten thousand sockets in the idle-crowd scenario.
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
}

async fn open(spec: &ClientSpec) -> Result<Socket> {
    let url = match spec.dialect {
        Dialect::Confab => spec.ws_url.clone(),
        Dialect::Ceiling => {
            let rooms: Vec<String> = spec.rooms.iter().map(i64::to_string).collect();
            format!("{}?rooms={}", spec.ws_url, rooms.join(","))
        }
    };
    let authority = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| Error::setup(format!("not a ws:// URL: {url}")))?
        .to_owned();
    let stream = TcpStream::connect(&authority).await?;
    stream.set_nodelay(true)?;
    let (mut socket, _) =
        tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(client_config())).await?;
    if spec.dialect == Dialect::Confab {
        let token = spec.token.as_deref().unwrap_or_default();
        let auth = serde_json::json!({"event": "auth", "data": {"token": token}, "ref": "auth"});
        socket.send(Message::text(auth.to_string())).await?;
        timeout(Duration::from_secs(120), wait_ready(&mut socket))
            .await
            .map_err(|_| Error::Timeout(format!("client {} got no ready", spec.index)))??;
    }
    Ok(socket)
}

async fn wait_ready(socket: &mut Socket) -> Result<()> {
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message? {
            if text.starts_with("{\"event\":\"ready\"") {
                return Ok(());
            }
            if text.starts_with("{\"event\":\"error\"") {
                return Err(Error::protocol(format!("auth refused: {text}")));
            }
        }
    }
    Err(Error::protocol("socket closed before ready"))
}

/// A small xorshift generator: enough randomness for pacing and room choice, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Runner {
    spec: ClientSpec,
    shared: Arc<Shared>,
    socket: Socket,
    plan: Option<SendPlan>,
    next_send: Instant,
    in_flight: u32,
    /// Per sender, the phase and slot of the last message seen from it, to catch duplicates
    /// and reordering (a sender's slots only grow within a phase).
    last_seen: Vec<(u8, u32)>,
    rng: Rng,
    text: String,
}

impl Runner {
    fn new(spec: ClientSpec, shared: Arc<Shared>, socket: Socket) -> Runner {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (u64::from(spec.index) + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
        Runner {
            spec,
            shared,
            socket,
            plan: None,
            next_send: Instant::now(),
            in_flight: 0,
            last_seen: Vec::new(),
            rng: Rng(seed | 1),
            text: String::with_capacity(256),
        }
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let confab = self.spec.dialect == Dialect::Confab;
        // Spread the pings of a crowd over the whole period.
        let offset = PING_EVERY.mul_f64(self.rng.unit());
        let mut ping = tokio::time::interval_at(Instant::now() + offset, PING_EVERY);
        let mut reading = true;
        loop {
            let send_at = self.send_at();
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    None => {
                        let _ = tokio::time::timeout(Duration::from_secs(2), self.socket.close(None)).await;
                        return;
                    }
                    Some(Command::Send(plan)) => self.start(plan),
                    Some(Command::Stop) => self.plan = None,
                    Some(Command::Pause) => reading = false,
                    Some(Command::Probe(answer)) => {
                        let _ = answer.send(self.probe().await);
                        return;
                    }
                },
                () = sleep_until(send_at.unwrap_or_else(Instant::now)), if send_at.is_some() => {
                    if self.send_due().await.is_err() {
                        break;
                    }
                }
                incoming = self.socket.next(), if reading => {
                    if !self.receive_all(incoming) {
                        break;
                    }
                }
                _ = ping.tick(), if confab && reading => {
                    if self.socket.send(Message::text(r#"{"event":"ping","data":{}}"#)).await.is_err() {
                        break;
                    }
                }
            }
        }
        // Only a socket the scenario still wanted gets here.
        self.shared.disconnects.fetch_add(1, Ordering::Relaxed);
        // Keep the command channel answering so the scenario's probes see the closed socket.
        while let Some(command) = commands.recv().await {
            if let Command::Probe(answer) = command {
                let _ = answer.send(true);
            }
        }
    }

    fn start(&mut self, plan: SendPlan) {
        self.in_flight = 0;
        self.next_send = match &plan.pacing {
            Pacing::Fixed { first, .. } => *first,
            Pacing::Poisson { mean } => Instant::now() + self.exponential(*mean),
            Pacing::Window { .. } => Instant::now(),
        };
        self.plan = Some(plan);
    }

    fn exponential(&mut self, mean: Duration) -> Duration {
        mean.mul_f64(-(1.0 - self.rng.unit()).ln())
    }

    /// When the next message is due; `None` when nothing is to be sent.
    fn send_at(&mut self) -> Option<Instant> {
        let plan = self.plan.as_ref()?;
        if let Pacing::Window { window } = plan.pacing {
            if self.in_flight >= window {
                return None;
            }
        }
        // A window sender is always due (its `next_send` stays put); it stops by the clock.
        if self.next_send >= plan.until || Instant::now() >= plan.until {
            self.plan = None;
            return None;
        }
        Some(self.next_send)
    }

    /// Writes every message that is due (up to a burst), then flushes once.
    async fn send_due(&mut self) -> Result<()> {
        let Some(plan) = self.plan.clone() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut written = 0;
        while written < SEND_BURST && self.next_send <= now && self.next_send < plan.until && now < plan.until
        {
            let (room, recipients) = plan.rooms[self.rng.below(plan.rooms.len())];
            let Some(seq) = plan.phase.reserve(recipients) else {
                self.plan = None;
                break;
            };
            self.frame(plan.phase.id, room, seq);
            if let Err(e) = self.socket.feed(Message::text(self.text.as_str())).await {
                plan.phase.error();
                self.shared.errors.fetch_add(1, Ordering::Relaxed);
                return Err(e.into());
            }
            written += 1;
            match plan.pacing {
                Pacing::Fixed { interval, .. } => self.next_send += interval,
                Pacing::Poisson { mean } => {
                    let gap = self.exponential(mean);
                    self.next_send += gap;
                }
                Pacing::Window { window } => {
                    self.in_flight += 1;
                    if self.in_flight >= window {
                        break;
                    }
                }
            }
        }
        if written > 0 {
            self.socket.flush().await?;
        }
        Ok(())
    }

    /// Builds the frame for message `seq` into `self.text`.
    fn frame(&mut self, phase: u8, room: i64, seq: u32) {
        let stamp = Stamp {
            phase,
            room: u64::try_from(room).unwrap_or(0),
            sender: self.spec.index,
            seq,
            sent_nanos: self.shared.clock.nanos(),
        };
        self.text.clear();
        match self.spec.dialect {
            Dialect::Ceiling => stamp.write(&mut self.text),
            Dialect::Confab => {
                use std::fmt::Write as _;
                let _ = write!(
                    self.text,
                    r#"{{"event":"send_message","data":{{"room_id":{room},"content":""#
                );
                stamp.write(&mut self.text);
                let _ = write!(
                    self.text,
                    r#"","client_msg_id":"b{}-{phase}-{seq}"}},"ref":"{seq}"}}"#,
                    self.shared.nonce
                );
            }
        }
    }

    /// Handles `first` and every frame that can be read without waiting, all stamped with one
    /// receive time (they arrived together; reading the clock per frame was a fifth of the
    /// tool's time at a million deliveries a second). False when the socket ended.
    fn receive_all(&mut self, first: Option<Result<Message, tungstenite::Error>>) -> bool {
        const MOST: usize = 256;
        let now = self.shared.clock.nanos();
        let (mut frames, mut bytes) = (0u64, 0u64);
        let mut next = first;
        let mut open = true;
        for round in 1..=MOST {
            match next {
                Some(Ok(Message::Text(text))) => {
                    frames += 1;
                    bytes += text.len() as u64;
                    self.receive(&text, now);
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    open = false;
                    break;
                }
                Some(Ok(_)) => {}
            }
            if round == MOST {
                break;
            }
            // Frames already buffered come back at once; `None` here means none is waiting.
            match self.socket.next().now_or_never() {
                Some(item) => next = item,
                None => break,
            }
        }
        self.shared.frames.fetch_add(frames, Ordering::Relaxed);
        self.shared.bytes.fetch_add(bytes, Ordering::Relaxed);
        open
    }

    fn receive(&mut self, text: &str, now: u64) {
        let stamp = match self.spec.dialect {
            Dialect::Ceiling => Stamp::parse(text.as_bytes()),
            Dialect::Confab => {
                if text.starts_with("{\"event\":\"new_message\"") {
                    stamp::in_confab_frame(text)
                } else {
                    if text.starts_with("{\"event\":\"error\"") {
                        self.shared.errors.fetch_add(1, Ordering::Relaxed);
                        if let Some(plan) = &self.plan {
                            plan.phase.error();
                        }
                    }
                    None
                }
            }
        };
        let Some(stamp) = stamp else { return };
        let own = stamp.sender == self.spec.index;
        if own {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        if !self.spec.tracked {
            return;
        }
        let latency = Duration::from_nanos(now.saturating_sub(stamp.sent_nanos));
        let sender = stamp.sender as usize;
        if sender >= self.last_seen.len() {
            self.last_seen.resize(sender + 1, (NO_PHASE, 0));
        }
        let last = &mut self.last_seen[sender];
        let fresh = if last.0 == stamp.phase && last.1 >= stamp.seq {
            false
        } else {
            *last = (stamp.phase, stamp.seq);
            true
        };
        if let Some(phase) = self.shared.phases.get(stamp.phase) {
            phase.deliver(stamp.seq, latency, fresh, own);
        }
    }

    /// Reads (and discards) whatever the server sent while this client was not reading; true
    /// if the socket then turns out to be closed, false if it stays open through `QUIET`.
    async fn probe(&mut self) -> bool {
        const QUIET: Duration = Duration::from_secs(2);
        loop {
            match timeout(QUIET, self.socket.next()).await {
                Err(_) => return false,
                Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

/// Connects `specs` with at most `concurrency` handshakes in flight. Fails on the first client
/// that cannot connect.
pub async fn connect_all(
    specs: Vec<ClientSpec>,
    shared: &Arc<Shared>,
    concurrency: usize,
) -> Result<Vec<Client>> {
    let results: Vec<Result<Client>> = futures_util::stream::iter(specs)
        .map(|spec| Client::connect(spec, shared.clone()))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Closes every client, a few at a time.
pub async fn close_all(clients: Vec<Client>) {
    futures_util::stream::iter(clients)
        .for_each_concurrent(256, Client::close)
        .await;
}
