//! `tts.*`: speech synthesis through OpenAI `/audio/speech`, ElevenLabs, or
//! a local engine on this machine (`piper` with a voice file, else
//! `espeak-ng`), plus the persisted on/off and provider state.
//!
//! Settings come from `messages.tts` (the reference tool's keys): `enabled`,
//! `auto`, `provider`, `timeoutMs`, `maxTextLength`, and
//! `providers.<id>.{apiKey, baseUrl, model|modelId, voice|voiceId|speakerVoice|speakerVoiceId,
//! instructions, languageCode}`; `providers.local.{engine, command, voice}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{self, Secret};
use crate::capabilities::provider_call::with_retries;
use crate::catalog::ModelKind;
use crate::config::EnvString;
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::protocols::{Endpoint, elevenlabs, openai};
use crate::registry::Registry;

/// ElevenLabs' example voice in the reference docs, used when none is set.
pub const ELEVENLABS_DEFAULT_VOICE: &str = "pMsXgVXv3BLzUgSXRplE";
pub const OPENAI_DEFAULT_VOICE: &str = "alloy";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

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
    fn model(&self) -> Option<&str> {
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

pub use crate::catalog::SpeechProtocol;

impl SpeechProtocol {
    pub fn for_provider(registry: &Registry, id: &str) -> Option<SpeechProtocol> {
        // The local engines need no registry row (it may have been replaced).
        if id == "local" {
            return Some(SpeechProtocol::Local);
        }
        registry.provider(id).and_then(|p| p.apis.speech)
    }

    /// Output formats, by file extension.
    pub fn formats(self) -> &'static [&'static str] {
        match self {
            SpeechProtocol::OpenAi => &["mp3", "opus", "ogg", "aac", "flac", "wav", "pcm"],
            SpeechProtocol::ElevenLabs => &["mp3", "wav", "pcm", "opus", "ogg"],
            SpeechProtocol::Local => &["wav", "mp3", "ogg", "opus", "flac"],
        }
    }
}

pub fn mime_for(format: &str) -> &'static str {
    match format {
        "mp3" => "audio/mpeg",
        "opus" | "ogg" => "audio/ogg",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        _ => "audio/L16",
    }
}

/// What `tts convert` asks for.
#[derive(Debug, Clone)]
pub struct SpeechRequest<'a> {
    pub provider: &'a str,
    pub model: Option<&'a str>,
    pub voice: Option<&'a str>,
    pub text: &'a str,
    /// File extension of the wanted format (`mp3`, `wav`, ...).
    pub format: &'a str,
}

pub struct Speech {
    pub bytes: Vec<u8>,
    pub model: String,
    pub voice: String,
}

pub async fn synthesize(
    ctx: &Context,
    config: &TtsConfig,
    request: &SpeechRequest<'_>,
) -> Result<Speech> {
    let registry = ctx.registry()?;
    let protocol = SpeechProtocol::for_provider(registry, request.provider)
        .ok_or_else(|| unknown_speech_provider(request.provider))?;
    let settings = config.provider_settings(request.provider);
    let timeout = super::deadline::bounded(
        None,
        config.timeout_ms.map(crate::config::bounds::millis),
        DEFAULT_TIMEOUT,
    );
    match protocol {
        SpeechProtocol::Local => local::synthesize(&settings, request, timeout).await,
        SpeechProtocol::OpenAi | SpeechProtocol::ElevenLabs => {
            let (client, base_url, key, headers) =
                remote(ctx, registry, request.provider, &settings)?;
            let deadline = Some(std::time::Instant::now() + timeout);
            let endpoint = Endpoint {
                client: &client,
                base_url: &base_url,
                api_key: key.as_ref(),
                headers: &headers,
                deadline,
                guard: None,
            };
            if protocol == SpeechProtocol::OpenAi {
                let model = request
                    .model
                    .or(settings.model())
                    .map(str::to_owned)
                    .map_or_else(
                        || {
                            registry
                                .default_for(request.provider, ModelKind::Tts)
                                .map(|r| r.model.id)
                        },
                        Ok,
                    )?;
                let voice = request
                    .voice
                    .or(settings.voice())
                    .unwrap_or(OPENAI_DEFAULT_VOICE)
                    .to_owned();
                let wire_format = if request.format == "ogg" {
                    "opus"
                } else {
                    request.format
                };
                let speech = openai::audio::SpeechRequest {
                    model: &model,
                    input: request.text,
                    voice: &voice,
                    response_format: wire_format,
                    instructions: settings.instructions.as_deref(),
                };
                let bytes = with_retries(|| openai::audio::speech(endpoint, &speech)).await?;
                Ok(Speech {
                    bytes: check_audio(bytes)?,
                    model,
                    voice,
                })
            } else {
                let model = request
                    .model
                    .or(settings.model())
                    .map(str::to_owned)
                    .map_or_else(
                        || {
                            registry
                                .default_for("elevenlabs", ModelKind::Tts)
                                .map(|r| r.model.id)
                        },
                        Ok,
                    )?;
                let voice = request
                    .voice
                    .or(settings.voice())
                    .unwrap_or(ELEVENLABS_DEFAULT_VOICE)
                    .to_owned();
                let output_format = match request.format {
                    "mp3" => "mp3_44100_128",
                    "wav" | "pcm" => "pcm_22050",
                    _ => "opus_48000_64",
                };
                let body = elevenlabs::speech::speech_body(
                    request.text,
                    &model,
                    settings.language_code.as_deref(),
                );
                let mut bytes = with_retries(|| {
                    elevenlabs::speech::speech(endpoint, &voice, output_format, &body)
                })
                .await?;
                if request.format == "wav" {
                    bytes = wav::from_pcm16(&bytes, 22050, 1);
                }
                let bytes = if request.format == "pcm" {
                    bytes
                } else {
                    check_audio(bytes)?
                };
                Ok(Speech {
                    bytes,
                    model,
                    voice,
                })
            }
        }
    }
}

