//! Reactions: which emoji a person may react with, adding and removing their own, and who
//! hears of it (the room, as `reactions_updated`).

use super::limits::Action;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::events;
use crate::fanout::{Audience, Origin};
use crate::model::{Caller, MessageId, Reaction};
use crate::store::ReactOutcome;

/// Most distinct emoji on one message.
pub const MAX_DISTINCT: i64 = 20;
/// Longest `:shortcode:` name, without its colons.
const MAX_SHORTCODE: usize = 32;
/// Most code points in one emoji (the longest ZWJ family sequences have 10 or so).
const MAX_EMOJI_CHARS: usize = 16;

/// Adds (`add`) or removes the caller's `emoji` on message `id`, in a room they belong to; the
/// room hears `reactions_updated` when something changed, the asking socket in any case.
/// Returns the message's reactions as they now are.
pub async fn react(
    ctx: &AppContext,
    caller: &Caller,
    id: MessageId,
    emoji: &str,
    add: bool,
    origin: Option<Origin<'_>>,
) -> Result<Vec<Reaction>> {
    let emoji = valid_emoji(emoji)?;
    ctx.limits.take(caller.user_id, Action::Reaction).await?;
    let (message, _) = super::messages::member_message(ctx, caller, id).await?;
    let outcome = ctx
        .store
        .react(id, caller.user_id, emoji, add, MAX_DISTINCT)
        .await?;
    let changed = match outcome {
        ReactOutcome::Changed => true,
        ReactOutcome::Unchanged => false,
        ReactOutcome::TooMany => {
            return Err(Error::invalid(
                "too_many_reactions",
                "emoji",
                format!("a message can have at most {MAX_DISTINCT} different reactions"),
            ));
        }
        ReactOutcome::Gone => return Err(Error::not_found("message")),
    };
    let reactions = ctx
        .store
        .message(id)
        .await?
        .map(|m| m.reactions)
        .unwrap_or_default();
    let frame = events::reactions_updated(message.room_id, id, &reactions);
    if changed {
        ctx.fanout
            .publish(Audience::room(message.room_id).from(origin), &frame);
    } else if let Some(origin) = origin {
        ctx.fanout.publish(Audience::origin(origin), &frame);
    }
    Ok(reactions)
}

/// `emoji` if it is one emoji (a single grapheme: a pictograph with its modifiers, variation
/// selectors, keycap or tags, ZWJ sequences, a flag) or a `:shortcode:` of lowercase letters,
/// digits, `_`, `+` and `-`.
pub fn valid_emoji(emoji: &str) -> Result<&str> {
    let invalid = || {
        Error::invalid(
            "invalid_emoji",
            "emoji",
            "a reaction is one emoji or a :shortcode:",
        )
    };
    if let Some(name) = emoji.strip_prefix(':').and_then(|s| s.strip_suffix(':')) {
        let ok = !name.is_empty()
            && name.len() <= MAX_SHORTCODE
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'+' | b'-'));
        return if ok { Ok(emoji) } else { Err(invalid()) };
    }
    if is_one_emoji(emoji) {
        Ok(emoji)
    } else {
        Err(invalid())
    }
}

fn is_pictograph(c: char) -> bool {
    matches!(u32::from(c),
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x21AA | 0x231A..=0x23FF
        | 0x24C2 | 0x25AA..=0x25FE | 0x2600..=0x27BF | 0x2934 | 0x2935 | 0x2B05..=0x2B55
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x1F000..=0x1F1E5 | 0x1F200..=0x1FAFF)
}

fn is_regional(c: char) -> bool {
    matches!(u32::from(c), 0x1F1E6..=0x1F1FF)
}

/// Marks that may follow a pictograph within one grapheme: variation selector 16, skin tones,
/// the keycap, tag characters (subdivision flags).
fn is_modifier(c: char) -> bool {
    matches!(u32::from(c), 0xFE0F | 0xFE0E | 0x1F3FB..=0x1F3FF | 0x20E3 | 0xE0020..=0xE007F)
}

/// Whether `s` is exactly one emoji grapheme.
fn is_one_emoji(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() || chars.len() > MAX_EMOJI_CHARS {
        return false;
    }
    // A flag: exactly two regional indicators.
    if chars.iter().all(|&c| is_regional(c)) {
        return chars.len() == 2;
    }
    // A keycap: digit, `#` or `*`, optional VS16, then U+20E3.
    if matches!(chars[0], '0'..='9' | '#' | '*') {
        return matches!(chars[1..], ['\u{20E3}'] | ['\u{FE0F}', '\u{20E3}']);
    }
    // Pictographs joined by ZWJ, each followed by modifiers.
    let mut expect_base = true;
    for &c in &chars {
        if expect_base {
            if !is_pictograph(c) || is_regional(c) {
                return false;
            }
            expect_base = false;
        } else if c == '\u{200D}' {
            expect_base = true;
        } else if !is_modifier(c) {
            return false;
        }
    }
    !expect_base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emoji_or_a_shortcode() {
        for good in [
            "👍",
            "❤️",
            "👍🏽",
            "👨‍👩‍👧‍👦",
            "🇨🇳",
            "1️⃣",
            "#⃣",
            ":thumbsup:",
            ":+1:",
            "🏳️‍🌈",
            "☃",
        ] {
            assert!(valid_emoji(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a",
            "👍👍",
            "👍 ",
            "🇨",
            "🇨🇳🇨",
            ":Thumbs:",
            "::",
            ":a b:",
            "1",
            "<b>",
            "👍a",
            "\u{200D}👍",
            "👍\u{200D}",
        ] {
            assert!(valid_emoji(bad).is_err(), "{bad:?}");
        }
    }
}
