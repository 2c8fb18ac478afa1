//! The tray (notification area / menu bar) icon: always there while the app runs, showing the
//! unread count, with a line saying whether this computer hosts a server and how many people are
//! connected, "Open Confab" and "Quit Confab". The words and the count are worked out here
//! without Tauri (`Labels`, `tooltip`, `hosting_line`) and tested alone; `install`,
//! `show_unread` and `show_hosting` wire them to the tray.

use std::sync::{Mutex, PoisonError};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use tauri::{AppHandle, Manager, Wry};

use crate::settings::Language;

const TRAY: &str = "main";
const OPEN: &str = "open";
const QUIT: &str = "quit";
const HOSTING: &str = "hosting";

/// The built-in server as the tray tells it: its port and the people connected to it (other
/// than the person at this computer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hosting {
    pub port: u16,
    pub people: usize,
}

/// What the tray last showed about hosting, so a re-labelled menu keeps it.
#[derive(Default)]
pub struct TrayState {
    hosting: Mutex<Option<Hosting>>,
}

/// The tray's words in one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Labels {
    pub open: &'static str,
    pub quit: &'static str,
}

/// Whether to speak Chinese: the language the person chose, or else the system's (`LANG` and
/// friends where those exist), as the web client falls back to the browser's.
pub(crate) fn chinese(chosen: Option<Language>) -> bool {
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

/// The tray menu's first line: whether this computer hosts, and for how many people.
pub fn hosting_line(hosting: Option<&Hosting>, language: Option<Language>) -> String {
    match (hosting, chinese(language)) {
        (None, true) => "未在本机运行服务器".to_owned(),
        (None, false) => "Not hosting a server".to_owned(),
        (Some(h), true) => format!("正在运行服务器（端口 {}）· {} 人已连接", h.port, h.people),
        (Some(h), false) => format!(
            "Hosting on port {} · {} connected",
            h.port,
            match h.people {
                1 => "1 person".to_owned(),
                n => format!("{n} people"),
            }
        ),
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
        .menu(&menu(app, language, None)?)
        // A left click opens the window (Windows, macOS); the menu is on the right button.
        // Linux trays always show the menu, which opens the window as its first entry.
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            OPEN => crate::show_main_window(app),
            QUIT => crate::lifecycle::request_quit(app),
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

fn menu(app: &AppHandle, language: Option<Language>, hosting: Option<&Hosting>) -> tauri::Result<Menu<Wry>> {
    let labels = Labels::for_language(language);
    // A line of information, not an action: disabled.
    let status = MenuItem::with_id(app, HOSTING, hosting_line(hosting, language), false, None::<&str>)?;
    let open = MenuItem::with_id(app, OPEN, labels.open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, labels.quit, true, None::<&str>)?;
    Menu::with_items(app, &[&status, &open, &quit])
}

/// Shows whether this computer hosts and how many people are connected.
pub fn show_hosting(app: &AppHandle, hosting: Option<Hosting>, language: Option<Language>) {
    if let Some(state) = app.try_state::<TrayState>() {
        *state.hosting.lock().unwrap_or_else(PoisonError::into_inner) = hosting;
    }
    relabel(app, language);
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
    let hosting = app.try_state::<TrayState>().and_then(|state| {
        state
            .hosting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    });
    match menu(app, language, hosting.as_ref()) {
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
    fn the_hosting_line_counts_people() {
        let en = Some(Language::English);
        assert_eq!(hosting_line(None, en), "Not hosting a server");
        let one = Hosting {
            port: 8080,
            people: 1,
        };
        assert_eq!(
            hosting_line(Some(&one), en),
            "Hosting on port 8080 · 1 person connected"
        );
        let three = Hosting {
            port: 9000,
            people: 3,
        };
        assert_eq!(
            hosting_line(Some(&three), en),
            "Hosting on port 9000 · 3 people connected"
        );
        assert!(hosting_line(Some(&three), Some(Language::Chinese)).contains("3 人"));
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
