//! Validation and normalization of everything people type: usernames, passwords, emails,
//! room names and message content. Each check names the field it judges.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;
pub const CONTENT_CHARS: std::ops::RangeInclusive<usize> = 1..=4000;
pub const ROOM_NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=64;
pub const DESCRIPTION_CHARS: usize = 500;
const EMAIL_MAX: usize = 254;
const CLIENT_MSG_ID_MAX: usize = 64;

/// Names nobody may register: they look like the server speaking, or like a mention of many.
pub const RESERVED_USERNAMES: [&str; 8] = [
    "admin", "system", "confab", "root", "everyone", "here", "room", "all",
];

/// A username in canonical form (NFKC), the key that makes uniqueness ignore case, and the
/// skeleton that makes it ignore look-alike letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    pub display: String,
    pub key: String,
    pub skeleton: String,
}

/// The lookup key of a name: NFKC, then lowercase, so "Alice", "ALICE" and full-width
/// "ａｌｉｃｅ" collide in any script.
pub fn name_key(name: &str) -> String {
    name.nfkc().collect::<String>().to_lowercase()
}

/// A name as it is stored and shown: trimmed, NFKC.
pub fn canonical_name(raw: &str) -> String {
    raw.trim().nfkc().collect()
}

/// The Unicode TR39 skeleton of a name: two names with the same skeleton look alike ("alice",
/// "аlice" with a Cyrillic а, "aIice" with a capital I). Case is left alone, as TR39 does: the
/// key already makes names unique ignoring case.
pub fn name_skeleton(name: &str) -> String {
    unicode_security::skeleton(name).collect()
}

/// The lookup key of a name typed at login. Anything longer than a username can be is refused
/// before it is normalized, looked up or counted.
pub fn login_key(raw: &str) -> Result<String> {
    let too_long = || {
        Error::invalid(
            "invalid_username",
            "username",
            format!("no username is longer than {} characters", USERNAME_CHARS.end()),
        )
    };
    // Four bytes per character, and room for combining marks that normalization composes.
    if raw.len() > USERNAME_CHARS.end() * 4 * 4 {
        return Err(too_long());
    }
    let key = name_key(raw.trim());
    if key.chars().count() > *USERNAME_CHARS.end() {
        return Err(too_long());
    }
    Ok(key)
}

/// A name someone registers: a valid [`username`] that is not reserved, nor a look-alike of
/// a reserved one.
pub fn new_username(raw: &str) -> Result<Username> {
    let username = username(raw)?;
    let folded = name_skeleton(&username.key);
    if RESERVED_USERNAMES.iter().any(|reserved| {
        let reserved = name_skeleton(reserved);
        reserved == username.skeleton || reserved == folded
    }) {
        return Err(Error::conflict(
            "username_taken",
            Some("username"),
            "that username is reserved",
        ));
    }
    Ok(username)
}

/// 3–32 letters (any script), digits, `_`, `-` or `.`, after NFKC normalization.
pub fn username(raw: &str) -> Result<Username> {
    let display = canonical_name(raw);
    let len = display.chars().count();
    if !USERNAME_CHARS.contains(&len) {
        return Err(Error::invalid(
            "invalid_username",
            "username",
            "username must be 3 to 32 characters long",
        ));
    }
    if let Some(bad) = display
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(Error::invalid(
            "invalid_username",
            "username",
            format!("username may contain only letters, digits, '_', '-' and '.', not {bad:?}"),
        ));
    }
    let key = display.to_lowercase();
    let skeleton = name_skeleton(&display);
    Ok(Username {
        display,
        key,
        skeleton,
    })
}

/// 8–128 characters; checked on passwords people choose, not on login attempts.
pub fn new_password(raw: &str, field: &'static str) -> Result<()> {
    let len = raw.chars().count();
    if !PASSWORD_CHARS.contains(&len) {
        return Err(Error::invalid(
            "invalid_password",
            field,
            "password must be 8 to 128 characters long",
        ));
    }
    Ok(())
}

/// An optional email: empty means none. Deliberately loose: one `@`, a dotted domain, no spaces.
pub fn email(raw: Option<&str>) -> Result<Option<String>> {
    let Some(email) = raw.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let invalid = || {
        Error::invalid(
            "invalid_email",
            "email",
            "that does not look like an email address",
        )
    };
    if email.len() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(invalid());
    }
    Ok(Some(email.to_owned()))
}

/// A room name: 1–64 characters after trimming, no control characters; direction controls
/// and marks are dropped (see [`super::bidi`]).
pub fn room_name(raw: &str) -> Result<(String, String)> {
    let name: String = super::bidi::strip_from_name(raw).trim().nfc().collect();
    let len = name.chars().count();
    if !ROOM_NAME_CHARS.contains(&len) {
        return Err(Error::invalid(
            "invalid_room_name",
            "name",
            "room name must be 1 to 64 characters long",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_room_name",
            "name",
            "room name may not contain control characters",
        ));
    }
    let key = name.to_lowercase();
    Ok((name, key))
}

/// A room description: up to 500 characters after trimming, without direction controls.
pub fn description(raw: Option<&str>) -> Result<String> {
    let description = super::bidi::strip_from_prose(raw.unwrap_or_default());
    let description = description.trim();
    if description.chars().count() > DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "invalid_description",
            "description",
            "description may be at most 500 characters long",
        ));
    }
    Ok(description.to_owned())
}

