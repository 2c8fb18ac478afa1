//! The crate's one error type: what went wrong, which HTTP status and error code a client sees,
//! and the JSON body `{"error":{"code","message",…}}` that REST and WebSocket both send.

use std::borrow::Cow;
use std::net::SocketAddr;

use http::StatusCode;
use serde::Serialize;

use crate::store::Conflict;

/// Result with Confab's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field failed validation. `field` names it so clients can show the message
    /// next to the right input.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        field: Option<Cow<'static, str>>,
        message: String,
    },
    /// No token, or an unknown, expired or revoked one.
    #[error("authentication required")]
    Unauthorized,
    /// Unknown username or wrong password: deliberately indistinguishable.
    #[error("username or password is incorrect")]
    InvalidCredentials,
    /// Authenticated but not allowed.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Does not exist, or is a private room the caller may not know about.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The request clashes with what is stored (taken name, already a member, …).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    #[error("this endpoint does not support that method")]
    MethodNotAllowed,
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: u64 },
    /// A per-user or per-address limit (`chat::limits`): `message` says which.
    #[error("{message}; try again in {retry_after} seconds")]
    RateLimited { message: &'static str, retry_after: u64 },
    /// The caller's upload quota for the last 24 hours is used up.
    #[error(
        "you have used your upload allowance of {quota_mb} MB per 24 hours; try again in {retry_after} seconds"
    )]
    UploadQuota { quota_mb: u64, retry_after: u64 },
    /// The disk holding uploads is nearly full.
    #[error(
        "the server is almost out of disk space, so it is not accepting files; ask its administrator to free some"
    )]
    InsufficientStorage,
    #[error("the server is shutting down")]
    ShuttingDown,
    /// Something this server's configuration cannot do (a backup archive of a PostgreSQL
    /// database, say); `message` says what to do instead.
    #[error("{message}")]
    NotSupported { code: &'static str, message: String },
    /// The password-hashing queue is full; the client should retry after a moment.
    #[error("the server is busy checking passwords; try again in {retry_after} seconds")]
    Busy { retry_after: u64 },
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The TLS certificate or key cannot be used; `message` says what to do.
    #[error("TLS identity {path}: {message}")]
    Identity {
        path: std::path::PathBuf,
        message: String,
    },
    /// Settings that cannot work together.
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A validation error on `field`.
    pub fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            field: Some(Cow::Borrowed(field)),
            message: message.into(),
        }
    }

    /// A validation error on a field named by the request itself (an unknown or mistyped one).
    pub fn invalid_field(code: &'static str, field: String, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            field: Some(Cow::Owned(field)),
            message: message.into(),
        }
    }

    /// A malformed request that no single field explains.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            field,
            message: message.into(),
        }
    }

    pub fn not_found(what: &'static str) -> Self {
        Error::NotFound { what }
    }

    /// The HTTP status a client sees.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized | Error::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge { .. } | Error::UploadQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::TooManyAttempts { .. } | Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            Error::ShuttingDown | Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Database(e) if unreachable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Error::NotSupported { .. } => StatusCode::NOT_IMPLEMENTED,
            Error::Bind { .. }
            | Error::Identity { .. }
            | Error::Config(_)
            | Error::Database(_)
            | Error::Migrate(_)
            | Error::Io(_)
            | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. }
            | Error::Forbidden { code, .. }
            | Error::Conflict { code, .. }
            | Error::NotSupported { code, .. } => code,
            Error::Unauthorized => "unauthorized",
            Error::InvalidCredentials => "invalid_credentials",
            Error::NotFound { .. } => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::TooManyAttempts { .. } => "too_many_attempts",
            Error::RateLimited { .. } => "rate_limited",
            Error::UploadQuota { .. } => "upload_quota_exceeded",
            Error::InsufficientStorage => "insufficient_storage",
            Error::ShuttingDown => "shutting_down",
            Error::Busy { .. } => "server_busy",
            Error::Database(e) if unreachable(e) => "database_unavailable",
            Error::Bind { .. }
            | Error::Identity { .. }
            | Error::Config(_)
            | Error::Database(_)
            | Error::Migrate(_)
            | Error::Io(_)
            | Error::Internal(_) => "internal",
        }
    }

    /// Seconds until the client may try again, for the errors that have such a time.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::TooManyAttempts { retry_after }
            | Error::Busy { retry_after }
            | Error::RateLimited { retry_after, .. }
            | Error::UploadQuota { retry_after, .. } => Some(*retry_after),
            Error::Database(e) if unreachable(e) => Some(DATABASE_RETRY_AFTER),
            _ => None,
        }
    }

    fn is_internal(&self) -> bool {
        self.status() == StatusCode::INTERNAL_SERVER_ERROR
    }

    /// The `{"code","message",…}` object clients receive. Internal errors are logged here with
    /// their detail and reach the client only as a generic message.
    pub fn body(&self) -> ErrorBody {
        let message = if self.is_internal() {
            tracing::error!(error = %self, "request failed");
            "something went wrong on the server".to_owned()
        } else if let Error::Database(e) = self {
            tracing::warn!(error = %e, "the database is unreachable");
            "the database is unreachable; try again in a few seconds".to_owned()
        } else {
            self.to_string()
        };
        let field = match self {
            Error::Invalid { field, .. } => field.clone(),
            Error::Conflict { field, .. } => field.map(Cow::Borrowed),
            Error::InvalidCredentials => Some(Cow::Borrowed("password")),
            Error::UploadQuota { .. } | Error::InsufficientStorage => Some(Cow::Borrowed("file")),
            _ => None,
        };
        ErrorBody {
            code: self.code(),
            message,
            field,
            retry_after: self.retry_after(),
        }
    }
}