/// Client, base URL, key and headers of a remote speech provider.
type RemoteSpeech = (
    reqwest::Client,
    String,
    Option<Secret>,
    BTreeMap<String, String>,
);

/// Client, base URL, key and headers for a remote speech provider:
/// `messages.tts.providers.<id>` first, then the provider's own settings.
fn remote(
    ctx: &Context,
    registry: &Registry,
    id: &str,
    settings: &TtsProviderConfig,
) -> Result<RemoteSpeech> {
    let provider = registry
        .provider(id)
        .ok_or_else(|| unknown_speech_provider(id))?;
    let key = match settings.api_key.as_ref().filter(|k| !k.trim().is_empty()) {
        Some(key) => Some(Secret::new(key.0.clone())),
        None => auth::require(provider, ctx.profiles()?)?.map(|c| c.secret),
    };
    let base_url = settings
        .base_url
        .as_ref()
        .filter(|u| !u.trim().is_empty())
        .map_or_else(|| provider.base_url.clone(), |u| u.0.clone());
    let client = match &provider.proxy {
        Some(proxy) => crate::http::build_client(Some(proxy))?,
        None => ctx.client()?.clone(),
    };
    Ok((client, base_url, key, provider.headers.clone()))
}

/// A JSON or HTML body with a 200 is not speech.
fn check_audio(bytes: Vec<u8>) -> Result<Vec<u8>> {
    let start = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if bytes.is_empty() || matches!(start, Some(b'{' | b'<')) {
        return Err(Error::provider(
            Reason::SchemaMismatch,
            "the provider answered without audio",
        ));
    }
    Ok(bytes)
}

pub fn unknown_speech_provider(id: &str) -> Error {
    Error::usage(format!("`{id}` is not a speech provider")).with_hint(
        "speech providers: openai (and OpenAI-compatible config providers), elevenlabs, local",
    )
}

/// Voices a provider offers: `(id, name)`.
pub async fn voices(ctx: &Context, config: &TtsConfig, id: &str) -> Result<Vec<(String, String)>> {
    let registry = ctx.registry()?;
    match SpeechProtocol::for_provider(registry, id).ok_or_else(|| unknown_speech_provider(id))? {
        SpeechProtocol::OpenAi => Ok(openai::audio::VOICES
            .iter()
            .map(|v| ((*v).to_owned(), (*v).to_owned()))
            .collect()),
        SpeechProtocol::ElevenLabs => {
            let settings = config.provider_settings(id);
            let (client, base_url, key, headers) = remote(ctx, registry, id, &settings)?;
            let deadline = Some(std::time::Instant::now() + DEFAULT_TIMEOUT);
            let endpoint = Endpoint {
                client: &client,
                base_url: &base_url,
                api_key: key.as_ref(),
                headers: &headers,
                deadline,
                guard: None,
            };
            let list = with_retries(|| elevenlabs::speech::voices(endpoint)).await?;
            Ok(list.into_iter().map(|(id, name, _)| (id, name)).collect())
        }
        SpeechProtocol::Local => local::voices(&config.provider_settings("local")).await,
    }
}

/// Whether the provider can answer without a key or with one on hand.
pub fn available(ctx: &Context, config: &TtsConfig, id: &str) -> Result<bool> {
    if id == "local" {
        return Ok(local::engine(&config.provider_settings("local"), None).is_ok());
    }
    let settings = config.provider_settings(id);
    if settings
        .api_key
        .as_ref()
        .is_some_and(|k| !k.trim().is_empty())
    {
        return Ok(true);
    }
    let registry = ctx.registry()?;
    Ok(registry.provider(id).is_some_and(|p| {
        p.key_optional
            || auth::lookup(p, ctx.profiles().ok().unwrap_or(&Default::default())).is_some()
    }))
}

