//! Plain-text excerpts of message content, as reply quotes show them: Markdown marks removed,
//! whitespace folded, at most [`MAX_CHARS`] characters.

use crate::model::MessageType;

/// Longest excerpt, in characters, including the ellipsis of a cut one.
pub const MAX_CHARS: usize = 140;

/// The excerpt of a message of kind `kind` with `content`. Attachments without a caption are
/// named by kind (`[image]`, `[file]`) so a quote never shows as empty.
pub fn excerpt(content: &str, kind: Option<MessageType>) -> String {
    let text = plain(content);
    let text = if text.is_empty() {
        match kind {
            Some(MessageType::Image) => "[image]".to_owned(),
            Some(MessageType::File) => "[file]".to_owned(),
            _ => text,
        }
    } else {
        text
    };
    cut(&text, MAX_CHARS)
}

/// `content` without Markdown's marks: emphasis, code ticks, fences, quote and list markers,
/// heading hashes; a link `[label](url)` keeps its label. Runs of whitespace become one space.
pub fn plain(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.lines() {
        let line = strip_line_marks(line.trim());
        if line.starts_with("```") || line.starts_with("~~~") {
            continue;
        }
        if !out.is_empty() && !line.is_empty() {
            out.push(' ');
        }
        strip_inline(line, &mut out);
    }
    let folded: Vec<&str> = out.split_whitespace().collect();
    folded.join(" ")
}

/// A line without its leading block marks: `>` quotes, `#` headings, `-`/`*`/`+`/`1.` list items.
fn strip_line_marks(mut line: &str) -> &str {
    // Bounded by the line's length: each pass removes at least one character.
    loop {
        let before = line.len();
        if let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            line = line[hashes..].trim_start();
        }
        for marker in ["- ", "* ", "+ "] {
            if let Some(rest) = line.strip_prefix(marker) {
                line = rest.trim_start();
            }
        }
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=9).contains(&digits) && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
        {
            line = line[digits + 2..].trim_start();
        }
        if line.len() == before {
            return line;
        }
    }
}

/// Appends `line` without emphasis marks and with links as their labels.
fn strip_inline(line: &str, out: &mut String) {
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            '*' | '_' | '~' | '`' => {
                // A mark only when doubled or next to a word; a lone `_` inside a word
                // (snake_case) is text.
                let inner = c == '_'
                    && out.chars().last().is_some_and(char::is_alphanumeric)
                    && rest[1..].chars().next().is_some_and(char::is_alphanumeric);
                if inner {
                    out.push(c);
                }
                rest = &rest[1..];
            }
            '!' if rest.starts_with("![") => rest = &rest[1..],
            '[' => match link(rest) {
                Some((label, len)) => {
                    strip_inline(label, out);
                    rest = &rest[len..];
                }
                None => {
                    out.push('[');
                    rest = &rest[1..];
                }
            },
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}

/// `[label](destination)` at the start of `s`: the label and the whole link's length in bytes.
fn link(s: &str) -> Option<(&str, usize)> {
    let close = s.find("](")?;
    let label = &s[1..close];
    if label.contains('[') || label.contains(']') {
        return None;
    }
    let end = s[close + 2..].find(')')? + close + 2;
    Some((label, end + 1))
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_removed() {
        assert_eq!(plain("**bold** and _it_ and `code`"), "bold and it and code");
        assert_eq!(plain("> quoted\n> - item\n1. first"), "quoted item first");
        assert_eq!(plain("```rust\nlet x = 1;\n```"), "let x = 1;");
        assert_eq!(
            plain("see [the docs](https://x.example/a) now"),
            "see the docs now"
        );
        assert_eq!(plain("~~gone~~ snake_case_name"), "gone snake_case_name");
        assert_eq!(plain("# Title\n\n  many   spaces  "), "Title many spaces");
        assert_eq!(plain("[not a link"), "[not a link");
    }

    #[test]
    fn long_text_is_cut_to_140_characters() {
        let long = "字".repeat(500);
        let cut = excerpt(&long, Some(MessageType::Text));
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("", Some(MessageType::Image)), "[image]");
    }
}
