//! The Confab desktop app: a Tauri shell around the web client in `ui/` that either connects to
//! a Confab server elsewhere or hosts one in-process (`server_core`), and adds what a browser
//! cannot do well: a native image picker, OS notifications, a tray icon, and settings that
//! survive restarts. Everything that can be is Tauri-free (`settings`, `host`, `notifications`,
//! `picker`, `remote`, `idle`, the words of `tray`) and tested on its own; this file wires it to Tauri.

pub mod awake;
mod commands;
pub mod downloads;
pub mod error;
pub mod host;
pub mod idle;
pub mod lan;
pub mod lifecycle;
pub mod links;
pub mod notifications;
pub mod origin;
pub mod picker;
pub mod pinned;
pub mod pins;
pub mod relaunch;
pub mod remote;
pub mod rendering;
pub mod secrets;
pub mod settings;
pub mod transfers;
pub mod transport;
pub mod tray;
pub mod updates;
pub mod verify;
pub mod webview_memory;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder, Wry};
use tauri_plugin_opener::OpenerExt;
use tauri_plugin_store::{Store, StoreExt};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::Result;
use crate::host::Host;
use crate::notifications::{Incoming, Summary};
use crate::picker::Picks;
use crate::settings::{FileCheck, Mode, STORE_FILE, STORE_KEY, Settings};

/// The main window's label.
pub const MAIN: &str = "main";
/// How long notifications wait for company before being shown together.
const COALESCE: Duration = Duration::from_millis(1200);

/// The app's state, managed by Tauri and reached from commands.
pub struct Desktop {
    settings: Mutex<Settings>,
    /// Something to tell the person about how settings were loaded, shown once.
    notice: Mutex<Option<String>>,
    store: Arc<Store<Wry>>,
    pub host: Host,
    /// The built-in server's data folder.
    pub server_data: PathBuf,
    pub picks: Picks,
    pending: Mutex<Vec<Incoming>>,
    exiting: AtomicBool,
    /// A launch that came while quitting, started once this instance has let go.
    relaunch: relaunch::Relaunch,
    /// `confab://` links waiting for the web client.
    pub links: links::Inbox,
    /// Session tokens: in the OS credential store, or in memory only without one.
    pub tokens: secrets::TokenStore,
    /// Whether the person was told this run that sign-ins are not kept.
    told_no_store: AtomicBool,
    /// Whether the OS was asked not to sleep while hosting (`awake`).
    pub awake: Mutex<lifecycle::Awake>,
    /// The account this app's window uses on its own built-in server: (session token, user id).
    me: Mutex<Option<(String, i64)>>,
}

impl Desktop {
    pub fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes the settings with `change` and saves them.
    pub fn update(&self, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<Settings> {
        let mut settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changed = settings.clone();
        change(&mut changed)?;
        self.store.set(STORE_KEY, changed.to_stored());
        self.store
            .save()
            .map_err(|e| error::Error::Settings(e.to_string()))?;
        *settings = changed.clone();
        Ok(changed)
    }

    /// The session token kept for `server`, if any.
    pub fn session_token(&self, server: &str) -> Option<String> {
        self.tokens.get(server)
    }

    /// True the first time this run that a token could only be kept in memory.
    pub fn first_unkept_token(&self) -> bool {
        !self.tokens.persistent() && !self.told_no_store.swap(true, Ordering::SeqCst)
    }

    pub fn take_notice(&self) -> Option<String> {
        self.notice.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// The `host-status` event: the built-in server started, stopped or failed.
#[derive(Clone, Serialize)]
struct HostEvent {
    status: host::HostStatus,
    /// `{code, message}` when starting failed.
    error: Option<serde_json::Value>,
}

/// Starts the built-in server from the saved settings, off the window's thread, and tells the
/// web client how it went.
pub fn start_host(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let desktop = app.state::<Desktop>();
        let settings = desktop.settings();
        let result = desktop
            .host
            .start(desktop.server_data.clone(), settings.host.port, settings.host.lan)
            .await;
        if let Ok(status) = &result {
            app.state::<pinned::Pinning>().trust_own(status);
            lifecycle::claim_admin(&app);
        }
        let event = match result {
            Ok(status) => HostEvent { status, error: None },
            Err(e) => HostEvent {
                status: desktop.host.status().await,
                error: serde_json::to_value(&e).ok(),
            },
        };
        let _ = app.emit_to(MAIN, "host-status", event);
    });
}

/// Queues a notification; the first of a batch schedules the showing.
pub fn queue_notification(app: &AppHandle, message: Incoming) {
    let desktop = app.state::<Desktop>();
    let focused = app
        .get_webview_window(MAIN)
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if !notifications::wanted(&desktop.settings(), &message, focused) {
        return;
    }
    let first = {
        let mut pending = desktop.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.push(message);
        pending.len() == 1
    };
    if first {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(COALESCE).await;
            let batch = std::mem::take(
                &mut *app
                    .state::<Desktop>()
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
            if let Some(summary) = notifications::summarize(&batch) {
                show_notification(&app, summary);
            }
        });
    }
}

