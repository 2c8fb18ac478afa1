//! Mentions: which `@name`s a message's text holds, and the caller's recent mentions.
//! `@name` means the room's member with that name (any case, any script, by the same key that
//! makes usernames unique); `@room`, `@all` and `@所有人` mean everyone in the room. A name
//! followed by more name characters is a longer name, never a mention of its prefix — the
//! rule the web client already used to decide notifications.

use super::validate;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::model::{Caller, Message, MessageId};

/// Words that mention everyone in the room.
const ROOM_WORDS: [&str; 3] = ["room", "all", "所有人"];
/// Names looked up per message; more `@`s than this in one message are ignored.
const MAX_NAMES: usize = 50;
pub const DEFAULT_PAGE: u32 = 30;
pub const MAX_PAGE: u32 = 100;

/// The mentions written in one message's text, before they are matched to members.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Lookup keys (see [`validate::name_key`]) of the names after each `@`, without repeats.
    pub keys: Vec<String>,
    /// `@room`, `@all` or `@所有人` appears.
    pub room: bool,
}

/// Characters a username may hold (see [`validate::username`]).
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The mentions in `content`: every maximal run of name characters after an `@`.
pub fn written(content: &str) -> Written {
    let mut found = Written::default();
    let mut rest = content;
    while let Some(at) = rest.find('@') {
        rest = &rest[at + 1..];
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = &rest[..end];
        if name.is_empty() {
            continue;
        }
        let key = validate::name_key(name);
        if ROOM_WORDS.contains(&key.as_str()) {
            found.room = true;
        } else if !found.keys.contains(&key) && found.keys.len() < MAX_NAMES {
            found.keys.push(key);
        }
        rest = &rest[end..];
    }
    found
}

/// A page of messages that mention the caller, newest first.
#[derive(Debug)]
pub struct MentionPage {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

/// Messages mentioning the caller (by name or `@room`) in rooms they belong to, newest first,
/// before message `before` if given; at most `limit` (1–100, default 30).
pub async fn recent(
    ctx: &AppContext,
    caller: &Caller,
    before: Option<MessageId>,
    limit: Option<u32>,
) -> Result<MentionPage> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::invalid(
            "invalid_limit",
            "limit",
            "limit must be between 1 and 100",
        ));
    }
    let (messages, has_more) = ctx
        .store
        .mentions_of(caller.user_id, before.unwrap_or(MessageId::MAX), limit)
        .await?;
    Ok(MentionPage { messages, has_more })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(content: &str) -> Vec<String> {
        written(content).keys
    }

    #[test]
    fn names_end_where_name_characters_end() {
        assert_eq!(keys("hi @Bob, and @alice!"), ["bob", "alice"]);
        assert_eq!(keys("@bobby is not @bob"), ["bobby", "bob"]);
        assert_eq!(keys("mail me@example.com"), ["example.com"]);
        assert_eq!(keys("@ alone and @@carol"), ["carol"]);
        assert_eq!(keys("@张三 你好 @张三"), ["张三"]);
        assert_eq!(keys("@张三你好"), ["张三你好"]);
        assert_eq!(keys("ＡＬＩＣＥ @ＡＬＩＣＥ"), ["alice"]);
    }

    #[test]
    fn room_words_mention_everyone() {
        assert!(written("@room look").room);
        assert!(written("@ALL look").room);
        assert!(written("大家好 @所有人").room);
        assert!(!written("@rooms look").room);
        assert!(written("@room").keys.is_empty());
    }
}
