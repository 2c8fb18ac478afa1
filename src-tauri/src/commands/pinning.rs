//! Commands of the pinned transport: probing a server, trusting or forgetting its certificate,
//! and the WebSockets the page opens through the app.

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use crate::error::Result;
use crate::lan::{self, LanEvent, LanScan, Watch};
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

/// Lists Confab servers heard on the LAN on `on_event`, live, until `lan_unwatch` (or another
/// `lan_watch`).
#[tauri::command]
pub fn lan_watch(app: AppHandle, watch: State<'_, Watch>, on_event: Channel<LanEvent>) {
    watch.start(
        move |event| on_event.send(event).is_ok(),
        move |id| app.state::<Pinning>().is_pinned(id),
    );
}

#[tauri::command]
pub fn lan_unwatch(watch: State<'_, Watch>) {
    watch.stop();
}

/// Asks every address of the local /24s whether a Confab server answers there (no credentials
/// sent): the fallback when nothing announces itself, on demand or when the list stays empty.
#[tauri::command]
pub async fn lan_scan(app: AppHandle) -> Result<LanScan> {
    let pinning = app.state::<Pinning>();
    let ports = pinning.ports();
    Ok(lan::scan(ports, |id| pinning.is_pinned(id)).await)
}
