//! The one error type of the crate: what went wrong, why (a machine-readable
//! reason), how the process exits, what caused it, and hints for the person
//! reading it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// How the process ends for this error: the exit-code class only. Why it
/// failed, for machines, is the `Reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command cannot run as asked: a bad flag or input, a broken
    /// config, something not built yet. Exit 2.
    Usage,
    /// The command ran and failed: a provider, the network, a local file,
    /// a bug. Exit 1.
    Failure,
    /// A signal stopped the run. Exit 128 + signal.
    Cancelled { signal: i32 },
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

/// A cause kept beneath an error; shared so the error stays `Clone` (one
/// failure is reported in several attempts).
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Built by the constructors and `with_*` methods below and read through
/// accessors: nothing is patched after construction.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    reason: Reason,
    message: String,
    hints: Vec<String>,
    /// HTTP status of the provider answer, when there was one.
    status: Option<u16>,
    /// How long the provider asked us to wait before trying again.
    retry_after: Option<Duration>,
    /// Text that arrived before the answer was cut short (`truncated`).
    partial_text: Option<String>,
    /// What this error came from (a transport error, a file error); printed
    /// as `Caused by:` lines, never part of `message`.
    #[source]
    source: Option<Cause>,
}

/// The most of a cut answer's text an error keeps (`partialText`).
pub const PARTIAL_TEXT_LIMIT: usize = 1024 * 1024;

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
            source: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, Reason::Usage, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, Reason::Config, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, Reason::Unsupported, message)
    }

    pub fn provider(reason: Reason, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failure, reason, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failure, Reason::Unknown, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failure, Reason::Internal, message)
    }

    pub fn cancelled(signal: i32) -> Self {
        let name = if signal == 15 { "SIGTERM" } else { "SIGINT" };
        Self::new(
            ErrorKind::Cancelled { signal },
            Reason::Cancelled,
            format!("cancelled by {name}"),
        )
    }

    /// The same failure under another machine reason, for a caller that
    /// knows better than the place that built it (a missing model file is
    /// `model_not_found`, whatever reading it said).
    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reason = reason;
        self
    }

    /// The same failure reported as a usage or config problem (exit 2): a
    /// file read that failed while reading the config is the config's fault.
    pub fn into_config(mut self) -> Self {
        self.kind = ErrorKind::Usage;
        self.reason = Reason::Config;
        self
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

    /// Keep the text received before the failure, when there is any: its
    /// first `PARTIAL_TEXT_LIMIT` bytes. An endless stream cut at the answer
    /// cap would otherwise put 64 MiB into the envelope, and printing and
    /// masking that can take longer than the run's whole deadline.
    pub fn with_partial_text(mut self, text: &str) -> Self {
        if !text.is_empty() {
            let mut end = text.len().min(PARTIAL_TEXT_LIMIT);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.partial_text = Some(text[..end].to_owned());
        }
        self
    }

    /// Keep what this error came from, for the `Caused by:` lines.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    /// Prefix the message with where the failure happened, keeping the rest.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Replace the message, keeping reason, status, hints and causes (a
    /// summary of several failures that ends in this one).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn reason(&self) -> Reason {
        self.reason
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hints(&self) -> &[String] {
        &self.hints
    }

    pub fn status(&self) -> Option<u16> {
        self.status
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    pub fn partial_text(&self) -> Option<&str> {
        self.partial_text.as_deref()
    }

    /// The `Caused by:` lines: each cause's text, outermost first, leaving
    /// out blank ones and any whose text the message or an earlier line
    /// already shows.
    pub fn causes(&self) -> Vec<String> {
        let mut shown: Vec<String> = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            let text = cause.to_string();
            let repeated = text.trim().is_empty()
                || self.message.contains(&text)
                || shown.iter().any(|line| line.contains(&text));
            if !repeated {
                shown.push(text);
            }
            next = cause.source();
        }
        shown
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage => 2,
            ErrorKind::Cancelled { signal } => 128u8.saturating_add(signal as u8),
            ErrorKind::Failure => 1,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::io(error.to_string()).with_source(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_text_is_kept_up_to_its_limit_on_a_char_boundary() {
        let text = "é".repeat(PARTIAL_TEXT_LIMIT);
        let error = Error::provider(Reason::Truncated, "cut").with_partial_text(&text);
        let kept = error.partial_text().unwrap();
        assert!(kept.len() <= PARTIAL_TEXT_LIMIT && kept.len() > PARTIAL_TEXT_LIMIT - 4);
        assert!(text.starts_with(kept));
    }

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

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        inner: Option<Box<Layer>>,
    }

    fn layers(texts: &[&'static str]) -> Layer {
        let mut layer: Option<Box<Layer>> = None;
        for text in texts.iter().rev() {
            layer = Some(Box::new(Layer { text, inner: layer }));
        }
        *layer.unwrap()
    }

    #[test]
    fn causes_follow_the_source_chain_without_repeats() {
        let error = Error::provider(
            Reason::Network,
            "cannot connect to http://127.0.0.1:9/: connection refused",
        )
        .with_source(layers(&[
            "error sending request",
            "tcp connect error",
            "tcp connect error",
            "",
            "connection refused",
        ]));
        assert_eq!(
            error.causes(),
            ["error sending request", "tcp connect error"]
        );
        assert_eq!(
            error.to_string(),
            "cannot connect to http://127.0.0.1:9/: connection refused"
        );
        assert!(Error::usage("x").causes().is_empty());
    }

    #[test]
    fn builders_keep_the_rest() {
        let error = Error::io("cannot read x")
            .with_hint("look")
            .into_config()
            .with_message("config: cannot read x");
        assert_eq!(error.exit_code(), 2);
        assert_eq!(error.reason(), Reason::Config);
        assert_eq!(error.hints(), ["look"]);
        let missing = Error::config("no such file").with_reason(Reason::ModelNotFound);
        assert_eq!(missing.exit_code(), 2);
        assert_eq!(missing.reason(), Reason::ModelNotFound);
    }
}
