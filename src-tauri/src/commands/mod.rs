//! The commands the web client may invoke. Each is a thin wrapper over Tauri-free code and
//! validates what it receives from the webview.

mod pinning;
mod transfers;

pub use pinning::*;
pub use transfers::*;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State, WebviewWindow};

use crate::error::{Error, Result};
use crate::host::HostStatus;
use crate::notifications::Incoming;
use crate::picker::{self, PickedInfo};
use crate::remote::{self, ServerInfo};
use crate::settings::{Mode, Settings, SettingsPatch, normalize_url};
use crate::{Desktop, downloads, queue_notification};

/// Everything the web client needs to start: settings (without any session tokens), the
/// address to talk to, its saved session, and any notice about how settings were loaded.
#[derive(Serialize)]
pub struct Startup {
    settings: Settings,
    /// The server the web client should use (remote URL or the built-in server), if chosen.
    server_url: Option<String>,
    /// The saved session token for that server.
    session_token: Option<String>,
    host: HostStatus,
    notice: Option<String>,
    version: &'static str,
}

fn startup(desktop: &Desktop, mut settings: Settings, host: HostStatus, notice: Option<String>) -> Startup {
    let server_url = match settings.mode {
        Some(Mode::Remote) => settings.server_url.clone(),
        Some(Mode::Host) => Some(settings.host_url()),
        None => None,
    };
    let session_token = server_url.as_ref().and_then(|url| desktop.session_token(url));
    settings.sessions.clear();
    Startup {
        settings,
        server_url,
        session_token,
        host,
        notice,
        version: env!("CARGO_PKG_VERSION"),
    }
}

#[tauri::command]
pub async fn get_settings(desktop: State<'_, Desktop>) -> Result<Startup> {
    let notice = desktop.take_notice();
    let host = desktop.host.status().await;
    Ok(startup(&desktop, desktop.settings(), host, notice))
}

/// Applies a settings change. Choosing host mode, or changing its port or LAN exposure, starts
/// (or restarts) the built-in server; leaving host mode stops it.
#[tauri::command]
pub async fn update_settings(
    app: AppHandle,
    desktop: State<'_, Desktop>,
    patch: SettingsPatch,
) -> Result<Startup> {
    let before = desktop.settings();
    let settings = desktop.update(|s| s.apply(patch))?;
    if settings.language != before.language {
        crate::tray::relabel(&app, settings.language);
    }
    if settings.starts_at_login() != before.starts_at_login() {
        crate::apply_start_at_login(&app, &settings);
    }
    let host = match settings.mode {
        Some(Mode::Host) if before.mode != Some(Mode::Host) || before.host != settings.host => {
            let status = desktop
                .host
                .start(desktop.server_data.clone(), settings.host.port, settings.host.lan)
                .await?;
            app.state::<crate::pinned::Pinning>().trust_own(&status);
            crate::lifecycle::claim_admin(&app);
            status
        }
        Some(Mode::Host) => desktop.host.status().await,
        _ => {
            desktop.host.stop().await;
            desktop.host.status().await
        }
    };
    Ok(startup(&desktop, settings, host, None))
}

/// Keeps a session token in the OS credential store (or, without one, in memory for this run,
/// telling the web client once with a `credential-store-missing` event).
#[tauri::command]
pub fn remember_session(
    app: AppHandle,
    desktop: State<'_, Desktop>,
    server: String,
    token: String,
) -> Result<()> {
    let server = normalize_url(&server)?;
    if token.is_empty()
        || token.len() > 128
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid("invalid_token", "that is not a session token"));
    }
    desktop.tokens.set(&server, &token);
    // Whoever hosts administers: the first sign-in from this window on the built-in server.
    if server == desktop.settings().host_url() {
        crate::lifecycle::claim_admin(&app);
    }
    if desktop.first_unkept_token() {
        let _ = app.emit_to(
            crate::MAIN,
            "credential-store-missing",
            crate::secrets::NO_STORE_NOTICE,
        );
    }
    Ok(())
}

#[tauri::command]
pub fn forget_session(desktop: State<'_, Desktop>, server: String) -> Result<()> {
    let server = normalize_url(&server)?;
    desktop.tokens.remove(&server);
    Ok(())
}

#[tauri::command]
pub async fn check_server(url: String) -> Result<ServerInfo> {
    remote::check_server(&url).await
}

#[tauri::command]
pub async fn host_start(app: AppHandle, desktop: State<'_, Desktop>) -> Result<HostStatus> {
    let settings = desktop.settings();
    let status = desktop
        .host
        .start(desktop.server_data.clone(), settings.host.port, settings.host.lan)
        .await?;
    app.state::<crate::pinned::Pinning>().trust_own(&status);
    crate::lifecycle::claim_admin(&app);
    Ok(status)
}

#[tauri::command]
pub async fn host_stop(desktop: State<'_, Desktop>) -> Result<HostStatus> {
    desktop.host.stop().await;
    Ok(desktop.host.status().await)
}

#[tauri::command]
pub async fn host_status(desktop: State<'_, Desktop>) -> Result<HostStatus> {
    Ok(desktop.host.status().await)
}

