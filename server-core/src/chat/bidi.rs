//! Unicode direction controls in text other people see. An override such as U+202E reverses
//! everything after it, so `"\u{202E}gnp.exe spoof"` shows as "foops exe.png"; in a room name it
//! would also reorder the sidebar around it. Names and descriptions lose these characters;
//! message bodies keep them (right-to-left writers use marks legitimately) and the client shows
//! each body in an isolated element so nothing leaks beyond it.

/// Embeddings, overrides and isolates (and their terminators): the characters that change the
/// direction of text that follows them, up to the end of the paragraph.
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The invisible strong marks LRM, RLM and ALM: harmless in running text, but in a name they
/// only make two names look alike.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A name without any direction control or mark.
pub fn strip_from_name(raw: &str) -> String {
    raw.chars()
        .filter(|&c| !is_direction_control(c) && !is_direction_mark(c))
        .collect()
}

/// Prose (a description) without direction controls; marks, which cannot reorder anything
/// after them, stay for right-to-left writers.
pub fn strip_from_prose(raw: &str) -> String {
    raw.chars().filter(|&c| !is_direction_control(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_isolates_are_removed_from_names() {
        assert_eq!(strip_from_name("\u{202E}gnp.exe spoof"), "gnp.exe spoof");
        assert_eq!(strip_from_name("a\u{2066}b\u{2069}c\u{200F}d"), "abcd");
        assert_eq!(strip_from_name("שלום עולם"), "שלום עולם");
    }

    #[test]
    fn prose_keeps_marks_but_not_overrides() {
        assert_eq!(strip_from_prose("x\u{202D}y\u{202C}\u{200E}z"), "xy\u{200E}z");
    }
}
