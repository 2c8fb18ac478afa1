//! One WebSocket connection's life: authenticate within the deadline, register with the hub,
//! then one task both reads the client's frames and drains the connection's bounded outgoing
//! queue, until the client leaves, idles out, its session ends, it stops reading, or the
//! server shuts down.
//!
//! A connection's task lives for hours and mostly waits, so its size is what idle sockets cost:
//! the steps that need large futures (authenticating, the `ready` snapshot, handling a frame)
//! are boxed, leaving only the small wait-read-write loop in the task itself.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

use super::io::SocketIo;
use super::protocol::{self, ClientEvent, ClientFrame};
use crate::chat::shared_limits::TOO_MANY_SOCKETS;
use crate::chat::{accounts, connections, dms, messages, people, presence, reactions, rooms};
use crate::context::AppContext;
use crate::error::Error;
use crate::events::{self, Frame};
use crate::fanout::Origin;
use crate::hub::{ConnId, Outbound, Replies, close};
use crate::model::Caller;
use crate::time;

pub type Socket = WebSocketStream<SocketIo>;

/// Frames written per flush when the queue has a backlog.
const WRITE_BATCH: usize = 64;
/// Bytes written per flush at most, so a backlog of large frames is not all copied at once.
const FLUSH_AT: usize = 64 * 1024;
/// How long a closing handshake may take before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves one upgraded socket to the end.
pub async fn serve(ctx: AppContext, socket: Socket) {
    // Only the loop below stays in the task for the socket's whole life; opening is boxed and
    // freed once done.
    let Some((mut connection, outbound, kill)) = Box::pin(open(ctx, socket)).await else {
        return;
    };
    connection.run(outbound, kill).await;
    connection.leave();
}

/// Authenticates the socket, registers it with the hub and sends `ready`; `None` if any of it
/// failed (the socket was answered and closed, and is unregistered).
async fn open(
    ctx: AppContext,
    mut socket: Socket,
) -> Option<(Connection, mpsc::Receiver<Outbound>, Arc<Notify>)> {
    let (caller, reference) = authenticate(&ctx, &mut socket).await?;
    // Register before taking the snapshot for `ready`, so no event falls in between; events
    // queued meanwhile are delivered after `ready` (clients de-duplicate by id).
    let registration = match connections::connect(&ctx, &caller).await {
        Ok(registration) => registration,
        Err(e @ Error::RateLimited { .. }) => {
            // Other nodes hold the user's whole socket allowance (`chat::shared_limits`).
            let code = tungstenite_close(close::TOO_MANY_SOCKETS);
            reject(&mut socket, &e, reference.as_deref(), code, TOO_MANY_SOCKETS).await;
            return None;
        }
        Err(e) => {
            reject(&mut socket, &e, None, tungstenite_close(1011), "server error").await;
            return None;
        }
    };
    let mut connection = Connection {
        ctx,
        caller,
        conn: registration.id,
        replies: registration.replies,
        socket,
    };
    if connection.send_ready(reference.as_deref()).await {
        Some((connection, registration.outbound, registration.kill))
    } else {
        connection.leave();
        None
    }
}

fn tungstenite_close(code: u16) -> CloseCode {
    CloseCode::from(code)
}