/// Where the app icon for notifications lives on disk (written on first use).
fn notification_icon(app: &AppHandle) -> Option<PathBuf> {
    let path = app.path().app_cache_dir().ok()?.join("confab-icon.png");
    if !path.exists() {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(&path, include_bytes!("../../icons/128x128@2x.png")).ok()?;
    }
    Some(path)
}

fn show_notification(app: &AppHandle, summary: Summary) {
    let icon = notification_icon(app);
    let app = app.clone();
    // Showing talks to the notification service and, on Linux, waits for a click: a thread of
    // its own, never the window's.
    std::thread::spawn(move || {
        let mut notification = notify_rust::Notification::new();
        notification.appname("Confab").summary(&summary.title);
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let markup = notify_rust::get_capabilities()
                .map(|caps| caps.iter().any(|c| c == "body-markup"))
                .unwrap_or(false);
            let body = if markup {
                notifications::escape_markup(&summary.body)
            } else {
                summary.body.clone()
            };
            notification
                .body(&body)
                .hint(notify_rust::Hint::DesktopEntry("Confab".into()))
                .action("default", "Open");
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        notification.body(&summary.body);
        if let Some(icon) = icon.as_ref().and_then(|p| p.to_str()) {
            notification.icon(icon);
        }
        match notification.show() {
            #[cfg(all(unix, not(target_os = "macos")))]
            Ok(handle) => handle.wait_for_action(|action| {
                if action == "default" {
                    focus_room(&app, &summary);
                }
            }),
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            Ok(_) => {
                let _ = &app;
            }
            Err(e) => tracing::warn!(error = %e, "showing a notification failed"),
        }
    });
}

/// Brings the window forward on the notification's room.
fn focus_room(app: &AppHandle, summary: &Summary) {
    #[derive(Clone, Serialize)]
    struct OpenRoom {
        server: String,
        room_id: i64,
    }
    show_main_window(app);
    let _ = app.emit_to(
        MAIN,
        "open-room",
        OpenRoom {
            server: summary.server.clone(),
            room_id: summary.room_id,
        },
    );
}

/// Brings the main window forward (from the tray, a notification, or minimized).
pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Hands `confab://` links to the web client: now if it listens, else when it asks.
pub fn deliver_links(app: &AppHandle, links: Vec<String>) {
    #[derive(Clone, Serialize)]
    struct Links {
        links: Vec<String>,
    }
    if links.is_empty() {
        return;
    }
    tracing::info!(?links, "confab link received");
    let desktop = app.state::<Desktop>();
    if !desktop.links.push(links.clone()) {
        let _ = app.emit_to(MAIN, "confab-link", Links { links });
    }
}

/// Makes this app the handler of `confab://` links. Installers register the scheme (the .deb's
/// desktop entry, the macOS bundle, the Windows installers); a build run from elsewhere (a
/// developer's, an AppImage) registers itself for the current user.
fn register_scheme(app: &AppHandle) {
    #[cfg(any(target_os = "linux", windows))]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let installed = std::env::current_exe()
            .map(|exe| exe.starts_with("/usr") || exe.starts_with("/opt"))
            .unwrap_or(false);
        if !installed && let Err(e) = app.deep_link().register_all() {
            tracing::warn!(error = %e, "registering the confab:// scheme failed");
        }
    }
    #[cfg(target_os = "macos")]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        let handle = app.clone();
        // macOS hands links to the running app as events, not arguments.
        app.deep_link().on_open_url(move |event| {
            let urls = event.urls().iter().map(|u| u.to_string()).collect::<Vec<_>>();
            deliver_links(&handle, links::accept(urls));
        });
    }
}

