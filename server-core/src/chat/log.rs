//! The message log: the single writer that appends chat messages. Senders queue messages here;
//! the writer takes everything waiting (up to a batch), stores it in one transaction, and only
//! after the commit announces each new message to its room, in id order, and acknowledges it.
//! One commit per batch instead of per message is what lets a burst of senders be durable and
//! fast at once.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::events;
use crate::hub::{ConnId, Except, Hub};
use crate::model::{MessageType, RoomId, SystemEvent};
use crate::store::{AppendOutcome, NewMessage, Store};
use crate::time::Clock;

/// Most messages stored in one transaction.
const MAX_BATCH: usize = 512;
/// Messages waiting for the writer before senders wait too (backpressure).
const QUEUE: usize = 8192;

/// Where the outcome of an append goes.
pub enum Reply {
    /// Back to an awaiting caller (REST handlers, system messages).
    Caller(oneshot::Sender<Result<AppendOutcome>>),
    /// Straight to the sending socket, echoing its `ref`; the socket does not wait.
    Socket { conn: ConnId, reference: Option<String> },
}

struct Append {
    message: NewMessage,
    reply: Reply,
}

/// Handle for queueing messages; cheap to clone.
#[derive(Clone)]
pub struct MessageLog {
    tx: mpsc::Sender<Append>,
}

/// The writer's side, returned by [`MessageLog::spawn`].
pub struct Writer {
    rx: mpsc::Receiver<Append>,
    store: Store,
    hub: Hub,
    clock: Clock,
}

impl MessageLog {
    /// Creates the log and its writer. Start the writer with [`Writer::spawn`]; it ends once
    /// every queued message is stored after its `stop` resolves.
    pub fn new(store: Store, hub: Hub, clock: Clock) -> (MessageLog, Writer) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (
            MessageLog { tx },
            Writer {
                rx,
                store,
                hub,
                clock,
            },
        )
    }

    /// Posts a server-made system message about `event` in `room_id` (called `room_name`).
    /// Failures are logged, never shown to whoever caused the event.
    pub async fn post_system(&self, room_id: RoomId, room_name: &str, event: &SystemEvent) {
        let message = NewMessage {
            room_id,
            user_id: None,
            username: None,
            content: event.describe(room_name),
            message_type: MessageType::System,
            client_msg_id: None,
            meta: serde_json::to_string(event).ok(),
            attachment: None,
        };
        if let Err(e) = self.append(message).await {
            tracing::warn!(error = %e, room_id, "posting a system message failed");
        }
    }

    /// Stores `message`, announces it if new, and returns what happened.
    pub async fn append(&self, message: NewMessage) -> Result<AppendOutcome> {
        let (tx, rx) = oneshot::channel();
        self.enqueue(message, Reply::Caller(tx)).await?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Queues `message` from socket `conn`; the socket gets its `new_message` (or `error`)
    /// with `reference` once the message is stored.
    pub async fn append_from_socket(
        &self,
        message: NewMessage,
        conn: ConnId,
        reference: Option<String>,
    ) -> Result<()> {
        self.enqueue(message, Reply::Socket { conn, reference }).await
    }

    async fn enqueue(&self, message: NewMessage, reply: Reply) -> Result<()> {
        self.tx
            .send(Append { message, reply })
            .await
            .map_err(|_| Error::ShuttingDown)
    }
}

impl Writer {
    /// Runs the writer until `stop` resolves and the queue is drained.
    pub fn spawn(mut self, stop: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut stop = std::pin::pin!(stop);
            let mut stopping = false;
            let mut batch = Vec::with_capacity(MAX_BATCH);
            loop {
                let received = if stopping {
                    self.rx.recv_many(&mut batch, MAX_BATCH).await
                } else {
                    tokio::select! {
                        n = self.rx.recv_many(&mut batch, MAX_BATCH) => n,
                        () = &mut stop => {
                            // Refuse new messages, but store everything already accepted.
                            self.rx.close();
                            stopping = true;
                            continue;
                        }
                    }
                };
                if received == 0 {
                    break;
                }
                self.write(std::mem::take(&mut batch)).await;
            }
        })
    }

    async fn write(&self, batch: Vec<Append>) {
        let (messages, replies): (Vec<NewMessage>, Vec<Reply>) =
            batch.into_iter().map(|a| (a.message, a.reply)).unzip();
        let outcomes: Vec<Result<AppendOutcome>> =
            match self.store.append_messages(&messages, self.clock.now()).await {
                Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
                Err(e) if messages.len() > 1 => {
                    // One bad message must not sink the rest of the batch: retry them one by one.
                    tracing::warn!(error = %e, size = messages.len(), "batch append failed; retrying singly");
                    let mut outcomes = Vec::with_capacity(messages.len());
                    for message in &messages {
                        let one = self
                            .store
                            .append_messages(std::slice::from_ref(message), self.clock.now())
                            .await
                            .and_then(|mut v| v.pop().ok_or_else(|| Error::Internal("empty append".into())));
                        outcomes.push(one);
                    }
                    outcomes
                }
                Err(e) => vec![Err(e)],
            };
        for ((message, reply), outcome) in messages.iter().zip(replies).zip(outcomes) {
            self.deliver(message, reply, outcome).await;
        }
    }

    async fn deliver(&self, message: &NewMessage, reply: Reply, outcome: Result<AppendOutcome>) {
        // Serialized once: the room's copy, and (with its `ref` spliced in) the sender's.
        let mut broadcast = None;
        if let Ok(AppendOutcome::Created(stored)) = &outcome {
            let except = match &reply {
                Reply::Socket { conn, .. } => Except::Conn(*conn),
                Reply::Caller(_) => Except::Nobody,
            };
            let frame = events::new_message(stored, None);
            self.hub.to_room(stored.room_id, &frame, except);
            broadcast = Some(frame);
        }
        match reply {
            Reply::Caller(tx) => {
                let _ = tx.send(outcome);
            }
            Reply::Socket { conn, reference } => {
                let reference = reference.as_deref();
                let frame = match (outcome, broadcast) {
                    (Ok(AppendOutcome::Created(_)), Some(frame)) => events::with_ref(&frame, reference),
                    (Ok(AppendOutcome::Created(m) | AppendOutcome::Duplicate(m)), _) => {
                        events::new_message(&m, reference)
                    }
                    (Ok(AppendOutcome::NotMember), _) => {
                        let error = super::messages::not_member_error(&self.store, message.room_id).await;
                        events::error(&error.body(), reference)
                    }
                    (Err(e), _) => events::error(&e.body(), reference),
                };
                self.hub.to_conn(conn, &frame);
            }
        }
    }
}
