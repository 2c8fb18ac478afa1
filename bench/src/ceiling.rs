//! The ceiling server: the fastest honest broadcast server this machine can run, so Confab is
//! always reported as a fraction of it. Bare tokio-tungstenite: no auth, no JSON, no database.
//! A client picks its rooms in the URL (`/ws?rooms=1,2,3`, default room 1) and every text frame
//! it sends goes to every socket in the room named by the frame's stamp (see `stamp.rs`), the
//! sender's included.
//!
//! It is built like Confab's real-time path so the comparison is about the work Confab adds,
//! not about a different design: one task per socket that both reads and writes, a bounded
//! queue of shared frames per socket filled with `try_send` (a full queue disconnects that
//! client), batched writes with one flush, and Confab's read buffer size. Writes go through
//! tungstenite's own buffer (16 KiB), as a bare tokio-tungstenite server's do.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::stamp::Stamp;

/// Frames a socket may have waiting (Confab's `SOCKET_QUEUE`).
const QUEUE: usize = 1024;
/// Frames written per flush (Confab's `WRITE_BATCH`).
const WRITE_BATCH: usize = 64;
/// Largest frame accepted (Confab's `MAX_FRAME`).
const MAX_FRAME: usize = 64 * 1024;

/// Confab's read buffer (so per-socket memory is compared like for like) and tungstenite's
/// usual write buffering.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME))
}

struct Member {
    id: u64,
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Arc<Notify>,
    killed: Arc<AtomicBool>,
}

#[derive(Default)]
struct Rooms {
    members: RwLock<HashMap<u64, Vec<Member>>>,
    next_id: AtomicU64,
}

impl Rooms {
    fn broadcast(&self, room: u64, frame: &Utf8Bytes) {
        let members = self.members.read().unwrap_or_else(PoisonError::into_inner);
        let Some(members) = members.get(&room) else {
            return;
        };
        for member in members {
            if let Err(mpsc::error::TrySendError::Full(_)) = member.tx.try_send(frame.clone()) {
                if !member.killed.swap(true, Ordering::Relaxed) {
                    member.kill.notify_one();
                }
            }
        }
    }

    fn remove(&self, id: u64, rooms: &[u64]) {
        let mut members = self.members.write().unwrap_or_else(PoisonError::into_inner);
        for room in rooms {
            if let Some(list) = members.get_mut(room) {
                list.retain(|m| m.id != id);
            }
        }
    }
}

/// A ceiling server running inside this process.
pub struct RunningCeiling {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl RunningCeiling {
    /// Binds `bind` and serves until [`RunningCeiling::stop`].
    pub async fn start(bind: SocketAddr) -> Result<RunningCeiling> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(listener, stop.clone()));
        Ok(RunningCeiling { addr, stop, task })
    }

    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Accepts sockets until `stop`, then closes them all.
pub async fn serve(listener: TcpListener, stop: CancellationToken) {
    let rooms = Arc::new(Rooms::default());
    let sockets = tokio_util::task::TaskTracker::new();
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors, usually: back off rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        sockets.spawn(connection(stream, rooms.clone(), stop.clone()));
    }
    sockets.close();
    sockets.wait().await;
}

/// Rooms named by `?rooms=1,2,3` in a request path; room 1 when absent.
fn rooms_in(path_and_query: &str) -> Vec<u64> {
    let rooms: Vec<u64> = path_and_query
        .split_once('?')
        .map(|(_, query)| query)
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter_map(|pair| pair.strip_prefix("rooms="))
        .flat_map(|list| list.split(','))
        .filter_map(|room| room.parse().ok())
        .collect();
    if rooms.is_empty() { vec![1] } else { rooms }
}

async fn connection(stream: TcpStream, rooms: Arc<Rooms>, stop: CancellationToken) {
    let mut wanted = Vec::new();
    // The error type is tungstenite's handshake API, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        wanted = rooms_in(&request.uri().to_string());
        Ok(response)
    };
    let Ok(mut socket) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(socket_config())).await
    else {
        return;
    };
    let id = rooms.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, mut outbound) = mpsc::channel(QUEUE);
    let kill = Arc::new(Notify::new());
    let killed = Arc::new(AtomicBool::new(false));
    {
        let mut members = rooms.members.write().unwrap_or_else(PoisonError::into_inner);
        for room in &wanted {
            members.entry(*room).or_default().push(Member {
                id,
                tx: tx.clone(),
                kill: kill.clone(),
                killed: killed.clone(),
            });
        }
    }
    drop(tx);
    loop {
        tokio::select! {
            biased;
            () = kill.notified() => break,
            () = stop.cancelled() => {
                let _ = socket.close(None).await;
                break;
            }
            first = outbound.recv() => {
                let Some(first) = first else { break };
                let written = async {
                    let mut next = Some(first);
                    let mut count = 0;
                    while let Some(frame) = next.take() {
                        socket.feed(Message::Text(frame)).await?;
                        count += 1;
                        if count < WRITE_BATCH {
                            next = outbound.try_recv().ok();
                        }
                    }
                    socket.flush().await
                };
                // A client that stopped reading blocks the write; the kill must still get through.
                let ok = tokio::select! {
                    result = written => result.is_ok(),
                    () = kill.notified() => false,
                };
                if !ok {
                    break;
                }
            }
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(room) = Stamp::room_of(&text) {
                        rooms.broadcast(room, &text);
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
    }
    rooms.remove(id, &wanted);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_come_from_the_query() {
        assert_eq!(rooms_in("/ws?rooms=1,5,7"), [1, 5, 7]);
        assert_eq!(rooms_in("/ws?x=1&rooms=3"), [3]);
        assert_eq!(rooms_in("/ws"), [1]);
    }
}