/// Message content: 1–4000 characters after trimming, no NUL.
pub fn content(raw: &str) -> Result<String> {
    let content = raw.trim();
    let len = content.chars().count();
    if !CONTENT_CHARS.contains(&len) {
        let message = if len == 0 {
            "message is empty"
        } else {
            "message is longer than 4000 characters"
        };
        return Err(Error::invalid("invalid_content", "content", message));
    }
    if content.contains('\0') {
        return Err(Error::invalid(
            "invalid_content",
            "content",
            "message may not contain NUL characters",
        ));
    }
    Ok(content.to_owned())
}

/// A client's idempotency key: 1–64 of `A–Z a–z 0–9 - _ . :`.
pub fn client_msg_id(raw: Option<&str>) -> Result<Option<String>> {
    let Some(id) = raw else { return Ok(None) };
    let ok = !id.is_empty()
        && id.len() <= CLIENT_MSG_ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if !ok {
        return Err(Error::invalid(
            "invalid_client_msg_id",
            "client_msg_id",
            "client_msg_id must be 1 to 64 letters, digits, '-', '_', '.' or ':'",
        ));
    }
    Ok(Some(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_accept_any_script() {
        assert_eq!(username("小明同学").unwrap().display, "小明同学");
        assert_eq!(username("  alice.b-c_d ").unwrap().display, "alice.b-c_d");
        assert_eq!(username("Ölaf").unwrap().key, "ölaf");
    }

    #[test]
    fn usernames_reject_bad_length_and_symbols() {
        for bad in [
            "ab",
            "",
            &"x".repeat(33),
            "bob smith",
            "a<b>c",
            "bob!",
            "ab\u{0}c",
        ] {
            let err = username(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_username", "{bad:?}");
        }
        assert!(username(&"字".repeat(32)).is_ok());
    }

    #[test]
    fn composed_and_decomposed_names_share_a_key() {
        let composed = username("Zoë").unwrap();
        let decomposed = username("Zoe\u{0308}").unwrap();
        assert_eq!(composed.key, decomposed.key);
        assert_eq!(name_key("ZOË"), composed.key);
    }

    #[test]
    fn look_alike_and_compatibility_forms_collide() {
        let alice = username("alice").unwrap();
        // Full-width letters are the same name after NFKC.
        let full_width = username("ａｌｉｃｅ").unwrap();
        assert_eq!(full_width.display, "alice");
        assert_eq!(full_width.key, alice.key);
        // Cyrillic а, a capital I for l, Cyrillic і: different keys, same skeleton.
        for spoof in ["\u{430}lice", "aIice", "al\u{456}ce"] {
            let spoof = username(spoof).unwrap();
            assert_ne!(spoof.key, alice.key);
            assert_eq!(spoof.skeleton, alice.skeleton, "{}", spoof.display);
        }
        assert_ne!(username("alicia").unwrap().skeleton, alice.skeleton);
    }

    #[test]
    fn reserved_names_and_their_look_alikes_are_refused() {
        for name in [
            "admin",
            "ADMIN",
            "\u{430}dmin",
            "everyone",
            "Here",
            "root",
            "ａｌｌ",
        ] {
            let err = new_username(name).unwrap_err();
            assert_eq!(err.code(), "username_taken", "{name}");
        }
        assert!(new_username("administrator").is_ok());
        // The demo accounts are made with the lenient check.
        assert!(username("admin").is_ok());
    }

    #[test]
    fn passwords_are_8_to_128_characters() {
        assert!(new_password("1234567", "password").is_err());
        assert!(new_password("12345678", "password").is_ok());
        assert!(new_password(&"密".repeat(128), "password").is_ok());
        assert!(new_password(&"x".repeat(129), "password").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email(None).unwrap(), None);
        assert_eq!(email(Some("  ")).unwrap(), None);
        assert_eq!(email(Some("a@b.co")).unwrap().as_deref(), Some("a@b.co"));
        for bad in ["a", "a@b", "@b.co", "a@b@c.co", "a b@c.co", "a@.co", "a@co."] {
            assert!(email(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(content("  hi \n").unwrap(), "hi");
        assert_eq!(content(" \n\t ").unwrap_err().code(), "invalid_content");
        assert!(content(&"字".repeat(4000)).is_ok());
        assert!(content(&"字".repeat(4001)).is_err());
        assert!(content("a\0b").is_err());
    }

    #[test]
    fn client_msg_ids() {
        assert_eq!(client_msg_id(None).unwrap(), None);
        assert!(client_msg_id(Some("c-1700000000000-ab12")).unwrap().is_some());
        assert!(client_msg_id(Some("")).is_err());
        assert!(client_msg_id(Some("has space")).is_err());
        assert!(client_msg_id(Some(&"x".repeat(65))).is_err());
    }

    #[test]
    fn room_names() {
        assert_eq!(
            room_name(" 大厅 ").unwrap(),
            ("大厅".to_owned(), "大厅".to_owned())
        );
        assert_eq!(room_name("General").unwrap().1, "general");
        assert!(room_name("   ").is_err());
        assert!(room_name(&"x".repeat(65)).is_err());
        assert!(room_name("a\nb").is_err());
    }

    #[test]
    fn room_names_and_descriptions_lose_direction_overrides() {
        let (name, key) = room_name("\u{202E}gnp.exe spoof").unwrap();
        assert_eq!((name.as_str(), key.as_str()), ("gnp.exe spoof", "gnp.exe spoof"));
        assert!(room_name("\u{202E}\u{200F}").is_err(), "nothing visible is left");
        assert_eq!(description(Some("see \u{202E}fdp.exe")).unwrap(), "see fdp.exe");
    }
}