/// The argument the login item starts the app with: straight to the tray, no window.
pub const HIDDEN_ARG: &str = "--hidden";

/// Registers or removes the login item to match the settings.
pub fn apply_start_at_login(app: &AppHandle, settings: &Settings) {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let wanted = settings.starts_at_login();
    if launcher.is_enabled().unwrap_or(!wanted) == wanted {
        return;
    }
    let result = if wanted {
        launcher.enable()
    } else {
        launcher.disable()
    };
    match result {
        Ok(()) => tracing::info!(wanted, "start at login updated"),
        Err(e) => tracing::warn!(error = %e, "changing start at login failed"),
    }
}

/// Stops the built-in server (if any), then exits. Called once; later calls do nothing.
pub fn exit_gracefully(app: &AppHandle) {
    let desktop = app.state::<Desktop>();
    if desktop.exiting.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let desktop = app.state::<Desktop>();
        desktop.host.stop().await;
        // From here a launch starts an instance of its own, and one that came meanwhile does.
        tauri_plugin_single_instance::destroy(&app);
        desktop.relaunch.start();
        app.exit(0);
    });
}

fn load_state(app: &AppHandle) -> Result<Desktop> {
    let data_dir = app.path().app_data_dir()?;
    // The folder holds session tokens and, in host mode, the whole chat: this user's only.
    server_core::create_private_dir(&data_dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Earlier versions created it with the default permissions; it is the app's own folder.
        let _ = std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700));
    }
    let mut notices = Vec::new();
    if let FileCheck::Corrupt { backup } = settings::check_file(&data_dir.join(STORE_FILE))? {
        tracing::warn!(backup = %backup.display(), "settings file was unreadable; starting from defaults");
        notices.push(format!(
            "Your settings file could not be read, so Confab started with default settings. The old file was kept as {}.",
            backup.display()
        ));
    }
    let store = app
        .store(STORE_FILE)
        .map_err(|e| error::Error::Settings(e.to_string()))?;
    let (mut settings, notice) = Settings::from_stored(store.get(STORE_KEY).as_ref());
    notices.extend(notice);
    let tokens = secrets::TokenStore::open(secrets::SERVICE);
    let told_no_store = AtomicBool::new(false);
    if !settings.sessions.is_empty() {
        // Earlier versions kept tokens in the settings file: move them out, then rewrite it.
        let migration = tokens.migrate(&mut settings.sessions);
        tracing::info!(?migration, "session tokens moved out of the settings file");
        store.set(STORE_KEY, settings.to_stored());
        store.save().map_err(|e| error::Error::Settings(e.to_string()))?;
        if migration.to_memory > 0 {
            told_no_store.store(true, Ordering::SeqCst);
            notices.push(secrets::NO_STORE_NOTICE.to_owned());
        }
    }
    Ok(Desktop {
        settings: Mutex::new(settings),
        notice: Mutex::new(if notices.is_empty() {
            None
        } else {
            Some(notices.join(" "))
        }),
        store,
        host: Host::default(),
        server_data: data_dir.join("server"),
        picks: Picks::default(),
        pending: Mutex::new(Vec::new()),
        exiting: AtomicBool::new(false),
        relaunch: relaunch::Relaunch::default(),
        tokens,
        told_no_store,
        me: Mutex::new(None),
        awake: Mutex::new(lifecycle::Awake::Off),
        links: links::Inbox::default(),
    })
}

