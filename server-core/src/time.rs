//! Wall-clock time as Confab stores it (unix milliseconds) and shows it (RFC 3339 UTC), and the
//! server's [`Clock`], which tests can shift to make "last week" happen now.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// Milliseconds since the unix epoch, UTC.
pub type Millis = i64;

/// The current system time in unix milliseconds.
pub fn now() -> Millis {
    Utc::now().timestamp_millis()
}

/// The server's sense of the current time: the system clock, optionally shifted by an offset
/// that can be changed while the server runs (for tests of retention and expiry).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The system clock shifted by an adjustable offset, starting at zero.
    pub fn shiftable() -> Clock {
        Clock {
            offset: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Now, in unix milliseconds.
    pub fn now(&self) -> Millis {
        now() + self.offset.as_ref().map_or(0, |o| o.load(Ordering::Relaxed))
    }

    /// Makes this clock (and every clone) run `by` ahead of the system clock; negative values
    /// put it behind. Has no effect on [`Clock::system`].
    pub fn set_offset(&self, by: Duration, behind: bool) {
        if let Some(offset) = &self.offset {
            let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            offset.store(if behind { -ms } else { ms }, Ordering::Relaxed);
        }
    }
}

/// Formats unix milliseconds as RFC 3339 UTC with millisecond precision, e.g.
/// `2026-11-21T22:20:44.123Z`.
pub fn rfc3339(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `serialize_with` for a timestamp field.
pub fn ser<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

/// `serialize_with` for an optional timestamp field (`null` when absent).
pub fn ser_opt<S: Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shiftable_clocks_move_together() {
        let clock = Clock::shiftable();
        let copy = clock.clone();
        clock.set_offset(Duration::from_secs(86_400), true);
        let behind = now() - copy.now();
        assert!((86_399_000..=86_401_000).contains(&behind), "{behind}");
        Clock::system().set_offset(Duration::from_secs(5), false);
        assert!((Clock::system().now() - now()).abs() < 1000);
    }

    #[test]
    fn formats_utc_with_millis() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_299_644_123), "2026-11-21T22:20:44.123Z");
    }
}
