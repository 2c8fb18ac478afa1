//! Living in the tray: closing the window hides it (always while hosting, so colleagues keep
//! their chat), quitting while colleagues use the built-in server asks first, and the tray says
//! whether this computer hosts and how many people are connected; whoever hosts administers the
//! built-in server (`claim_admin`). The decisions and words are
//! plain functions tested alone; the rest wires them to the window, the tray and a native dialog.

use std::sync::PoisonError;
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager};

use crate::settings::{Language, Mode, Settings};
use crate::{Desktop, MAIN, exit_gracefully, remote, tray};

/// How often the tray's "people connected" is brought up to date while hosting.
const TRAY_REFRESH: Duration = Duration::from_secs(2);

/// Whether closing the window hides it to the tray rather than quitting.
pub fn hides_on_close(settings: &Settings, hosting: bool) -> bool {
    settings.close_to_tray || hosting
}

/// How many of the `connected` people are not `me` (the person using this app).
pub fn others(connected: &[i64], me: Option<i64>) -> usize {
    connected.iter().filter(|id| Some(**id) != me).count()
}

/// What the "Quit Confab?" dialog says.
#[derive(Debug, PartialEq, Eq)]
pub struct QuitQuestion {
    pub title: &'static str,
    pub message: String,
    pub quit: &'static str,
    pub keep: &'static str,
}

/// The question to ask before quitting while `others` people use the built-in server; none when
/// nobody else would be cut off.
pub fn quit_question(others: usize, language: Option<Language>) -> Option<QuitQuestion> {
    if others == 0 {
        return None;
    }
    Some(if tray::chinese(language) {
        QuitQuestion {
            title: "退出 Confab？",
            message: format!("有 {others} 人连接着这台服务器；退出会让他们的聊天中断。"),
            quit: "退出",
            keep: "继续运行",
        }
    } else {
        let who = if others == 1 {
            "1 person is".to_owned()
        } else {
            format!("{others} people are")
        };
        QuitQuestion {
            title: "Quit Confab?",
            message: format!("{who} connected to this server; quitting stops the chat for them."),
            quit: "Quit",
            keep: "Keep running",
        }
    })
}

/// The window's close button: hide to the tray when wanted, else let it close (and the app
/// quit through `RunEvent::ExitRequested`).
pub fn on_close_requested(window: &tauri::Window, api: &tauri::CloseRequestApi) {
    if window.label() != MAIN {
        return;
    }
    let app = window.app_handle();
    let desktop = app.state::<Desktop>();
    if hides_on_close(&desktop.settings(), desktop.host.is_running()) {
        api.prevent_close();
        let _ = window.hide();
        tracing::info!("window hidden to the tray");
    }
}

/// People connected to the built-in server other than the person using this app.
pub async fn others_connected(app: &AppHandle) -> usize {
    let desktop = app.state::<Desktop>();
    let connected = desktop.host.connected_people().await;
    if connected.is_empty() {
        return 0;
    }
    others(&connected, own_user(app).await)
}

/// The account this app's window is signed in to on its own built-in server, asked of that
/// server with the session token and remembered per token.
async fn own_user(app: &AppHandle) -> Option<i64> {
    let desktop = app.state::<Desktop>();
    let url = desktop.settings().host_url();
    let token = desktop.session_token(&url)?;
    if let Some((known, id)) = desktop.me.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
        && *known == token
    {
        return Some(*id);
    }
    let fingerprint = desktop.host.status().await.fingerprint;
    let id = remote::whoami(&url, fingerprint.as_deref(), &token).await?;
    *desktop.me.lock().unwrap_or_else(PoisonError::into_inner) = Some((token, id));
    Some(id)
}

/// "Quit Confab" (tray or settings): asks first when colleagues would be cut off, then stops
/// the built-in server cleanly and exits.
pub fn request_quit(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let others = others_connected(&app).await;
        let language = app.state::<Desktop>().settings().language;
        if let Some(question) = quit_question(others, language)
            && !confirm(&app, question).await
        {
            tracing::info!(others, "quitting cancelled: people are connected");
            return;
        }
        exit_gracefully(&app);
    });
}

/// A dialog button's label. GTK reads a leading `_` as the keyboard shortcut (Alt+Q quits; a
/// message dialog has no default button, and its selectable text takes the focus first).
fn button(label: &str) -> String {
    if cfg!(all(unix, not(target_os = "macos"))) {
        format!("_{label}")
    } else {
        label.to_owned()
    }
}