/// Waits for the `auth` frame; on anything else answers `error` and closes with 4401.
async fn authenticate(ctx: &AppContext, socket: &mut Socket) -> Option<(Caller, Option<String>)> {
    let unauthorized = tungstenite_close(close::UNAUTHORIZED);
    let first = tokio::time::timeout(ctx.config.timing.auth_timeout, next_text(socket)).await;
    let text = match first {
        Ok(Some(text)) => text,
        Ok(None) => return None,
        Err(_) => {
            let error = Error::forbidden("unauthorized", "no auth frame within the time limit");
            reject(socket, &error, None, unauthorized, "authentication timeout").await;
            return None;
        }
    };
    match protocol::parse(&text) {
        Ok(ClientFrame {
            event: ClientEvent::Auth { token },
            reference,
        }) => match accounts::authenticate(ctx, &token)
            .await
            .and_then(accounts::require_own_password)
        {
            Ok(caller) => Some((caller, reference)),
            Err(e @ Error::Forbidden { .. }) => {
                reject(
                    socket,
                    &e,
                    reference.as_deref(),
                    tungstenite_close(close::PASSWORD_CHANGE_REQUIRED),
                    "password change required",
                )
                .await;
                None
            }
            Err(Error::Unauthorized) => {
                reject(
                    socket,
                    &Error::Unauthorized,
                    reference.as_deref(),
                    unauthorized,
                    "invalid token",
                )
                .await;
                None
            }
            Err(e) => {
                reject(
                    socket,
                    &e,
                    reference.as_deref(),
                    tungstenite_close(1011),
                    "server error",
                )
                .await;
                None
            }
        },
        Ok(frame) => {
            let error = Error::forbidden("unauthorized", "the first frame must be auth {token}");
            reject(
                socket,
                &error,
                frame.reference.as_deref(),
                unauthorized,
                "authentication required",
            )
            .await;
            None
        }
        Err(bad) => {
            let error = Error::forbidden(
                "unauthorized",
                format!("the first frame must be auth {{token}}: {}", bad.error),
            );
            reject(
                socket,
                &error,
                bad.reference.as_deref(),
                unauthorized,
                "authentication required",
            )
            .await;
            None
        }
    }
}

/// The next text frame, skipping control frames; `None` when the socket ends (closed with the
/// code for a frame it could not take, if that was why).
async fn next_text(socket: &mut Socket) -> Option<tungstenite::Utf8Bytes> {
    while let Some(message) = socket.next().await {
        match message {
            Ok(WsMessage::Text(text)) => return Some(text),
            Ok(WsMessage::Binary(_)) => return Some("".into()),
            Ok(WsMessage::Close(_)) => return None,
            Err(error) => {
                if let Some((code, reason)) = close_for(&error) {
                    close_socket(socket, code, reason).await;
                }
                return None;
            }
            Ok(_) => {}
        }
    }
    None
}

/// The close code for a frame the socket could not take, or `None` when the connection itself
/// failed (then there is nobody to tell).
fn close_for(error: &tungstenite::Error) -> Option<(CloseCode, &'static str)> {
    match error {
        tungstenite::Error::Capacity(_) => Some((tungstenite_close(close::TOO_BIG), "frame too large")),
        // RFC 6455 has the connection fail on these; the close code tells the client why,
        // where dropping it would look like a network fault worth retrying the same way.
        tungstenite::Error::Utf8(_) => Some((tungstenite_close(close::NOT_UTF8), "text frame is not UTF-8")),
        tungstenite::Error::Protocol(error) if *error != ProtocolError::ResetWithoutClosingHandshake => {
            Some((tungstenite_close(close::PROTOCOL_ERROR), "protocol error"))
        }
        _ => None,
    }
}

/// Sends `error` with `error`'s body, then closes with `code`.
async fn reject(socket: &mut Socket, error: &Error, reference: Option<&str>, code: CloseCode, reason: &str) {
    let mut body = error.body();
    if code == tungstenite_close(close::UNAUTHORIZED) {
        body.code = "unauthorized";
    }
    if send_now(socket, &events::error(&body, reference)).await.is_ok() {
        close_socket(socket, code, reason).await;
    }
}

/// Writes one event to the socket at once (outside the connection's queue).
async fn send_now(socket: &mut Socket, frame: &Frame) -> std::io::Result<()> {
    socket.get_mut().push_text(frame.as_bytes());
    socket.get_mut().flush().await
}

/// Sends a close frame and waits (briefly) for the client's answer.
async fn close_socket(socket: &mut Socket, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        if socket.send(WsMessage::Close(Some(frame))).await.is_ok() {
            while let Some(Ok(_)) = socket.next().await {}
        }
    })
    .await;
}

