//! The one error type of the crate: what went wrong, why (a machine-readable
//! reason), how the process exits, and hints for the person reading it.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// What kind of failure this is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flag value, blank prompt, unreadable input file. Exit 2.
    Usage,
    /// A broken or inconsistent config file. Exit 2.
    Config,
    /// The capability exists in the command tree but is not built yet. Exit 2.
    Unsupported,
    /// The provider answered with an error, or could not be reached. Exit 1.
    Provider,
    /// A local file or system call failed while running. Exit 1.
    Io,
    /// The run was interrupted by a signal.
    Cancelled { signal: i32 },
    /// A bug in openclaw.
    Internal,
}

/// Why a provider call failed, as it appears in `attempts[].reason` and
/// `error.reason`. Set once, where the failure is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Auth,
    AuthPermanent,
    Billing,
    RateLimit,
    Overloaded,
    Timeout,
    Format,
    ModelNotFound,
    ServerError,
    Network,
    Unknown,
    Usage,
    Config,
    Unsupported,
    Cancelled,
    SchemaMismatch,
    /// Nothing answered at the gateway's address.
    Unreachable,
    /// The gateway refused the method for this socket's scopes.
    Forbidden,
    /// The gateway ran the request and its provider or run failed.
    Provider,
    /// The answer ended before the protocol's end marker (a cut stream or
    /// a body cut short).
    Truncated,
    /// A bug in openclaw (a panic caught by the hook).
    Internal,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Auth => "auth",
            Reason::AuthPermanent => "auth_permanent",
            Reason::Billing => "billing",
            Reason::RateLimit => "rate_limit",
            Reason::Overloaded => "overloaded",
            Reason::Timeout => "timeout",
            Reason::Format => "format",
            Reason::ModelNotFound => "model_not_found",
            Reason::ServerError => "server_error",
            Reason::Network => "network",
            Reason::Unknown => "unknown",
            Reason::Usage => "usage",
            Reason::Config => "config",
            Reason::Unsupported => "unsupported",
            Reason::Cancelled => "cancelled",
            Reason::SchemaMismatch => "schema_mismatch",
            Reason::Unreachable => "unreachable",
            Reason::Forbidden => "forbidden",
            Reason::Provider => "provider",
            Reason::Truncated => "truncated",
            Reason::Internal => "internal",
        }
    }

    /// Failures worth trying again against the same provider after a pause.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Reason::RateLimit
                | Reason::Overloaded
                | Reason::Timeout
                | Reason::ServerError
                | Reason::Truncated
        )
    }

    /// Failures that say the provider itself is unusable, so its other
    /// models are skipped during fallback.
    pub fn disqualifies_provider(self) -> bool {
        matches!(
            self,
            Reason::Auth | Reason::AuthPermanent | Reason::Billing | Reason::Format
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub reason: Reason,
    pub message: String,
    pub hints: Vec<String>,
    /// HTTP status of the provider answer, when there was one.
    pub status: Option<u16>,
    /// How long the provider asked us to wait before trying again.
    pub retry_after: Option<Duration>,
    /// Text that arrived before the answer was cut short (`truncated`).
    pub partial_text: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn new(kind: ErrorKind, reason: Reason, message: impl Into<String>) -> Self {
        Error {
            kind,
            reason,
            message: message.into(),
            hints: Vec::new(),
            status: None,
            retry_after: None,
            partial_text: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, Reason::Usage, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, Reason::Config, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, Reason::Unsupported, message)
    }

    pub fn provider(reason: Reason, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Provider, reason, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Io, Reason::Unknown, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, Reason::Internal, message)
    }

    pub fn cancelled(signal: i32) -> Self {
        let name = if signal == 15 { "SIGTERM" } else { "SIGINT" };
        Self::new(
            ErrorKind::Cancelled { signal },
            Reason::Cancelled,
            format!("cancelled by {name}"),
        )
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.retry_after = wait;
        self
    }

    /// Keep the text received before the failure, when there is any.
    pub fn with_partial_text(mut self, text: &str) -> Self {
        if !text.is_empty() {
            self.partial_text = Some(text.to_owned());
        }
        self
    }

    /// Prefix the message with where the failure happened, keeping the rest.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage | ErrorKind::Config | ErrorKind::Unsupported => 2,
            ErrorKind::Cancelled { signal } => 128u8.saturating_add(signal as u8),
            ErrorKind::Provider | ErrorKind::Io | ErrorKind::Internal => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::io(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_kind() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::config("x").exit_code(), 2);
        assert_eq!(Error::unsupported("x").exit_code(), 2);
        assert_eq!(Error::provider(Reason::Auth, "x").exit_code(), 1);
        assert_eq!(Error::cancelled(2).exit_code(), 130);
        assert_eq!(Error::cancelled(15).exit_code(), 143);
    }

    #[test]
    fn reasons_serialize_snake_case() {
        let text = serde_json::to_string(&Reason::ModelNotFound).unwrap();
        assert_eq!(text, "\"model_not_found\"");
        assert_eq!(Reason::AuthPermanent.as_str(), "auth_permanent");
    }
}
