//! The stable result document every leaf command prints with `--json`.
//!
//! The eight top-level keys `ok, capability, transport, provider, model,
//! attempts, outputs, error` are always present; later additions (`inputs`,
//! `ignoredOverrides`, `usage`, `timings`) appear only when they carry data.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Reason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Local,
    Gateway,
}

/// One failed try before the one that answered (or before giving up).
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    pub error: String,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long this try took.
    #[serde(rename = "tookMs", skip_serializing_if = "Option::is_none")]
    pub took_ms: Option<u64>,
    /// What arrived before a cut-short answer (reason `truncated`).
    #[serde(rename = "partialText", skip_serializing_if = "Option::is_none")]
    pub partial_text: Option<String>,
}

impl Attempt {
    /// The record of a failed try of `candidate` that began at `started`.
    pub fn failed(
        candidate: &crate::registry::Resolved<'_>,
        error: &Error,
        started: std::time::Instant,
    ) -> Attempt {
        Attempt {
            provider: candidate.provider.id.clone(),
            model: candidate.model.id.clone(),
            error: error.message().to_owned(),
            reason: error.reason(),
            status: error.status(),
            took_ms: Some(started.elapsed().as_millis() as u64),
            partial_text: error.partial_text().map(str::to_owned),
        }
    }
}

/// A file sent along with the request (`model run --file`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub path: String,
    pub mime_type: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// What the tokens cost, when the model's prices are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::cost::UsageCost>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    pub total_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// In-process models: loading the weights.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_ms: Option<u64>,
    /// In-process models: evaluating the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_ms: Option<u64>,
    /// In-process models: mean time per generated token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_token_ms: Option<f64>,
    /// In-process models: generated tokens per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_second: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// Always `cli_error`, as the reference tool marks its failures.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl From<&Error> for ErrorBody {
    fn from(error: &Error) -> Self {
        ErrorBody {
            kind: "cli_error",
            message: error.message().to_owned(),
            reason: error.reason(),
            status: error.status(),
            hints: error.hints().to_vec(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub ok: bool,
    pub capability: String,
    pub transport: Transport,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
    pub outputs: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_overrides: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
    pub error: Option<ErrorBody>,
    /// Top-level keys a gateway answer carries beyond ours (`tts status`
    /// mirrors the gateway's payload there, as the reference prints it).
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, Value>,
}

impl Timings {
    /// Only the total: for calls with no streamed tokens.
    pub fn since(started: std::time::Instant) -> Timings {
        Timings {
            total_ms: started.elapsed().as_millis() as u64,
            ..Timings::default()
        }
    }
}

impl Envelope {
    pub fn success(capability: impl Into<String>, transport: Transport) -> Self {
        Envelope {
            ok: true,
            capability: capability.into(),
            transport,
            provider: None,
            model: None,
            attempts: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            ignored_overrides: Vec::new(),
            usage: None,
            timings: None,
            error: None,
            extra: serde_json::Map::new(),
        }
    }

    pub fn failure(capability: impl Into<String>, transport: Transport, error: &Error) -> Self {
        let mut envelope = Envelope::success(capability, transport);
        envelope.ok = false;
        envelope.error = Some(ErrorBody::from(error));
        envelope
    }

    pub fn with_outputs(mut self, outputs: Vec<Value>) -> Self {
        self.outputs = outputs;
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("envelope serializes")
    }

    /// The envelope on one line, closing a `--stream json` event stream.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("envelope serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_has_all_eight_keys_and_null_error() {
        let envelope = Envelope::success("model.run", Transport::Local);
        let value: Value = serde_json::from_str(&envelope.to_json()).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "ok",
                "capability",
                "transport",
                "provider",
                "model",
                "attempts",
                "outputs",
                "error"
            ]
        );
        assert!(value["error"].is_null());
        assert_eq!(value["transport"], "local");
    }

    #[test]
    fn failure_carries_reason_and_message() {
        let error = Error::usage("--prompt must not be blank");
        let envelope = Envelope::failure("model.run", Transport::Local, &error);
        let value: Value = serde_json::from_str(&envelope.to_json()).unwrap();
        assert_eq!(value["ok"], false);
        assert_eq!(value["error"]["reason"], "usage");
        assert_eq!(value["error"]["type"], "cli_error");
        assert_eq!(value["error"]["message"], "--prompt must not be blank");
    }

    #[test]
    fn pretty_json_uses_two_spaces() {
        let text = Envelope::success("model.run", Transport::Local).to_json();
        assert!(text.contains("\n  \"ok\": true"));
    }
}