struct Connection {
    ctx: AppContext,
    caller: Caller,
    conn: ConnId,
    replies: Replies,
    socket: Socket,
}

enum Step {
    Continue,
    Close(CloseCode, &'static str),
    Drop,
}

impl Connection {
    /// Unregisters from the hub: typing stops, and presence learns if this was the user's
    /// last socket.
    fn leave(&self) {
        connections::disconnect(&self.ctx, self.conn);
    }

    async fn send_ready(&mut self, reference: Option<&str>) -> bool {
        match connections::ready(&self.ctx, &self.caller, reference).await {
            Ok(frame) => send_now(&mut self.socket, &frame).await.is_ok(),
            Err(e) => {
                reject(
                    &mut self.socket,
                    &e,
                    reference,
                    tungstenite_close(1011),
                    "server error",
                )
                .await;
                false
            }
        }
    }

    async fn run(&mut self, mut outbound: mpsc::Receiver<Outbound>, kill: Arc<Notify>) {
        let idle_timeout = self.ctx.config.timing.idle_timeout;
        let idle = sleep(idle_timeout);
        tokio::pin!(idle);
        let expiry = sleep_until(instant_at(self.caller.expires_at, self.ctx.clock.now()));
        tokio::pin!(expiry);
        let step = loop {
            let step = tokio::select! {
                biased;
                () = kill.notified() => Step::Drop,
                out = outbound.recv() => {
                    // A client that stopped reading blocks this write; the hub's kill must
                    // still get through.
                    tokio::select! {
                        step = self.write(out, &mut outbound) => step,
                        () = kill.notified() => Step::Drop,
                    }
                }
                incoming = self.socket.next() => {
                    idle.as_mut().reset(Instant::now() + idle_timeout);
                    self.read(incoming).await
                }
                () = &mut idle => Step::Close(tungstenite_close(close::IDLE), "idle timeout"),
                () = &mut expiry => {
                    let _ = send_now(&mut self.socket, &events::error(&Error::Unauthorized.body(), None)).await;
                    Step::Close(tungstenite_close(close::UNAUTHORIZED), "session expired")
                }
            };
            if !matches!(step, Step::Continue) {
                break step;
            }
        };
        if let Step::Close(code, reason) = step {
            close_socket(&mut self.socket, code, reason).await;
        }
    }

    /// Writes one queued item and whatever else is already waiting, then flushes once.
    async fn write(&mut self, first: Option<Outbound>, outbound: &mut mpsc::Receiver<Outbound>) -> Step {
        let mut next = first;
        let mut written = 0;
        loop {
            let io = self.socket.get_mut();
            match next {
                Some(Outbound::Frame(frame)) => io.push_text(frame.as_bytes()),
                Some(Outbound::Close(code, reason)) => {
                    if io.flush().await.is_err() {
                        return Step::Drop;
                    }
                    return Step::Close(tungstenite_close(code), reason);
                }
                None => return Step::Drop,
            }
            written += 1;
            if written == WRITE_BATCH || io.pending() >= FLUSH_AT {
                break;
            }
            match outbound.try_recv() {
                Ok(item) => next = Some(item),
                Err(_) => break,
            }
        }
        if self.socket.get_mut().flush().await.is_err() {
            return Step::Drop;
        }
        Step::Continue
    }

    async fn read(&mut self, incoming: Option<Result<WsMessage, tungstenite::Error>>) -> Step {
        match incoming {
            Some(Ok(WsMessage::Text(text))) => {
                Box::pin(self.handle(&text)).await;
                Step::Continue
            }
            Some(Ok(WsMessage::Binary(_))) => {
                let error = Error::bad_request("binary_not_supported", "frames must be JSON text");
                self.reply(&events::error(&error.body(), None));
                Step::Continue
            }
            Some(Ok(WsMessage::Close(_))) | None => Step::Drop,
            Some(Ok(_)) => Step::Continue,
            Some(Err(error)) => match close_for(&error) {
                Some((code, reason)) => Step::Close(code, reason),
                None => Step::Drop,
            },
        }
    }

