//! Which new messages become OS notifications, and what they say. Messages arriving close
//! together are coalesced into one notification; bodies are plain text (escaped where the
//! notification service would read markup) and trimmed. This module decides; `lib.rs` shows.

use serde::Deserialize;

use crate::settings::{NotifyLevel, Settings};

/// Longest notification body line, in characters.
const MAX_LINE: usize = 160;
/// Lines in a coalesced body.
const MAX_LINES: usize = 4;

/// A new message the web client reports, with what it knows about where the person is looking.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incoming {
    pub server: String,
    pub room_id: i64,
    pub room_name: String,
    pub sender: String,
    #[serde(default)]
    pub content: String,
    #[serde(default = "text")]
    pub message_type: String,
    #[serde(default)]
    pub file_name: Option<String>,
    /// The logged-in user's name, to recognize mentions when `mentions_me` is absent.
    pub my_username: String,
    /// Whether the message mentions me, as the web client read it from the server's `mentions`
    /// and `mentions_room` (the rule lives there, once); absent from an older web client, when
    /// the text is searched for `@my_username` instead.
    #[serde(default)]
    pub mentions_me: Option<bool>,
    /// A direct conversation: every message in it notifies like a mention.
    #[serde(default)]
    pub direct: bool,
    /// The room open on screen, if any.
    #[serde(default)]
    pub active_room: Option<i64>,
    /// The UI language: "zh-CN" or "en".
    #[serde(default)]
    pub lang: Option<String>,
}

fn text() -> String {
    "text".into()
}

/// A notification ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub title: String,
    pub body: String,
    /// The room a click opens.
    pub room_id: i64,
    pub server: String,
}

/// Whether `message` should raise a notification at all.
pub fn wanted(settings: &Settings, message: &Incoming, window_focused: bool) -> bool {
    if message.sender == message.my_username || settings.is_muted(&message.server, message.room_id) {
        return false;
    }
    if window_focused && message.active_room == Some(message.room_id) {
        return false;
    }
    match settings.notifications.level {
        NotifyLevel::All => true,
        NotifyLevel::Mentions => {
            message.direct
                || message
                    .mentions_me
                    .unwrap_or_else(|| mentions(&message.content, &message.my_username))
        }
        NotifyLevel::None => false,
    }
}

