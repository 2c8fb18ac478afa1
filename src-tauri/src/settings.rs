//! The desktop app's settings: a typed struct with defaults, read tolerantly (a field that is
//! missing, from an older version or of the wrong type falls back to its default, with a notice)
//! and validated on every change from the web client. Persistence is `tauri-plugin-store`'s
//! job (see `lib.rs`); this module knows nothing of Tauri, so all of it is unit-tested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The store file inside the app's config folder, and the key holding the settings in it.
pub const STORE_FILE: &str = "settings.json";
pub const STORE_KEY: &str = "settings";
/// The settings format this build writes.
pub const VERSION: u32 = 1;
/// How many recently used servers are remembered.
const RECENT: usize = 8;

/// Connect to a server elsewhere, or run one inside the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Remote,
    Host,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    Chinese,
    #[serde(rename = "en")]
    English,
}

/// Which new messages raise an OS notification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyLevel {
    #[default]
    All,
    Mentions,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSettings {
    pub port: u16,
    /// Colleagues on the LAN may connect (listen on every interface).
    pub lan: bool,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings {
            port: 8080,
            lan: false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub level: NotifyLevel,
    /// Muted room ids, per server URL.
    pub muted_rooms: BTreeMap<String, Vec<i64>>,
}

/// Everything the desktop app remembers between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub version: u32,
    /// `None` until the person chooses on first run.
    pub mode: Option<Mode>,
    /// The remote server, in remote mode.
    pub server_url: Option<String>,
    /// Most recently used first.
    pub recent_servers: Vec<String>,
    pub host: HostSettings,
    pub notifications: NotificationSettings,
    /// `None` follows the operating system.
    pub language: Option<Language>,
    pub theme: Theme,
    /// Closing the window hides it to the tray instead of quitting (always so while hosting).
    pub close_to_tray: bool,
    /// Start (hidden, in the tray) when the person logs in; `None` until they choose, which
    /// means on while hosting and off otherwise.
    pub start_at_login: Option<bool>,
    /// While hosting, ask the OS not to sleep (colleagues' chat runs on this computer).
    pub keep_awake: bool,
    /// Look for a new version of the app at start and daily (`updates`).
    pub check_updates: bool,
    /// Session tokens an older version kept in this file, read only to move them to the OS
    /// credential store (`secrets`); never written back.
    #[serde(skip_serializing)]
    pub sessions: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            version: VERSION,
            mode: None,
            server_url: None,
            recent_servers: Vec::new(),
            host: HostSettings::default(),
            notifications: NotificationSettings::default(),
            language: None,
            theme: Theme::default(),
            close_to_tray: true,
            start_at_login: None,
            keep_awake: true,
            check_updates: true,
            sessions: BTreeMap::new(),
        }
    }
}

/// Something the person should be told about how their settings were read.
pub type Notice = String;

impl Settings {
    /// Reads settings from what the store holds: each known field on its own, so one bad field
    /// costs only that field. Returns the settings and a notice if anything was reset.
    pub fn from_stored(stored: Option<&Value>) -> (Settings, Option<Notice>) {
        let Some(stored) = stored else {
            return (Settings::default(), None);
        };
        let Some(fields) = stored.as_object() else {
            return (
                Settings::default(),
                Some("Your settings could not be read and were reset to the defaults.".into()),
            );
        };
        let mut reset = Vec::new();
        let mut settings = Settings::default();
        fn take<T: for<'de> Deserialize<'de>>(
            fields: &Map<String, Value>,
            name: &'static str,
            into: &mut T,
            reset: &mut Vec<&'static str>,
        ) {
            if let Some(value) = fields.get(name) {
                match serde_json::from_value(value.clone()) {
                    Ok(parsed) => *into = parsed,
                    Err(_) => reset.push(name),
                }
            }
        }
        take(fields, "mode", &mut settings.mode, &mut reset);
        take(fields, "server_url", &mut settings.server_url, &mut reset);
        take(fields, "recent_servers", &mut settings.recent_servers, &mut reset);
        take(fields, "host", &mut settings.host, &mut reset);
        take(fields, "notifications", &mut settings.notifications, &mut reset);
        take(fields, "language", &mut settings.language, &mut reset);
        take(fields, "theme", &mut settings.theme, &mut reset);
        take(fields, "close_to_tray", &mut settings.close_to_tray, &mut reset);
        take(fields, "start_at_login", &mut settings.start_at_login, &mut reset);
        take(fields, "keep_awake", &mut settings.keep_awake, &mut reset);
        take(fields, "check_updates", &mut settings.check_updates, &mut reset);
        take(fields, "sessions", &mut settings.sessions, &mut reset);
        // Values that parse but make no sense are reset too.
        if settings
            .server_url
            .as_deref()
            .is_some_and(|u| normalize_url(u).is_err())
        {
            settings.server_url = None;
            reset.push("server_url");
        }
        settings.recent_servers.retain(|u| normalize_url(u).is_ok());
        settings.recent_servers.truncate(RECENT);
        if settings.host.port == 0 {
            settings.host.port = HostSettings::default().port;
            reset.push("host");
        }
        let version = fields.get("version").and_then(Value::as_u64).unwrap_or(0);
        let notice = if !reset.is_empty() {
            Some(format!(
                "Some settings could not be read and were reset to their defaults: {}.",
                reset.join(", ")
            ))
        } else if version > u64::from(VERSION) {
            Some("These settings come from a newer Confab; some of them may be ignored.".into())
        } else {
            None
        };
        (settings, notice)
    }

