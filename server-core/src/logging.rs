//! What may reach the logs: `RUST_LOG` (or a default) chooses the detail, under ceilings for the
//! libraries whose detailed output would print a session token, a password or a password hash.
//! `confab-server` and the desktop app both build their log filter here.

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::registry::LookupSpan;

/// The most each of these targets may log, whatever `RUST_LOG` says. A ceiling rather than
/// redaction: these lines are written by other crates, from values they do not know are secret.
const CEILINGS: &[(&str, LevelFilter)] = &[
    // TRACE prints every frame and message sent or received, so the `auth` frame's token and
    // every chat message.
    ("tungstenite", LevelFilter::DEBUG),
    ("tokio_tungstenite", LevelFilter::DEBUG),
    // DEBUG dumps HTTP/2 frames, headers (`authorization`) included.
    ("h2", LevelFilter::INFO),
    // Hyper prints no header values, but each of its warnings is one line per misbehaving
    // connection (a header timeout, a malformed request): anyone on the network could fill the
    // disk with them. The accept loop logs refusals itself, at most once a minute per address.
    ("hyper", LevelFilter::ERROR),
    ("hyper_util", LevelFilter::ERROR),
    // DEBUG repeats why a body did not parse, quoting what was sent (a password included).
    ("warp", LevelFilter::INFO),
    // DEBUG logs every statement; slow ones still come at WARN.
    ("sqlx", LevelFilter::INFO),
];

/// The log filter for a server: `RUST_LOG` if set (else `default`, an `EnvFilter` directive
/// such as `"info"`), capped by [`CEILINGS`] so that no level prints a token, password or hash.
pub fn log_filter<S>(default: &str) -> impl Filter<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let wanted = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    wanted.and(ceilings())
}

fn ceilings() -> Targets {
    CEILINGS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |targets, (target, level)| targets.with_target(*target, *level),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_printing_levels_are_off_and_the_rest_untouched() {
        let ceilings = ceilings();
        assert!(!ceilings.would_enable("tungstenite::protocol", &tracing::Level::TRACE));
        assert!(ceilings.would_enable("tungstenite::protocol", &tracing::Level::DEBUG));
        assert!(!ceilings.would_enable("tokio_tungstenite::compat", &tracing::Level::TRACE));
        assert!(!ceilings.would_enable("h2::codec", &tracing::Level::DEBUG));
        assert!(!ceilings.would_enable("hyper::proto::h1::conn", &tracing::Level::WARN));
        assert!(!ceilings.would_enable("warp::filters::body", &tracing::Level::DEBUG));
        assert!(!ceilings.would_enable("sqlx::query", &tracing::Level::DEBUG));
        assert!(ceilings.would_enable("sqlx::query", &tracing::Level::WARN));
        assert!(ceilings.would_enable("server_core::hub", &tracing::Level::TRACE));
    }
}