/// Seconds a client waits before retrying while the database is unreachable.
const DATABASE_RETRY_AFTER: u64 = 5;

/// Whether `e` says the database cannot be reached (down, restarting, or its connection lost)
/// rather than that the request went wrong: then the request may succeed when retried, and the
/// client is told so (`503 database_unavailable`), not that the server failed. A write that
/// failed this way was not acknowledged; whether it committed, a retry with the same
/// `client_msg_id` settles.
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08: connection exception; 57P01–57P03: the server is shutting
        // down (it terminated this session), crashed, or is still starting.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Every error response's body: `{"error": {...}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

/// The inner object of an error response or WebSocket `error` event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable and machine-readable, e.g. `room_name_taken`; the routes list theirs.
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub field: Option<Cow<'static, str>>,
    /// Seconds until the client may try again (`too_many_attempts`, `server_busy`,
    /// `rate_limited`, `upload_quota_exceeded`, `database_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl warp::Reply for Error {
    fn into_response(self) -> warp::reply::Response {
        let status = self.status();
        let mut response =
            warp::reply::with_status(warp::reply::json(&ErrorResponse { error: self.body() }), status)
                .into_response();
        if let Some(retry_after) = self.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<Conflict> for Error {
    /// A 409 that names the field the clash is about.
    fn from(conflict: Conflict) -> Self {
        match conflict {
            Conflict::RoomName => Error::conflict(
                "room_name_taken",
                Some("name"),
                "a room with that name already exists",
            ),
            Conflict::Username => {
                Error::conflict("username_taken", Some("username"), "that username is taken")
            }
            Conflict::UsernameLookAlike => Error::conflict(
                "username_taken",
                Some("username"),
                "that username looks too much like an existing one",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::Reply;

    #[tokio::test]
    async fn error_response_has_code_message_and_field() {
        let response = Error::invalid("invalid_username", "username", "too short").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "invalid_username", "message": "too short", "field": "username"}})
        );
    }

    #[tokio::test]
    async fn internal_errors_hide_their_detail() {
        let response = Error::Internal("disk on fire at /secret/path".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("/secret/path"), "{text}");
        assert!(text.contains("\"code\":\"internal\""), "{text}");
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_to_retry_not_a_server_failure() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        for unreachable in [sqlx::Error::PoolTimedOut, sqlx::Error::Io(refused)] {
            let response = Error::Database(unreachable).into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[http::header::RETRY_AFTER], "5");
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            let text = String::from_utf8(body.to_vec()).unwrap();
            assert!(text.contains("\"code\":\"database_unavailable\""), "{text}");
            assert!(!text.contains("refused"), "{text}");
        }
        let broken = Error::Database(sqlx::Error::RowNotFound);
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(broken.code(), "internal");
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let response = Error::TooManyAttempts { retry_after: 42 }.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[http::header::RETRY_AFTER], "42");
    }

    #[tokio::test]
    async fn limits_answer_429_413_and_507_with_their_codes() {
        let limited = Error::RateLimited {
            message: "slow down",
            retry_after: 3,
        };
        let quota = Error::UploadQuota {
            quota_mb: 500,
            retry_after: 600,
        };
        for (error, status, code, retry) in [
            (limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited", Some("3")),
            (
                quota,
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload_quota_exceeded",
                Some("600"),
            ),
            (
                Error::InsufficientStorage,
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient_storage",
                None,
            ),
        ] {
            let response = error.into_response();
            assert_eq!(response.status(), status);
            assert_eq!(
                response
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .map(|v| v.to_str().unwrap()),
                retry
            );
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["error"]["code"], code);
            assert_eq!(json["error"]["retry_after"].as_str(), None);
            assert_eq!(
                json["error"]["retry_after"]
                    .as_u64()
                    .map(|s| s.to_string())
                    .as_deref(),
                retry
            );
        }
    }
}
