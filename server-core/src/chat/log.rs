//! The message log: the single writer that appends chat messages. Senders queue messages here;
//! the writer takes everything waiting (up to a batch), stores it in one transaction, and only
//! after the commit announces each new message to its room, in id order, and acknowledges it.
//! One commit per batch instead of per message is what lets a burst of senders be durable and
//! fast at once.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::messages::{self, Sent};
use crate::error::{Error, Result};
use crate::fanout::{Fanout, Origin};
use crate::hub::ConnId;
use crate::model::{MessageType, RoomId, SystemEvent};
use crate::store::{AppendOutcome, NewMessage, Store};
use crate::time::Clock;

/// Most messages stored in one transaction.
const MAX_BATCH: usize = 512;
/// Messages waiting for the writer before senders wait too (backpressure).
const QUEUE: usize = 8192;

/// Who is waiting for an append's outcome.
enum Asker {
    /// A caller awaiting the answer (REST handlers, uploads, system messages).
    Caller(oneshot::Sender<Result<Sent>>),
    /// A socket, answered by an event carrying its `ref`; it does not wait.
    Socket { conn: ConnId, reference: Option<String> },
}

impl Asker {
    fn origin(&self) -> Option<Origin<'_>> {
        match self {
            Asker::Caller(_) => None,
            Asker::Socket { conn, reference } => Some(Origin {
                conn: *conn,
                reference: reference.as_deref(),
            }),
        }
    }
}

struct Append {
    message: NewMessage,
    asker: Asker,
}

/// Handle for queueing messages; cheap to clone.
#[derive(Clone)]
pub struct MessageLog {
    tx: mpsc::Sender<Append>,
}

/// The writer's side, returned by [`MessageLog::new`].
pub struct Writer {
    rx: mpsc::Receiver<Append>,
    store: Store,
    fanout: Arc<dyn Fanout>,
    clock: Clock,
}

impl MessageLog {
    /// Creates the log and its writer. Start the writer with [`Writer::spawn`]; it ends once
    /// every queued message is stored after its `stop` resolves.
    pub fn new(store: Store, fanout: Arc<dyn Fanout>, clock: Clock) -> (MessageLog, Writer) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (
            MessageLog { tx },
            Writer {
                rx,
                store,
                fanout,
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
            mention_keys: Vec::new(),
            mentions_room: false,
            reply_to: None,
            thread_id: None,
            also_to_room: false,
        };
        if let Err(e) = self.append(message).await {
            tracing::warn!(error = %e, room_id, "posting a system message failed");
        }
    }

    /// Stores `message`, announces it if new, and returns what the sender is told.
    pub async fn append(&self, message: NewMessage) -> Result<Sent> {
        let (tx, rx) = oneshot::channel();
        self.enqueue(message, Asker::Caller(tx)).await?;
        rx.await.map_err(|_| Error::ShuttingDown)?
    }

    /// Queues `message` from socket `conn` without waiting; the socket gets its `new_message`
    /// (or `error`) with `reference` once the message is stored.
    pub async fn append_from_socket(
        &self,
        message: NewMessage,
        conn: ConnId,
        reference: Option<String>,
    ) -> Result<()> {
        self.enqueue(message, Asker::Socket { conn, reference }).await
    }

    async fn enqueue(&self, message: NewMessage, asker: Asker) -> Result<()> {
        self.tx
            .send(Append { message, asker })
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
        let (messages, askers): (Vec<NewMessage>, Vec<Asker>) =
            batch.into_iter().map(|a| (a.message, a.asker)).unzip();
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
        // After the commit, in id order: the room hears of each new message, its sender gets
        // the answer.
        let mut replies = Vec::new();
        for (asker, outcome) in askers.into_iter().zip(outcomes) {
            let answer = messages::announce(&*self.fanout, outcome, asker.origin());
            if let Ok(sent) = &answer {
                if sent.created && sent.message.thread_id.is_some() {
                    replies.push(sent.message.clone());
                }
            }
            if let Asker::Caller(tx) = asker {
                let _ = tx.send(answer);
            }
        }
        if !replies.is_empty() {
            super::threads::announce_replies(&self.store, &*self.fanout, &replies).await;
        }
    }
}
