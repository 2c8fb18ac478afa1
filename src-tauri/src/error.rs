//! The desktop crate's one error type. Commands return it to the web client serialized as
//! `{"code": …, "message": …}`, the same shape as the server's errors.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value from the web client failed validation.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// Nothing usable answered at a server address.
    #[error("nothing answered at {url} ({reason}); check the address and that the server is running")]
    Unreachable { url: String, reason: String },
    /// Something answered at a server address, but not Confab.
    #[error("{url} answered, but it is not a Confab server")]
    NotConfab { url: String },
    /// The server at an address presented another certificate than the one pinned for it: the
    /// connection stopped in the handshake, before anything was sent.
    #[error(
        "the server at {address} presented another certificate than the one you trusted; nothing was sent"
    )]
    CertificateMismatch { address: String },
    /// An https server not trusted yet: it must be probed and its fingerprint accepted first.
    #[error("the server at {address} is not trusted yet; check its fingerprint first")]
    NotPinned { address: String },
    #[error(
        "port {port} is already in use on this computer (another Confab or another program?); choose another port"
    )]
    PortInUse { port: u16 },
    #[error("the built-in server could not start: {0}")]
    HostStart(String),
    #[error("that file is larger than the {limit_mb} MB limit")]
    TooLarge { limit_mb: u64 },
    #[error("that file is not a PNG, JPEG, GIF or WebP image")]
    NotAnImage,
    #[error("that file is empty")]
    EmptyFile,
    #[error("the picked image is no longer available; pick it again")]
    UnknownPick,
    /// The server refused a transfer: its own error, with its status.
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// A transfer's connection ended before the whole answer arrived.
    #[error("the transfer from {address} stopped before it was complete ({reason}); nothing was kept")]
    Interrupted { address: String, reason: String },
    #[error("the transfer was cancelled")]
    Cancelled,
    #[error("settings could not be saved: {0}")]
    Settings(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Tauri(#[from] tauri::Error),
}

impl Error {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    /// The stable code the web client maps to a message in its language.
    pub fn code(&self) -> &str {
        match self {
            Error::Server { code, .. } => code,
            Error::Interrupted { .. } => "interrupted",
            Error::Cancelled => "aborted",
            Error::Invalid { code, .. } => code,
            Error::Unreachable { .. } => "unreachable",
            Error::NotConfab { .. } => "not_confab",
            Error::CertificateMismatch { .. } => "certificate_mismatch",
            Error::NotPinned { .. } => "not_pinned",
            Error::PortInUse { .. } => "port_in_use",
            Error::HostStart(_) => "host_failed",
            Error::TooLarge { .. } => "file_too_large",
            Error::NotAnImage => "not_an_image",
            Error::EmptyFile => "empty_file",
            Error::UnknownPick => "unknown_pick",
            Error::Settings(_) => "settings_failed",
            Error::Io(_) | Error::Tauri(_) => "internal",
        }
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Error", 3)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        // The page reads a server's refusal as it reads any answer of the server's.
        if let Error::Server { status, .. } = self {
            s.serialize_field("status", status)?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message() {
        let json = serde_json::to_value(Error::PortInUse { port: 8080 }).unwrap();
        assert_eq!(json["code"], "port_in_use");
        assert!(json["message"].as_str().unwrap().contains("8080"));
        let json = serde_json::to_value(Error::invalid("invalid_url", "bad")).unwrap();
        assert_eq!(json, serde_json::json!({"code": "invalid_url", "message": "bad"}));
        let json = serde_json::to_value(Error::Server {
            status: 413,
            code: "payload_too_large".into(),
            message: "too big".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "payload_too_large", "message": "too big", "status": 413})
        );
    }
}
