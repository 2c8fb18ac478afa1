//! `confab://` links (invitations such as `confab://join?host=…&port=…&fp=…`) handed to the app
//! by the system: on its command line, by a second launch that found this one running, or by
//! the OS on macOS. Only well-formed `confab:` URLs of reasonable length get through to the web
//! client, which decides what they mean.

use std::sync::{Mutex, PoisonError};

/// The URL scheme Confab registers.
pub const SCHEME: &str = "confab";
/// Longer than any invitation needs; anything longer is not ours.
const MAX_LEN: usize = 2048;

/// The `confab:` links among `candidates` (command-line arguments or URLs), normalized.
pub fn accept<S: AsRef<str>>(candidates: impl IntoIterator<Item = S>) -> Vec<String> {
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let candidate = candidate.as_ref().trim();
            if candidate.len() > MAX_LEN {
                return None;
            }
            let url = url::Url::parse(candidate).ok()?;
            (url.scheme() == SCHEME).then(|| url.to_string())
        })
        .collect()
}

/// Links that arrived before the web client listened, handed over when it first asks; after
/// that, links go to it as events.
#[derive(Default)]
pub struct Inbox {
    state: Mutex<InboxState>,
}

#[derive(Default)]
struct InboxState {
    listening: bool,
    waiting: Vec<String>,
}

impl Inbox {
    /// Keeps `links` for the web client unless it already listens; true when kept.
    pub fn push(&self, links: impl IntoIterator<Item = String>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.listening {
            state.waiting.extend(links);
        }
        !state.listening
    }

    /// What waited; from now on the web client listens.
    pub fn take(&self) -> Vec<String> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.listening = true;
        std::mem::take(&mut state.waiting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_confab_links_get_through() {
        let args = [
            "/usr/bin/confab-desktop",
            "--hidden",
            "confab://join?host=192.168.1.20&port=8080&fp=ab12",
            "https://example.com",
            "javascript:alert(1)",
            "CONFAB://join?host=h",
        ];
        assert_eq!(
            accept(args),
            [
                "confab://join?host=192.168.1.20&port=8080&fp=ab12",
                "confab://join?host=h"
            ]
        );
        let long = format!("confab://join?host={}", "a".repeat(MAX_LEN));
        assert!(accept([long]).is_empty());
    }

    #[test]
    fn the_inbox_hands_links_over_once() {
        let inbox = Inbox::default();
        assert!(inbox.push(["confab://a".to_owned()]));
        assert!(inbox.push(["confab://b".to_owned()]));
        assert_eq!(inbox.take(), ["confab://a", "confab://b"]);
        assert!(!inbox.push(["confab://c".to_owned()]), "sent as an event instead");
        assert!(inbox.take().is_empty());
    }
}