/// Whether `content` mentions `@username` (ignoring case; not as part of a longer name).
pub fn mentions(content: &str, username: &str) -> bool {
    if username.is_empty() {
        return false;
    }
    let content = content.to_lowercase();
    let needle = format!("@{}", username.to_lowercase());
    content.match_indices(&needle).any(|(at, _)| {
        content[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    })
}

fn zh(message: &Incoming) -> bool {
    message.lang.as_deref().is_some_and(|l| l.starts_with("zh"))
}

/// One line of plain text for a message: no control characters, whitespace collapsed, trimmed.
pub fn line_of(message: &Incoming) -> String {
    let caption = plain(&message.content);
    let text = match message.message_type.as_str() {
        "image" => {
            let label = if zh(message) { "[图片]" } else { "[Image]" };
            if caption.is_empty() {
                label.to_owned()
            } else {
                format!("{label} {caption}")
            }
        }
        "file" => {
            let name = plain(message.file_name.as_deref().unwrap_or_default());
            if zh(message) {
                format!("[文件] {name}")
            } else {
                format!("[File] {name}")
            }
        }
        _ => caption,
    };
    trim(&text, MAX_LINE)
}

fn plain(text: &str) -> String {
    text.split_whitespace()
        .map(|word| word.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn trim(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

/// One notification for a batch of messages (oldest first, at least one).
pub fn summarize(batch: &[Incoming]) -> Option<Summary> {
    let latest = batch.last()?;
    let zh = zh(latest);
    let mut rooms: Vec<(&str, usize)> = Vec::new();
    for message in batch {
        match rooms.iter_mut().find(|(name, _)| *name == message.room_name) {
            Some((_, count)) => *count += 1,
            None => rooms.push((&message.room_name, 1)),
        }
    }
    let (title, body) = if batch.len() == 1 {
        // A direct conversation is named after its people: the sender alone says where.
        let title = if latest.direct {
            plain(&latest.sender)
        } else {
            format!("{} · {}", plain(&latest.sender), plain(&latest.room_name))
        };
        (title, line_of(latest))
    } else if rooms.len() == 1 {
        let title = if zh {
            format!("{} · {} 条新消息", plain(&latest.room_name), batch.len())
        } else {
            format!("{} · {} new messages", plain(&latest.room_name), batch.len())
        };
        let lines: Vec<String> = batch
            .iter()
            .rev()
            .take(MAX_LINES)
            .rev()
            .map(|m| trim(&format!("{}: {}", plain(&m.sender), line_of(m)), MAX_LINE))
            .collect();
        (title, lines.join("\n"))
    } else {
        let title = if zh {
            format!("{} 条新消息", batch.len())
        } else {
            format!("{} new messages", batch.len())
        };
        let lines: Vec<String> = rooms
            .iter()
            .take(MAX_LINES)
            .map(|(name, count)| format!("{}: {count}", plain(name)))
            .collect();
        (title, lines.join("\n"))
    };
    Some(Summary {
        title: trim(&title, MAX_LINE),
        body,
        room_id: latest.room_id,
        server: latest.server.clone(),
    })
}

/// Escapes text for notification services that read a markup subset in bodies (the
/// freedesktop `body-markup` capability), so `<b>` shows as `<b>`, never as bold.
pub fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{MuteChange, SettingsPatch};

    fn message(sender: &str, room: (i64, &str), content: &str) -> Incoming {
        Incoming {
            server: "http://chat.example".into(),
            room_id: room.0,
            room_name: room.1.into(),
            sender: sender.into(),
            content: content.into(),
            message_type: "text".into(),
            file_name: None,
            my_username: "alice".into(),
            mentions_me: None,
            direct: false,
            active_room: Some(1),
            lang: Some("en".into()),
        }
    }

    #[test]
    fn preferences_decide() {
        let mut settings = Settings::default();
        let other_room = message("bob", (2, "tech"), "hi");
        let open_room = message("bob", (1, "lobby"), "hi");
        assert!(
            wanted(&settings, &other_room, true),
            "another room notifies even when focused"
        );
        assert!(
            !wanted(&settings, &open_room, true),
            "the room on screen does not"
        );
        assert!(
            wanted(&settings, &open_room, false),
            "unless the window is not focused"
        );
        assert!(
            !wanted(&settings, &message("alice", (2, "tech"), "me"), false),
            "never my own"
        );

        settings.notifications.level = NotifyLevel::Mentions;
        assert!(!wanted(&settings, &other_room, false));
        assert!(wanted(
            &settings,
            &message("bob", (2, "tech"), "@Alice look"),
            false
        ));
        settings.notifications.level = NotifyLevel::None;
        assert!(!wanted(&settings, &message("bob", (2, "tech"), "@alice"), false));

        settings.notifications.level = NotifyLevel::Mentions;
        let dm = Incoming {
            direct: true,
            mentions_me: Some(false),
            ..message("bob", (5, "bob"), "lunch?")
        };
        assert!(wanted(&settings, &dm, false), "a direct message is a mention");
        let by_server = |content: &str, mentions_me| Incoming {
            mentions_me: Some(mentions_me),
            ..message("bob", (2, "tech"), content)
        };
        assert!(
            wanted(&settings, &by_server("@room standup", true), false),
            "the server's word: @room mentions everyone"
        );
        assert!(
            !wanted(&settings, &by_server("@alice", false), false),
            "the server's word, even over the text"
        );
        settings.notifications.level = NotifyLevel::None;
        assert!(!wanted(&settings, &dm, false), "none is none");

        settings.notifications.level = NotifyLevel::All;
        settings
            .apply(SettingsPatch {
                mute: Some(MuteChange {
                    server: "http://chat.example".into(),
                    room_id: 2,
                    muted: true,
                }),
                ..Default::default()
            })
            .unwrap();
        assert!(!wanted(&settings, &other_room, false), "muted room");
    }

    #[test]
    fn mentions_are_whole_names() {
        assert!(mentions("hey @alice!", "alice"));
        assert!(mentions("@ALICE", "alice"));
        assert!(mentions("ping @小明 please", "小明"));
        assert!(!mentions("hey @alicebob", "alice"));
        assert!(!mentions("alice without at", "alice"));
    }

    #[test]
    fn bodies_are_plain_trimmed_text() {
        let mut m = message("bob", (2, "tech"), "  line one\n\tline\u{7} two  ");
        assert_eq!(line_of(&m), "line one line two");
        m.content = "x".repeat(500);
        let line = line_of(&m);
        assert_eq!(line.chars().count(), MAX_LINE);
        assert!(line.ends_with('…'));
        m.message_type = "image".into();
        m.content = String::new();
        assert_eq!(line_of(&m), "[Image]");
        m.message_type = "file".into();
        m.file_name = Some("report.pdf".into());
        m.lang = Some("zh-CN".into());
        assert_eq!(line_of(&m), "[文件] report.pdf");
        assert_eq!(
            escape_markup("<b>hi</b> & <a href=x>"),
            "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href=x&gt;"
        );
    }

    #[test]
    fn batches_coalesce_by_room() {
        let one = summarize(&[message("bob", (2, "tech"), "hello")]).unwrap();
        assert_eq!(
            (one.title.as_str(), one.body.as_str(), one.room_id),
            ("bob · tech", "hello", 2)
        );

        let same_room: Vec<Incoming> = (0..6)
            .map(|i| message("bob", (2, "tech"), &format!("m{i}")))
            .collect();
        let summary = summarize(&same_room).unwrap();
        assert_eq!(summary.title, "tech · 6 new messages");
        assert_eq!(summary.body, "bob: m2\nbob: m3\nbob: m4\nbob: m5");

        let mixed = vec![
            message("bob", (2, "tech"), "a"),
            message("carol", (3, "random"), "b"),
            message("bob", (2, "tech"), "c"),
        ];
        let summary = summarize(&mixed).unwrap();
        assert_eq!(summary.title, "3 new messages");
        assert_eq!(summary.body, "tech: 2\nrandom: 1");
        assert_eq!(summary.room_id, 2, "a click opens the latest message's room");
        assert!(summarize(&[]).is_none());

        let dm = Incoming {
            direct: true,
            ..message("bob", (5, "bob"), "lunch?")
        };
        let summary = summarize(&[dm]).unwrap();
        assert_eq!((summary.title.as_str(), summary.body.as_str()), ("bob", "lunch?"));
    }
}