/// `<state>/tts-state.json`: what `enable`, `disable` and `set-provider` saved.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TtsState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The persona chosen with `set-persona`; `""` means turned off (which
    /// also overrides `messages.tts.persona`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
}

impl TtsState {
    pub fn path(ctx: &Context) -> PathBuf {
        ctx.paths.state_dir.join("tts-state.json")
    }

    pub fn load(path: &Path) -> Result<TtsState> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|error| Error::config(format!("invalid {}: {error}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(TtsState::default()),
            Err(error) => Err(Error::io(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("state serializes") + "\n";
        crate::media::write_atomic(path, text.as_bytes(), Some(0o600))
    }
}

/// The active persona: the one saved by `set-persona` (unless turned off),
/// else `messages.tts.persona`. A name the config does not define is an error.
pub fn active_persona<'c>(
    config: &'c TtsConfig,
    state: &TtsState,
) -> Result<Option<(&'c str, &'c Persona)>> {
    let chosen = match state.persona.as_deref() {
        Some("") => return Ok(None),
        Some(id) => Some(id),
        None => config.persona.as_deref().filter(|id| !id.trim().is_empty()),
    };
    let Some(id) = chosen else { return Ok(None) };
    match config.personas.get_key_value(id) {
        Some((id, persona)) => Ok(Some((id.as_str(), persona))),
        None => Err(Error::config(format!(
            "the active speech persona `{id}` is not defined under `messages.tts.personas`"
        ))
        .with_hint("define it, or run `openclaw infer tts set-persona --off`")),
    }
}

/// The provider used when `--provider`/`--model` do not pick one: saved
/// state, then `messages.tts.provider`, then the first with a key, then local.
pub fn active_provider(
    ctx: &Context,
    config: &TtsConfig,
    state: &TtsState,
) -> Result<(String, &'static str)> {
    if let Some(provider) = state.provider.as_deref().filter(|p| !p.is_empty()) {
        return Ok((provider.to_owned(), "state"));
    }
    if let Some(provider) = config
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        return Ok((provider.to_ascii_lowercase(), "config"));
    }
    for id in ["openai", "elevenlabs"] {
        if available(ctx, config, id)? {
            return Ok((id.to_owned(), "auto"));
        }
    }
    Ok(("local".to_owned(), "auto"))
}

pub mod wav {
    //! Just enough of the RIFF/WAVE layout to wrap raw PCM and read a duration.

    /// A 16-bit PCM WAV file around `pcm`.
    pub fn from_pcm16(pcm: &[u8], sample_rate: u32, channels: u16) -> Vec<u8> {
        let data_len = pcm.len() as u32;
        let block_align = channels * 2;
        let mut out = Vec::with_capacity(44 + pcm.len());
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&sample_rate.to_le_bytes());
        out.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
        out.extend_from_slice(&block_align.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(pcm);
        out
    }

    /// Seconds of audio, from the `fmt ` byte rate and the `data` size.
    pub fn duration_seconds(bytes: &[u8]) -> Option<f64> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return None;
        }
        let mut offset = 12;
        let mut byte_rate = None;
        while offset + 8 <= bytes.len() {
            let id = &bytes[offset..offset + 4];
            let size = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().ok()?) as usize;
            let body = offset + 8;
            if id == b"fmt " && body + 12 <= bytes.len() {
                byte_rate = Some(u32::from_le_bytes(
                    bytes[body + 8..body + 12].try_into().ok()?,
                ));
            } else if id == b"data" {
                // Streamed WAVs leave the size at 0 or u32::MAX: count what is there.
                let available = bytes.len() - body;
                let size = if size == 0 || size > available {
                    available
                } else {
                    size
                };
                let rate = byte_rate.filter(|r| *r > 0)?;
                return Some(size as f64 / f64::from(rate));
            }
            offset = body + size + (size & 1);
        }
        None
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn wrapped_pcm_has_the_right_duration() {
            let wav = from_pcm16(&vec![0u8; 44100], 22050, 1);
            assert_eq!(duration_seconds(&wav), Some(1.0));
            assert_eq!(duration_seconds(b"not a wav file at all"), None);
        }
    }
}

/// The piper/espeak-ng runner (`engines::speech`), reached from here as
/// `tts::local`.
pub use crate::engines::speech as local;

pub fn local_engine_name(config: &TtsConfig) -> Option<&'static str> {
    local::engine(&config.provider_settings("local"), None)
        .ok()
        .map(|e| e.name())
}