fn open_main_window(app: &AppHandle) -> tauri::Result<()> {
    let opener = app.clone();
    // Started at login: straight to the tray; the tray or a second launch shows the window.
    let hidden = std::env::args().any(|arg| arg == HIDDEN_ARG);
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Confab")
        .visible(!hidden)
        .inner_size(1180.0, 760.0)
        .min_inner_size(380.0, 520.0)
        // Only the bundled UI is ever shown in the window (only it has IPC); web links open
        // in the person's browser instead.
        .on_navigation(move |url| {
            let bundled = matches!(url.scheme(), "tauri" | "asset")
                || url.host_str() == Some("tauri.localhost")
                || url.host_str() == Some("ipc.localhost");
            if !bundled && matches!(url.scheme(), "http" | "https" | "mailto") {
                let _ = opener.opener().open_url(url.as_str(), None::<&str>);
            }
            bundled
        })
        .build()?;
    Ok(())
}

/// Runs the app until it quits.
pub fn run() {
    // The built-in server logs here too: the same filter keeps tokens and passwords out.
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(server_core::log_filter("info")))
        .try_init();
    let app = tauri::Builder::default()
        // First, so a second launch hands over before building anything of its own.
        .plugin(tauri_plugin_single_instance::init(|app, args, cwd| {
            // Before setup has run there is no state yet, and nothing quitting either.
            if let Some(desktop) = app.try_state::<Desktop>()
                && desktop.exiting.load(Ordering::SeqCst)
            {
                tracing::info!("a second launch came while quitting; it starts once this one has stopped");
                desktop.relaunch.defer(args, cwd);
                return;
            }
            tracing::info!("a second launch handed over to this one");
            show_main_window(app);
            deliver_links(app, links::accept(args.iter().skip(1)));
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![HIDDEN_ARG]),
        ))
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(updates::flow::plugin())
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                lifecycle::on_close_requested(window, api);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::get_settings,
            commands::update_settings,
            commands::remember_session,
            commands::forget_session,
            commands::check_server,
            commands::host_start,
            commands::host_stop,
            commands::host_status,
            commands::pick_image,
            commands::take_picked_image,
            commands::notify,
            commands::set_unread_count,
            commands::save_download,
            commands::quit,
            commands::take_links,
            commands::keep_awake_status,
            commands::update_status,
            commands::update_check,
            commands::update_install,
            commands::probe_server,
            commands::trust_server,
            commands::forget_server,
            commands::pinned_servers,
            commands::ws_open,
            commands::ws_send,
            commands::ws_close,
            commands::lan_watch,
            commands::lan_unwatch,
            commands::lan_scan,
            commands::download_file,
            commands::pick_files,
            commands::upload_file,
            commands::release_picked_file,
            commands::cancel_transfer,
        ])
        // The web client's requests to an https server, carried over the pinned transport.
        .register_asynchronous_uri_scheme_protocol(pinned::SCHEME, pinned::protocol)
        .setup(|app| {
            let state = load_state(app.handle())?;
            let host_mode = state.settings().mode == Some(Mode::Host);
            let language = state.settings().language;
            apply_start_at_login(app.handle(), &state.settings());
            pinned::manage(app.handle())?;
            app.manage(state);
            app.manage(tray::TrayState::default());
            app.manage(picker::Files::default());
            app.manage(transfers::Transfers::default());
            open_main_window(app.handle())?;
            tray::install(app.handle(), language);
            lifecycle::watch_hosting(app.handle());
            let source = updates::source(app.config().plugins.0.get("updater"), |name| {
                std::env::var(name).ok()
            })
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the update source is not usable; not checking for updates");
                None
            });
            app.manage(updates::flow::Updates::new(source));
            updates::flow::schedule(app.handle());
            register_scheme(app.handle());
            deliver_links(app.handle(), links::accept(std::env::args().skip(1)));
            let handle = app.handle().clone();
            idle::watch(move |idle| {
                let _ = handle.emit_to(MAIN, "machine-idle", serde_json::json!({ "idle": idle }));
            });
            if host_mode {
                start_host(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("building the Confab window");
    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, .. } = event {
            // Stop the built-in server cleanly first; exit_gracefully exits when it is done.
            if !app.state::<Desktop>().exiting.load(Ordering::SeqCst) {
                api.prevent_exit();
                exit_gracefully(app);
            }
        }
    });
}