/// Whether the OS was asked not to sleep while hosting: "on", "off" or "unavailable".
#[tauri::command]
pub fn keep_awake_status(desktop: State<'_, Desktop>) -> &'static str {
    desktop
        .awake
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .word()
}

/// Opens the OS file dialog (filtered to images) and keeps the chosen image; `None` if the
/// person cancelled.
#[tauri::command]
pub async fn pick_image(
    app: AppHandle,
    window: WebviewWindow,
    max_bytes: Option<u64>,
) -> Result<Option<PickedInfo>> {
    let limit = max_bytes
        .unwrap_or(picker::DEFAULT_LIMIT)
        .clamp(1, 1024 * 1024 * 1024);
    let (tx, rx) = tokio::sync::oneshot::channel();
    // GTK dialogs must be created on the main thread; the wait happens elsewhere.
    app.run_on_main_thread(move || {
        let dialog = rfd::AsyncFileDialog::new()
            .add_filter("Images", &["png", "jpg", "jpeg", "gif", "webp"])
            .set_parent(&window)
            .pick_file();
        std::thread::spawn(move || {
            let _ = tx.send(tauri::async_runtime::block_on(dialog));
        });
    })?;
    let Some(file) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let name = file.file_name();
    let bytes = file.read().await;
    let picked = picker::check_image(name, bytes, limit)?;
    Ok(Some(app.state::<Desktop>().picks.hold(picked)))
}

/// The bytes of a pick, as a binary IPC response (not JSON).
#[tauri::command]
pub fn take_picked_image(desktop: State<'_, Desktop>, id: String) -> Result<tauri::ipc::Response> {
    let picked = desktop.picks.take(&id)?;
    Ok(tauri::ipc::Response::new(picked.bytes))
}

#[tauri::command]
pub fn notify(app: AppHandle, message: Incoming) -> Result<()> {
    if message.room_name.len() > 1024 || message.sender.len() > 256 || message.content.len() > 64 * 1024 {
        return Err(Error::invalid(
            "invalid_notification",
            "notification fields are too long",
        ));
    }
    let mut message = message;
    message.server = normalize_url(&message.server)?;
    queue_notification(&app, message);
    Ok(())
}

/// Shows the unread count in the window title and on the tray icon.
#[tauri::command]
pub fn set_unread_count(
    app: AppHandle,
    desktop: State<'_, Desktop>,
    window: WebviewWindow,
    count: u32,
) -> Result<()> {
    let title = if count == 0 {
        "Confab".to_owned()
    } else {
        format!("Confab ({})", count.min(9999))
    };
    window.set_title(&title)?;
    crate::tray::show_unread(&app, count, desktop.settings().language);
    Ok(())
}

/// Saves a downloaded attachment into the person's Downloads folder. The body is the file's
/// bytes; the `x-file-name` header its percent-encoded name — a name, never a path: only its
/// last component is used, and existing files are never overwritten. The saved file carries the
/// OS's "downloaded from" mark naming the chat server. Returns where it went.
#[tauri::command]
pub fn save_download(app: AppHandle, request: tauri::ipc::Request<'_>) -> Result<String> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(Error::invalid(
            "invalid_download",
            "send the file's bytes as the body",
        ));
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .and_then(downloads::decode_name);
    let folder = downloads_folder(&app)?;
    std::fs::create_dir_all(&folder)?;
    let path = downloads::destination(&folder, name.as_deref());
    std::fs::write(&path, bytes)?;
    let settings = app.state::<Desktop>().settings();
    let from = match settings.mode {
        Some(Mode::Host) => Some(settings.host_url()),
        _ => settings.server_url.clone(),
    };
    if let Err(e) = crate::origin::mark(&path, from.as_deref().unwrap_or("about:unknown")) {
        tracing::warn!(error = %e, path = %path.display(), "could not mark the download's origin");
    }
    Ok(path.display().to_string())
}

/// The person's Downloads folder (`~/Downloads` where the platform names none).
fn downloads_folder(app: &AppHandle) -> Result<std::path::PathBuf> {
    Ok(app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir().map(|home| home.join("Downloads")))?)
}

/// The `confab://` links that arrived before the web client listened; later ones come as
/// `confab-link` events.
#[tauri::command]
pub fn take_links(desktop: State<'_, Desktop>) -> Vec<String> {
    desktop.links.take()
}

/// Quits the app (asking first if colleagues use the built-in server), stopping the built-in
/// server cleanly.
#[tauri::command]
pub fn quit(app: AppHandle) {
    crate::lifecycle::request_quit(&app);
}

/// Where updates stand: see `updates::UpdateState`.
#[tauri::command]
pub fn update_status(updates: State<'_, crate::updates::flow::Updates>) -> crate::updates::UpdateState {
    updates.state()
}

/// Looks for a newer version now (the person's "Check now").
#[tauri::command]
pub async fn update_check(app: AppHandle) -> crate::updates::UpdateState {
    crate::updates::flow::check(&app).await
}

/// Downloads the version found, checks its signature and installs it where this copy can be
/// replaced.
#[tauri::command]
pub async fn update_install(app: AppHandle) -> crate::updates::UpdateState {
    crate::updates::flow::install(&app).await
}