    /// The JSON the store keeps.
    pub fn to_stored(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Applies a change from the web client, validating every field it touches.
    pub fn apply(&mut self, patch: SettingsPatch) -> Result<()> {
        if let Some(mode) = patch.mode {
            self.mode = Some(mode);
        }
        if let Some(url) = patch.server_url {
            let url = normalize_url(&url)?;
            self.recent_servers.retain(|u| *u != url);
            self.recent_servers.insert(0, url.clone());
            self.recent_servers.truncate(RECENT);
            self.server_url = Some(url);
        }
        if let Some(port) = patch.host_port {
            if port == 0 {
                return Err(Error::invalid(
                    "invalid_port",
                    "choose a port between 1 and 65535",
                ));
            }
            self.host.port = port;
        }
        if let Some(lan) = patch.host_lan {
            self.host.lan = lan;
        }
        if let Some(level) = patch.notify_level {
            self.notifications.level = level;
        }
        if let Some(mute) = patch.mute {
            let server = normalize_url(&mute.server)?;
            let rooms = self.notifications.muted_rooms.entry(server.clone()).or_default();
            rooms.retain(|r| *r != mute.room_id);
            if mute.muted {
                rooms.push(mute.room_id);
                rooms.sort_unstable();
            }
            if rooms.is_empty() {
                self.notifications.muted_rooms.remove(&server);
            }
        }
        if let Some(language) = patch.language {
            self.language = language;
        }
        if let Some(theme) = patch.theme {
            self.theme = theme;
        }
        if let Some(close_to_tray) = patch.close_to_tray {
            self.close_to_tray = close_to_tray;
        }
        if let Some(start_at_login) = patch.start_at_login {
            self.start_at_login = Some(start_at_login);
        }
        if let Some(keep_awake) = patch.keep_awake {
            self.keep_awake = keep_awake;
        }
        if let Some(check_updates) = patch.check_updates {
            self.check_updates = check_updates;
        }
        Ok(())
    }

    /// Whether notifications for `room` on `server` are muted.
    pub fn is_muted(&self, server: &str, room: i64) -> bool {
        self.notifications
            .muted_rooms
            .get(server)
            .is_some_and(|rooms| rooms.contains(&room))
    }

    /// Whether the app should start at login: the person's choice, else on while hosting.
    pub fn starts_at_login(&self) -> bool {
        self.start_at_login.unwrap_or(self.mode == Some(Mode::Host))
    }

    /// The URL of the server the app talks to in host mode.
    pub fn host_url(&self) -> String {
        // With LAN access the built-in server speaks HTTPS (`host`), on loopback too.
        let scheme = if self.host.lan { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.host.port)
    }
}

/// A change requested by the web client; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub mode: Option<Mode>,
    pub server_url: Option<String>,
    pub host_port: Option<u16>,
    pub host_lan: Option<bool>,
    pub notify_level: Option<NotifyLevel>,
    pub mute: Option<MuteChange>,
    /// `Some(None)` goes back to following the operating system.
    #[serde(default, deserialize_with = "present")]
    pub language: Option<Option<Language>>,
    pub theme: Option<Theme>,
    pub close_to_tray: Option<bool>,
    pub start_at_login: Option<bool>,
    pub keep_awake: Option<bool>,
    pub check_updates: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuteChange {
    pub server: String,
    pub room_id: i64,
    pub muted: bool,
}

fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A server address as the app stores it: `http(s)://host[:port]`, no path, no trailing slash.
/// People type "192.168.1.20:8080" or "chat.example.com"; both are accepted.
pub fn normalize_url(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::invalid("invalid_url", "enter the server's address"));
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let url = url::Url::parse(&with_scheme)
        .map_err(|_| Error::invalid("invalid_url", format!("“{raw}” is not a server address")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "wrong_scheme",
            format!("use an http:// or https:// address, not {}://", url.scheme()),
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid("invalid_url", format!("“{raw}” has no host name")))?;
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(Error::invalid(
            "invalid_url",
            "a server address has no user name, query or fragment",
        ));
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Ok(format!("{}://{host}{port}", url.scheme()))
}

/// What was found where the store file should be.
#[derive(Debug, PartialEq, Eq)]
pub enum FileCheck {
    Missing,
    Readable,
    /// Not JSON: moved aside to `backup` so the store starts fresh (and the person can still
    /// recover it by hand).
    Corrupt {
        backup: PathBuf,
    },
}

/// Looks at the store file before the store plugin loads it. The plugin silently treats an
/// unreadable file as empty and would overwrite it; moving it aside keeps it and lets the app
/// tell the person.
pub fn check_file(path: &Path) -> std::io::Result<FileCheck> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileCheck::Missing),
        Err(e) => return Err(e),
    };
    if serde_json::from_slice::<Map<String, Value>>(&bytes).is_ok() {
        return Ok(FileCheck::Readable);
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let backup = path.with_extension(format!("corrupt-{stamp}.json"));
    std::fs::rename(path, &backup)?;
    Ok(FileCheck::Corrupt { backup })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nothing_stored_means_defaults_without_a_notice() {
        let (settings, notice) = Settings::from_stored(None);
        assert_eq!(settings, Settings::default());
        assert_eq!(settings.mode, None, "first run asks how to start");
        assert_eq!(
            settings.host,
            HostSettings {
                port: 8080,
                lan: false
            }
        );
        assert_eq!(settings.notifications.level, NotifyLevel::All);
        assert!(
            settings.close_to_tray,
            "closing the window keeps Confab in the tray"
        );
        assert!(settings.check_updates, "updates are looked for unless turned off");
        assert!(notice.is_none());
    }

    #[test]
    fn round_trip_keeps_everything() {
        let mut settings = Settings::default();
        settings
            .apply(SettingsPatch {
                mode: Some(Mode::Remote),
                server_url: Some("chat.example.com:8443".into()),
                host_port: Some(9000),
                host_lan: Some(true),
                notify_level: Some(NotifyLevel::Mentions),
                mute: Some(MuteChange {
                    server: "http://chat.example.com:8443".into(),
                    room_id: 4,
                    muted: true,
                }),
                language: Some(Some(Language::Chinese)),
                theme: Some(Theme::Dark),
                close_to_tray: Some(false),
                start_at_login: Some(true),
                keep_awake: Some(false),
                check_updates: Some(false),
            })
            .unwrap();
        assert!(!settings.check_updates);
        let stored = settings.to_stored();
        assert_eq!(stored["language"], "zh-CN");
        let (read, notice) = Settings::from_stored(Some(&stored));
        assert_eq!(read, settings);
        assert!(notice.is_none());
        assert!(read.is_muted("http://chat.example.com:8443", 4));
        assert_eq!(read.recent_servers, ["http://chat.example.com:8443"]);
    }

    #[test]
    fn session_tokens_are_read_from_old_files_but_never_written() {
        let old = json!({"version": 1, "sessions": {"http://chat.example.com": "tok"}});
        let (mut settings, _) = Settings::from_stored(Some(&old));
        assert_eq!(
            settings.sessions["http://chat.example.com"], "tok",
            "found, to migrate"
        );
        assert!(settings.to_stored().get("sessions").is_none());
        settings.sessions.clear();
        assert!(!settings.to_stored().to_string().contains("tok\""));
    }

    #[test]
    fn start_at_login_is_on_while_hosting_unless_chosen() {
        let mut settings = Settings::default();
        assert!(!settings.starts_at_login(), "not before the first-run choice");
        settings.mode = Some(Mode::Host);
        assert!(
            settings.starts_at_login(),
            "colleagues need the server after a reboot"
        );
        settings.start_at_login = Some(false);
        assert!(!settings.starts_at_login(), "the person's choice wins");
        settings.mode = Some(Mode::Remote);
        settings.start_at_login = Some(true);
        assert!(settings.starts_at_login());
    }

    #[test]
    fn bad_fields_fall_back_one_by_one_with_a_notice() {
        let stored = json!({
            "version": 1,
            "mode": "host",
            "host": {"port": "eighty", "lan": true},
            "theme": 42,
            "server_url": "ftp://nope",
            "recent_servers": ["http://ok.example", "javascript:alert(1)"],
        });
        let (settings, notice) = Settings::from_stored(Some(&stored));
        assert_eq!(settings.mode, Some(Mode::Host), "good fields survive");
        assert_eq!(settings.host, HostSettings::default());
        assert_eq!(settings.theme, Theme::System);
        assert_eq!(settings.server_url, None);
        assert_eq!(settings.recent_servers, ["http://ok.example"]);
        let notice = notice.expect("the person is told");
        assert!(notice.contains("host") && notice.contains("theme"), "{notice}");
    }

    #[test]
    fn an_old_or_odd_file_never_crashes() {
        for stored in [
            json!([1, 2, 3]),
            json!("settings"),
            json!(null),
            json!({"version": 0}),
        ] {
            let (settings, _) = Settings::from_stored(Some(&stored));
            assert_eq!(settings.host.port, 8080);
        }
        let (_, notice) = Settings::from_stored(Some(&json!({"version": 99})));
        assert!(notice.unwrap().contains("newer"));
    }

    #[test]
    fn patches_are_validated() {
        let mut settings = Settings::default();
        for (url, code) in [
            ("", "invalid_url"),
            ("ftp://x.example", "wrong_scheme"),
            ("http://", "invalid_url"),
        ] {
            let err = settings
                .apply(SettingsPatch {
                    server_url: Some(url.into()),
                    ..Default::default()
                })
                .unwrap_err();
            assert_eq!(err.code(), code, "{url}");
        }
        let err = settings
            .apply(SettingsPatch {
                host_port: Some(0),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(err.code(), "invalid_port");
        assert!(serde_json::from_value::<SettingsPatch>(json!({"evil": true})).is_err());
        assert_eq!(settings, Settings::default(), "failed patches change nothing");
    }

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url("192.168.1.20:8080").unwrap(),
            "http://192.168.1.20:8080"
        );
        assert_eq!(
            normalize_url(" https://chat.example.com/ ").unwrap(),
            "https://chat.example.com"
        );
        assert_eq!(
            normalize_url("http://[::1]:9000/api").unwrap(),
            "http://[::1]:9000"
        );
        assert!(normalize_url("http://user:pw@host").is_err());
    }

    #[test]
    fn recent_servers_are_most_recent_first_and_bounded() {
        let mut settings = Settings::default();
        for i in 0..12 {
            settings
                .apply(SettingsPatch {
                    server_url: Some(format!("host{i}.example")),
                    ..Default::default()
                })
                .unwrap();
        }
        settings
            .apply(SettingsPatch {
                server_url: Some("host5.example".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(settings.recent_servers.len(), RECENT);
        assert_eq!(settings.recent_servers[0], "http://host5.example");
        assert_eq!(
            settings
                .recent_servers
                .iter()
                .filter(|u| u.contains("host5"))
                .count(),
            1
        );
    }

    #[test]
    fn corrupt_files_are_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_FILE);
        assert_eq!(check_file(&path).unwrap(), FileCheck::Missing);
        std::fs::write(&path, br#"{"settings": {"mode": "host"}}"#).unwrap();
        assert_eq!(check_file(&path).unwrap(), FileCheck::Readable);
        std::fs::write(&path, b"{\"settings\": {\"mode\": \"ho").unwrap();
        let FileCheck::Corrupt { backup } = check_file(&path).unwrap() else {
            panic!("a truncated file is corrupt");
        };
        assert!(!path.exists());
        assert_eq!(std::fs::read(backup).unwrap(), b"{\"settings\": {\"mode\": \"ho");
    }
}
