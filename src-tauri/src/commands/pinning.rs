//! Commands of the pinned transport: probing a server, trusting or forgetting its certificate,
//! and the WebSockets the page opens through the app.

use tauri::State;
use tauri::ipc::Channel;

use crate::error::Result;
use crate::pinned::{Outgoing, PinView, Pinning, ProbeAnswer, SocketEvent};

/// Reads an `https` server's name, id and certificate fingerprint without sending anything
/// secret, and says whether it is new, pinned, moved or changed.
#[tauri::command]
pub async fn probe_server(pinning: State<'_, Pinning>, url: String) -> Result<ProbeAnswer> {
    pinning.probe(&url).await
}

/// Pins the certificate the person compared with the host's screen.
#[tauri::command]
pub fn trust_server(
    pinning: State<'_, Pinning>,
    url: String,
    id: String,
    name: String,
    fingerprint: String,
) -> Result<PinView> {
    pinning.trust(&url, &id, &name, &fingerprint)
}

#[tauri::command]
pub fn forget_server(pinning: State<'_, Pinning>, id: String) -> Result<()> {
    pinning.forget(&id)
}

#[tauri::command]
pub fn pinned_servers(pinning: State<'_, Pinning>) -> Vec<PinView> {
    pinning.list()
}

#[tauri::command]
pub fn ws_open(pinning: State<'_, Pinning>, url: String, on_event: Channel<SocketEvent>) -> Result<u32> {
    pinning.open_socket(&url, on_event)
}

#[tauri::command]
pub fn ws_send(pinning: State<'_, Pinning>, id: u32, text: String) -> Result<()> {
    pinning.socket_send(id, Outgoing::Text(text))
}

#[tauri::command]
pub fn ws_close(pinning: State<'_, Pinning>, id: u32, code: u16, reason: String) -> Result<()> {
    pinning.socket_send(id, Outgoing::Close { code, reason })
}