/// Shows `question` in a native dialog over the window; true when the person chose to quit.
async fn confirm(app: &AppHandle, question: QuitQuestion) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let window = app.get_webview_window(MAIN);
    let quit = button(question.quit);
    // GTK dialogs must be created on the main thread; the wait happens elsewhere.
    let shown = app.run_on_main_thread(move || {
        let mut dialog = rfd::AsyncMessageDialog::new()
            .set_level(rfd::MessageLevel::Warning)
            .set_title(question.title)
            .set_description(question.message)
            .set_buttons(rfd::MessageButtons::OkCancelCustom(
                button(question.quit),
                button(question.keep),
            ));
        if let Some(window) = window.as_ref() {
            dialog = dialog.set_parent(window);
        }
        let dialog = dialog.show();
        std::thread::spawn(move || {
            let _ = tx.send(tauri::async_runtime::block_on(dialog));
        });
    });
    if shown.is_err() {
        return false;
    }
    match rx.await {
        Ok(rfd::MessageDialogResult::Ok | rfd::MessageDialogResult::Yes) => true,
        Ok(rfd::MessageDialogResult::Custom(label)) => label == quit,
        _ => false,
    }
}

/// Whether the OS was asked not to sleep while hosting.
#[derive(Debug, Default)]
pub enum Awake {
    /// Not hosting, or the person turned it off.
    #[default]
    Off,
    /// Held: the computer does not sleep while this lives.
    Held(crate::awake::Inhibitor),
    /// Asked, but nothing on this system takes such requests.
    Unavailable,
}

impl Awake {
    /// What the host panel says: "on", "off" or "unavailable".
    pub fn word(&self) -> &'static str {
        match self {
            Awake::Off => "off",
            Awake::Held(_) => "on",
            Awake::Unavailable => "unavailable",
        }
    }
}

/// Takes or lets go of the "don't sleep" lock to match `wanted`; asks the OS at most once per
/// hosting spell, so a system without logind is not asked every few seconds.
async fn keep_awake(app: &AppHandle, wanted: bool) {
    let desktop = app.state::<Desktop>();
    let asked = !matches!(
        *desktop.awake.lock().unwrap_or_else(PoisonError::into_inner),
        Awake::Off
    );
    if wanted == asked {
        return;
    }
    let next = if wanted {
        match tauri::async_runtime::spawn_blocking(crate::awake::inhibit).await {
            Ok(Some(inhibitor)) => Awake::Held(inhibitor),
            _ => Awake::Unavailable,
        }
    } else {
        Awake::Off
    };
    let word = next.word();
    *desktop.awake.lock().unwrap_or_else(PoisonError::into_inner) = next;
    let _ = app.emit_to(MAIN, "keep-awake", word);
}

/// Keeps the tray's hosting line current (changing the menu only when the words change) and
/// the "don't sleep" lock held exactly while hosting with it wanted: started once, it looks
/// every couple of seconds.
pub fn watch_hosting(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut shown = None;
        loop {
            let desktop = app.state::<Desktop>();
            let status = desktop.host.status().await;
            let hosting = match status.port {
                Some(port) if status.running => Some(tray::Hosting {
                    port,
                    people: others_connected(&app).await,
                }),
                _ => None,
            };
            keep_awake(&app, hosting.is_some() && desktop.settings().keep_awake).await;
            if shown.as_ref() != Some(&hosting) {
                tray::show_hosting(&app, hosting.clone(), desktop.settings().language);
                shown = Some(hosting);
            }
            tokio::time::sleep(TRAY_REFRESH).await;
        }
    });
}

/// In host mode, makes the account this window signs in with the built-in server's first
/// administrator (if the server has none yet), in the background.
pub fn claim_admin(app: &AppHandle) {
    let desktop = app.state::<Desktop>();
    let settings = desktop.settings();
    if settings.mode != Some(Mode::Host) {
        return;
    }
    let Some(token) = desktop.session_token(&settings.host_url()) else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match app.state::<Desktop>().host.make_admin(&token).await {
            Ok(Some(claim)) => {
                tracing::info!(?claim, "the hosting account claimed the server's administration")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "making the hosting account the administrator failed"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_hides_when_wanted_and_always_while_hosting() {
        let mut settings = Settings::default();
        assert!(hides_on_close(&settings, false), "on by default");
        settings.close_to_tray = false;
        assert!(!hides_on_close(&settings, false));
        assert!(
            hides_on_close(&settings, true),
            "colleagues keep their chat while this computer hosts"
        );
    }

    #[test]
    fn the_person_at_this_computer_is_not_counted() {
        assert_eq!(others(&[1, 2, 3], Some(1)), 2);
        assert_eq!(others(&[2, 3], Some(1)), 2);
        assert_eq!(others(&[1], Some(1)), 0);
        assert_eq!(others(&[1, 2], None), 2);
    }

    #[test]
    fn quitting_asks_only_when_someone_would_be_cut_off() {
        assert_eq!(quit_question(0, Some(Language::English)), None);
        let one = quit_question(1, Some(Language::English)).unwrap();
        assert_eq!(
            one.message,
            "1 person is connected to this server; quitting stops the chat for them."
        );
        let three = quit_question(3, Some(Language::English)).unwrap();
        assert_eq!(
            three.message,
            "3 people are connected to this server; quitting stops the chat for them."
        );
        assert_eq!(three.title, "Quit Confab?");
        let zh = quit_question(3, Some(Language::Chinese)).unwrap();
        assert!(
            zh.message.contains('3') && zh.message.contains("退出"),
            "{}",
            zh.message
        );
    }
}
