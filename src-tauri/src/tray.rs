//! The tray (notification area / menu bar) icon: always there while the app runs, showing the
//! unread count, with "Open Confab" and "Quit Confab". The words and the count are worked out
//! here without Tauri (`Labels`, `tooltip`) and tested alone; `install` and `show_unread` wire
//! them to the tray.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Wry};

use crate::settings::Language;

const TRAY: &str = "main";
const OPEN: &str = "open";
const QUIT: &str = "quit";

/// The tray's words in one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Labels {
    pub open: &'static str,
    pub quit: &'static str,
}

/// Whether to speak Chinese: the language the person chose, or else the system's (`LANG` and
/// friends where those exist), as the web client falls back to the browser's.
fn chinese(chosen: Option<Language>) -> bool {
    match chosen {
        Some(language) => language == Language::Chinese,
        None => ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .is_some_and(|locale| locale.starts_with("zh")),
    }
}

impl Labels {
    pub fn for_language(chosen: Option<Language>) -> Labels {
        if chinese(chosen) {
            Labels {
                open: "打开 Confab",
                quit: "退出 Confab",
            }
        } else {
            Labels {
                open: "Open Confab",
                quit: "Quit Confab",
            }
        }
    }
}

/// The tray's tooltip for `unread` unread messages.
pub fn tooltip(unread: u32, language: Option<Language>) -> String {
    match (unread, chinese(language)) {
        (0, _) => "Confab".to_owned(),
        (n, true) => format!("Confab — {} 条未读", n.min(9999)),
        (1, false) => "Confab — 1 unread message".to_owned(),
        (n, false) => format!("Confab — {} unread messages", n.min(9999)),
    }
}

/// Puts the icon in the tray. A desktop without a tray (or without its library) only loses the
/// icon: the window, title and notifications still show everything.
pub fn install(app: &AppHandle, language: Option<Language>) {
    if let Err(e) = build(app, language) {
        tracing::warn!(error = %e, "no tray icon");
    }
}

fn build(app: &AppHandle, language: Option<Language>) -> tauri::Result<TrayIcon> {
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip(tooltip(0, language))
        .menu(&menu(app, language)?)
        // A left click opens the window (Windows, macOS); the menu is on the right button.
        // Linux trays always show the menu, which opens the window as its first entry.
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            OPEN => crate::show_main_window(app),
            QUIT => crate::exit_gracefully(app),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)
}

fn menu(app: &AppHandle, language: Option<Language>) -> tauri::Result<Menu<Wry>> {
    let labels = Labels::for_language(language);
    let open = MenuItem::with_id(app, OPEN, labels.open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, labels.quit, true, None::<&str>)?;
    Menu::with_items(app, &[&open, &quit])
}

/// Shows `unread` on the tray icon: the tooltip everywhere, and beside the icon on Linux
/// (where trays show no tooltips) and in the macOS menu bar.
pub fn show_unread(app: &AppHandle, unread: u32, language: Option<Language>) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    let _ = tray.set_tooltip(Some(tooltip(unread, language)));
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    {
        let title = (unread > 0).then(|| unread.min(9999).to_string());
        let _ = tray.set_title(title);
    }
}

/// Re-labels the menu after the person changed the language.
pub fn relabel(app: &AppHandle, language: Option<Language>) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    match menu(app, language) {
        Ok(menu) => {
            let _ = tray.set_menu(Some(menu));
        }
        Err(e) => tracing::warn!(error = %e, "re-labelling the tray menu failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_chosen_language() {
        assert_eq!(Labels::for_language(Some(Language::Chinese)).quit, "退出 Confab");
        assert_eq!(Labels::for_language(Some(Language::English)).open, "Open Confab");
    }

    #[test]
    fn the_tooltip_counts_unread_messages() {
        assert_eq!(tooltip(0, Some(Language::English)), "Confab");
        assert_eq!(tooltip(1, Some(Language::English)), "Confab — 1 unread message");
        assert_eq!(
            tooltip(12, Some(Language::English)),
            "Confab — 12 unread messages"
        );
        assert_eq!(tooltip(12, Some(Language::Chinese)), "Confab — 12 条未读");
        assert_eq!(
            tooltip(123_456, Some(Language::English)),
            "Confab — 9999 unread messages"
        );
    }
}
