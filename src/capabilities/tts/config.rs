//! `messages.tts` as the reference tool names its keys: the switch, the
//! default provider, per-provider settings and personas.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::EnvString;
use crate::context::Context;
use crate::error::{Error, Result};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TtsConfig {
    pub enabled: Option<bool>,
    pub auto: Option<Value>,
    pub provider: Option<String>,
    #[serde(default)]
    pub providers: BTreeMap<String, TtsProviderConfig>,
    #[serde(default, deserialize_with = "crate::config::bounds::opt_millis")]
    pub timeout_ms: Option<u64>,
    pub max_text_length: Option<usize>,
    /// The persona used when none is chosen with `tts set-persona`.
    pub persona: Option<String>,
    /// Named spoken identities: a provider, voice and model to use together.
    #[serde(default)]
    pub personas: BTreeMap<String, Persona>,
}

/// A stable spoken identity (`messages.tts.personas.<id>`): what `tts
/// convert` uses when its flags do not say otherwise.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Persona {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TtsProviderConfig {
    pub api_key: Option<EnvString>,
    pub base_url: Option<EnvString>,
    pub model: Option<String>,
    pub model_id: Option<String>,
    pub voice: Option<String>,
    pub voice_id: Option<String>,
    pub speaker_voice: Option<String>,
    pub speaker_voice_id: Option<String>,
    pub instructions: Option<String>,
    pub language_code: Option<String>,
    /// `local` only: `piper` or `espeak-ng`.
    pub engine: Option<String>,
    /// `local` only: the engine executable.
    pub command: Option<EnvString>,
}

impl TtsProviderConfig {
    pub(super) fn model(&self) -> Option<&str> {
        self.model
            .as_deref()
            .or(self.model_id.as_deref())
            .filter(|s| !s.trim().is_empty())
    }

    pub fn voice(&self) -> Option<&str> {
        [
            &self.voice,
            &self.voice_id,
            &self.speaker_voice,
            &self.speaker_voice_id,
        ]
        .into_iter()
        .find_map(|v| v.as_deref().filter(|s| !s.trim().is_empty()))
    }
}

impl TtsConfig {
    pub fn load(ctx: &Context) -> Result<TtsConfig> {
        let Some(raw) = ctx.config()?.messages.as_ref().and_then(|m| m.get("tts")) else {
            return Ok(TtsConfig::default());
        };
        serde_json::from_value(raw.clone()).map_err(|error| {
            Error::config(format!("invalid `messages.tts` in the config: {error}"))
        })
    }

    pub fn provider_settings(&self, id: &str) -> TtsProviderConfig {
        self.providers.get(id).cloned().unwrap_or_default()
    }

    /// Enabled per `enabled`, else `auto` other than `off`.
    pub fn enabled(&self) -> Option<bool> {
        self.enabled.or_else(|| match &self.auto {
            Some(Value::String(mode)) => Some(mode != "off"),
            Some(Value::Bool(on)) => Some(*on),
            _ => None,
        })
    }
}
