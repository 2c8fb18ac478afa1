//! Commands of large transfers streamed in Rust: downloading an attachment into the Downloads
//! folder, picking files with the native dialog and uploading them from disk, and cancelling.
//! The page names a server, an API path and a transfer id; the session token comes from where
//! the app keeps it (the page sends one only for a session it was not asked to remember).

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State, WebviewWindow};

use crate::Desktop;
use crate::error::{Error, Result};
use crate::picker::{FileInfo, Files};
use crate::pinned::Pinning;
use crate::settings::normalize_url;
use crate::transfers::{self, Progress, Transfers, Uploaded};

/// The token for `server`: the app's own when it keeps one, else what the page holds.
fn token_for(desktop: &Desktop, server: &str, from_page: Option<String>) -> Option<String> {
    desktop
        .session_token(server)
        .or(from_page.filter(|t| !t.is_empty()))
}

/// Downloads `url` (an attachment's `/api/files/…`) from `server` into the Downloads folder
/// under `name` (a name, never a path), reporting progress on `on_progress`; cancelled with
/// `cancel_transfer(transfer)`. Returns where the file went.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn download_file(
    app: AppHandle,
    desktop: State<'_, Desktop>,
    pinning: State<'_, Pinning>,
    running: State<'_, Transfers>,
    server: String,
    url: String,
    name: Option<String>,
    token: Option<String>,
    transfer: String,
    on_progress: Channel<Progress>,
) -> Result<String> {
    let server = normalize_url(&server)?;
    let link = pinning.link_for(&server)?;
    let token = token_for(&desktop, &server, token);
    let folder = super::downloads_folder(&app)?;
    let work = transfers::download(
        &link,
        token.as_deref(),
        &url,
        &folder,
        name.as_deref(),
        &server,
        |p| {
            let _ = on_progress.send(p);
        },
    );
    let saved = running.run(&transfer, work).await?;
    Ok(saved.display().to_string())
}

/// Opens the native dialog for any files; the web client gets their names, sizes and opaque
/// ids (empty when the person cancelled), never their paths.
#[tauri::command]
pub async fn pick_files(app: AppHandle, window: WebviewWindow) -> Result<Vec<FileInfo>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    // GTK dialogs must be created on the main thread; the wait happens elsewhere.
    app.run_on_main_thread(move || {
        let dialog = rfd::AsyncFileDialog::new().set_parent(&window).pick_files();
        std::thread::spawn(move || {
            let _ = tx.send(tauri::async_runtime::block_on(dialog));
        });
    })?;
    let chosen = rx.await.ok().flatten().unwrap_or_default();
    let files = app.state::<Files>();
    chosen
        .into_iter()
        .map(|file| files.hold(file.path().to_owned()))
        .collect()
}

/// Uploads the picked file `picked` to room `room_id` on `server`, streamed from disk, with the
/// optional caption and client message id; progress on `on_progress`, cancelled with
/// `cancel_transfer(transfer)`. Resolves with the server's status and answer.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn upload_file(
    desktop: State<'_, Desktop>,
    pinning: State<'_, Pinning>,
    files: State<'_, Files>,
    running: State<'_, Transfers>,
    server: String,
    room_id: i64,
    picked: String,
    caption: Option<String>,
    client_msg_id: Option<String>,
    token: Option<String>,
    transfer: String,
    on_progress: Channel<Progress>,
) -> Result<Uploaded> {
    let server = normalize_url(&server)?;
    let link = pinning.link_for(&server)?;
    let token = token_for(&desktop, &server, token);
    let file = files.get(&picked)?;
    let mut fields = Vec::new();
    if let Some(caption) = caption.as_deref().filter(|c| !c.is_empty()) {
        fields.push(("caption", caption));
    }
    if let Some(id) = client_msg_id.as_deref().filter(|c| !c.is_empty()) {
        fields.push(("client_msg_id", id));
    }
    let path = format!("/api/rooms/{room_id}/uploads");
    let work = transfers::upload(&link, token.as_deref(), &path, &fields, &file, move |p| {
        let _ = on_progress.send(p);
    });
    running.run(&transfer, work).await
}

/// Forgets a picked file once its upload is done or discarded.
#[tauri::command]
pub fn release_picked_file(files: State<'_, Files>, picked: String) {
    files.release(&picked);
}

/// Stops a running download or upload; a download's partial file is removed.
#[tauri::command]
pub fn cancel_transfer(running: State<'_, Transfers>, transfer: String) -> Result<()> {
    if transfer.len() > 64 {
        return Err(Error::invalid("invalid_transfer", "that is not a transfer id"));
    }
    running.cancel(&transfer);
    Ok(())
}