    fn reply(&self, frame: &Frame) {
        self.replies.send(frame);
    }

    async fn handle(&mut self, text: &str) {
        let frame = match protocol::parse(text) {
            Ok(frame) => frame,
            Err(bad) => {
                self.reply(&events::error(&bad.error.body(), bad.reference.as_deref()));
                return;
            }
        };
        let reference = frame.reference.as_deref();
        if let Err(error) = self.dispatch(frame.event, reference).await {
            self.reply(&events::error(&error.body(), reference));
        }
    }

    async fn dispatch(&mut self, event: ClientEvent, reference: Option<&str>) -> Result<(), Error> {
        let ctx = &self.ctx;
        let caller = &self.caller;
        let origin = Some(Origin {
            conn: self.conn,
            reference,
        });
        // Anything but the client's own keep-alive is the person doing something.
        if !matches!(event, ClientEvent::Ping) {
            ctx.presence.active(caller.user_id);
        }
        match event {
            ClientEvent::Auth { .. } => {
                return Err(Error::bad_request(
                    "already_authenticated",
                    "this socket is already authenticated",
                ));
            }
            ClientEvent::Ping => self.reply(&events::pong(reference)),
            ClientEvent::GetOnlineUsers => {
                let users = presence::online_users(ctx).await?;
                self.reply(&events::online_users_update(&users, reference));
            }
            ClientEvent::JoinRoom { room_id } => {
                rooms::join(ctx, caller, room_id, origin).await?;
            }
            ClientEvent::LeaveRoom { room_id } => rooms::leave(ctx, caller, room_id, origin).await?,
            ClientEvent::SendMessage { room_id, draft } => {
                messages::send(ctx, caller, room_id, draft, origin).await?;
            }
            ClientEvent::EditMessage { message_id, content } => {
                messages::edit(ctx, caller, message_id, &content, origin).await?;
            }
            ClientEvent::DeleteMessage { message_id } => {
                messages::delete(ctx, caller, message_id, origin).await?;
            }
            ClientEvent::AddReaction { message_id, emoji } => {
                reactions::react(ctx, caller, message_id, &emoji, true, origin).await?;
            }
            ClientEvent::RemoveReaction { message_id, emoji } => {
                reactions::react(ctx, caller, message_id, &emoji, false, origin).await?;
            }
            ClientEvent::MarkRead { room_id, message_id } => {
                rooms::mark_read(ctx, caller, room_id, message_id, origin).await?;
            }
            ClientEvent::TypingStart { room_id } => {
                connections::typing(ctx, caller, self.conn, room_id, true).await?;
            }
            ClientEvent::TypingStop { room_id } => {
                connections::typing(ctx, caller, self.conn, room_id, false).await?;
            }
            ClientEvent::OpenDm { user_ids } => {
                dms::open(ctx, caller, &user_ids, origin).await?;
            }
            ClientEvent::CloseDm { room_id } => dms::close(ctx, caller, room_id, origin).await?,
            ClientEvent::SetStatus { choice } => {
                people::set_status(ctx, caller, choice, origin).await?;
            }
        }
        Ok(())
    }
}

/// The `Instant` at wall-clock time `at` (unix ms) when it is `now`; far future if that overflows.
fn instant_at(at: time::Millis, now: time::Millis) -> Instant {
    let from_now = Duration::from_millis(u64::try_from(at - now).unwrap_or(0));
    Instant::now()
        .checked_add(from_now)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    /// The size of the future `f` returns, without calling it.
    fn future_size<A, B, F: Future>(_: impl Fn(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// A socket's task is most of what an idle connection costs, so the large steps
    /// (authenticating, `ready`, handling a frame) are boxed. Without the boxes the task was
    /// 6.3 KiB in a release build; with them, 1.7 KiB.
    #[test]
    fn the_connection_task_stays_small() {
        let size = future_size(super::serve);
        assert!(size <= 3 * 1024, "a connection's task is {size} bytes");
    }
}
