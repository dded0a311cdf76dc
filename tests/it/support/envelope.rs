//! The `--json` result document decoded into typed structs, so a test reads
//! `envelope.error.unwrap().reason` instead of indexing untyped JSON, and a
//! renamed or retyped field fails to decode. Keys this file does not know
//! are ignored: envelopes may gain fields without breaking these tests.

// Every field is decoded, so a renamed or retyped one fails, even where no
// test reads it yet.
#![allow(dead_code)]

use serde::Deserialize;
use serde_json::Value;

/// The eight keys every envelope carries, even when null or empty.
pub const ALWAYS_PRESENT: [&str; 8] = [
    "ok",
    "capability",
    "transport",
    "provider",
    "model",
    "attempts",
    "outputs",
    "error",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub ok: bool,
    pub capability: String,
    /// `local` or `gateway`.
    pub transport: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub attempts: Vec<Attempt>,
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Each capability has its own output shape; tests index into them.
    pub outputs: Vec<Value>,
    #[serde(default)]
    pub ignored_overrides: Vec<String>,
    pub usage: Option<Usage>,
    pub timings: Option<Timings>,
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    pub error: String,
    pub reason: String,
    pub status: Option<u16>,
    pub took_ms: Option<u64>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub path: String,
    pub mime_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    pub cost: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    pub total_ms: u64,
    pub first_token_ms: Option<u64>,
    pub load_ms: Option<u64>,
    pub prompt_ms: Option<u64>,
    pub per_token_ms: Option<f64>,
    pub tokens_per_second: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    pub reason: String,
    pub status: Option<u16>,
    #[serde(default)]
    pub hints: Vec<String>,
}

impl Envelope {
    /// Decode `value`, which must be an object holding the eight keys.
    pub fn from_value(value: Value) -> Envelope {
        let object = value
            .as_object()
            .unwrap_or_else(|| panic!("the envelope is not a JSON object: {value}"));
        for key in ALWAYS_PRESENT {
            assert!(object.contains_key(key), "envelope lacks `{key}`: {value}");
        }
        serde_json::from_value(value.clone())
            .unwrap_or_else(|error| panic!("envelope does not decode ({error}): {value}"))
    }

    /// The error of a failed run; panics (showing the envelope) if it succeeded.
    pub fn error(&self) -> &ErrorBody {
        self.error
            .as_ref()
            .unwrap_or_else(|| panic!("expected an error: {self:?}"))
    }

    /// `outputs[index].text`, as `model run` writes it.
    pub fn text(&self, index: usize) -> &str {
        self.outputs
            .get(index)
            .and_then(|output| output["text"].as_str())
            .unwrap_or_else(|| panic!("no text in outputs[{index}]: {self:?}"))
    }

    pub fn usage(&self) -> &Usage {
        self.usage
            .as_ref()
            .unwrap_or_else(|| panic!("no usage: {self:?}"))
    }
}

impl ErrorBody {
    /// The message and the hints in one string, for "mentions X" checks.
    pub fn message_and_hints(&self) -> String {
        std::iter::once(self.message.as_str())
            .chain(self.hints.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
