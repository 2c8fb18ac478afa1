//! Wall-clock time as Confab stores it (unix milliseconds) and shows it (RFC 3339 UTC).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// Milliseconds since the unix epoch, UTC.
pub type Millis = i64;

/// The current time in unix milliseconds.
pub fn now() -> Millis {
    Utc::now().timestamp_millis()
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
    fn formats_utc_with_millis() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_299_644_123), "2026-11-21T22:20:44.123Z");
    }
}
