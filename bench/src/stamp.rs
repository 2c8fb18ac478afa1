//! The stamp every benchmark message carries as its content: `b:<phase>:<room>:<sender>:<seq>:<nanos>`,
//! where `nanos` is the send time on the tool's monotonic clock. The same text is Confab's
//! message content and the ceiling server's whole frame, so both are measured alike; the
//! ceiling server routes on `<room>`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// What a benchmark message says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub phase: u8,
    pub room: u64,
    /// Index of the sending client.
    pub sender: u32,
    /// The message's slot in its phase.
    pub seq: u32,
    /// Send time, nanoseconds after the tool's epoch.
    pub sent_nanos: u64,
}

impl Stamp {
    pub fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "b:{}:{}:{}:{}:{}",
            self.phase, self.room, self.sender, self.seq, self.sent_nanos
        );
    }

    /// Parses a stamp at the start of `text` (anything after it, such as a closing quote, is
    /// ignored). `None` for anything else, such as a system message.
    pub fn parse(text: &[u8]) -> Option<Stamp> {
        let rest = text.strip_prefix(b"b:")?;
        let mut numbers = [0u64; 5];
        let mut index = 0;
        let mut digits = 0;
        for &byte in rest {
            match byte {
                b'0'..=b'9' => {
                    numbers[index] = numbers[index]
                        .checked_mul(10)?
                        .checked_add(u64::from(byte - b'0'))?;
                    digits += 1;
                }
                b':' if index < 4 && digits > 0 => {
                    index += 1;
                    digits = 0;
                }
                _ => break,
            }
        }
        if index != 4 || digits == 0 {
            return None;
        }
        Some(Stamp {
            phase: u8::try_from(numbers[0]).ok()?,
            room: numbers[1],
            sender: u32::try_from(numbers[2]).ok()?,
            seq: u32::try_from(numbers[3]).ok()?,
            sent_nanos: numbers[4],
        })
    }

    /// The room of a stamp, read without parsing the rest (the ceiling server's routing).
    pub fn room_of(text: &str) -> Option<u64> {
        let mut parts = text.strip_prefix("b:")?.splitn(3, ':');
        parts.next()?;
        parts.next()?.parse().ok()
    }
}

/// Finds the stamp inside a Confab `new_message` frame: the value of its `"content"` field.
/// Usernames and the fields before `content` cannot contain an unescaped quote, so the first
/// `"content":"` is the message's.
pub fn in_confab_frame(frame: &str) -> Option<Stamp> {
    const NEEDLE: &str = "\"content\":\"";
    let start = frame.find(NEEDLE)? + NEEDLE.len();
    Stamp::parse(&frame.as_bytes()[start..])
}

/// The tool's clock: one epoch for every client, so latencies compare send and receive times
/// taken in different tasks.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    epoch: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            epoch: Instant::now(),
        }
    }
}

impl Clock {
    pub fn nanos(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Time from `sent_nanos` until now (zero if the stamp is from the future).
    pub fn since(&self, sent_nanos: u64) -> Duration {
        Duration::from_nanos(self.nanos().saturating_sub(sent_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let stamp = Stamp {
            phase: 3,
            room: 17,
            sender: 499,
            seq: 123_456,
            sent_nanos: 98_765_432_100,
        };
        let mut text = String::new();
        stamp.write(&mut text);
        assert_eq!(text, "b:3:17:499:123456:98765432100");
        assert_eq!(Stamp::parse(text.as_bytes()), Some(stamp));
        assert_eq!(Stamp::room_of(&text), Some(17));
    }

    #[test]
    fn found_in_a_confab_frame() {
        let frame = r#"{"event":"new_message","data":{"message":{"id":9,"room_id":1,"user_id":4,"username":"bu00004","content":"b:0:1:4:7:1000","message_type":"text"}},"ref":"7"}"#;
        let stamp = in_confab_frame(frame).unwrap();
        assert_eq!((stamp.sender, stamp.seq, stamp.sent_nanos), (4, 7, 1000));
    }

    #[test]
    fn other_content_is_not_a_stamp() {
        for text in ["bu00004 joined", "b:1:2:3", "b:1:2:3:4:", "b::1:2:3:4"] {
            assert_eq!(Stamp::parse(text.as_bytes()), None, "{text}");
        }
    }
}
