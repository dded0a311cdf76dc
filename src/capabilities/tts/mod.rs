//! `tts.*`: speech synthesis through OpenAI `/audio/speech`, ElevenLabs, or
//! a local engine on this machine (`piper` with a voice file, else
//! `espeak-ng`): the protocol choice and the call. The settings are in
//! `config.rs`, the saved on/off, provider and persona in `state.rs`, the
//! WAV wrapper in `wav.rs`; the local engines in `engines::speech`.
//!
//! Settings come from `messages.tts` (the reference tool's keys): `enabled`,
//! `auto`, `provider`, `timeoutMs`, `maxTextLength`, and
//! `providers.<id>.{apiKey, baseUrl, model|modelId, voice|voiceId|speakerVoice|speakerVoiceId,
//! instructions, languageCode}`; `providers.local.{engine, command, voice}`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::auth::{self, Secret};
use crate::capabilities::provider_call::with_retries;
use crate::catalog::ModelKind;
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::protocols::{Endpoint, elevenlabs, openai};
use crate::registry::{ModelRef, Registry};

mod config;
mod state;
pub mod wav;

pub use config::{Persona, TtsConfig, TtsProviderConfig};
pub use state::{TtsState, active_persona, active_provider};

/// ElevenLabs' example voice in the reference docs, used when none is set.
pub const ELEVENLABS_DEFAULT_VOICE: &str = "pMsXgVXv3BLzUgSXRplE";
pub const OPENAI_DEFAULT_VOICE: &str = "alloy";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

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

/// What `tts convert` takes from its flags for choosing a provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub text: &'a str,
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
    pub voice: Option<&'a str>,
}

/// What one conversion uses: `messages.tts`, the provider (the flags, else
/// the active persona's, else the saved or configured one) and its
/// protocol, and the model and voice (the flags, else the persona's when
/// it is for this provider).
pub struct Settings {
    pub config: TtsConfig,
    pub provider: String,
    pub protocol: SpeechProtocol,
    /// `--model`'s model id alone.
    pub model_flag: Option<String>,
    pub model: Option<String>,
    pub voice: Option<String>,
}

impl Settings {
    pub fn resolve(ctx: &Context, flags: Flags<'_>) -> Result<Settings> {
        let config = TtsConfig::load(ctx)?;
        if let Some(limit) = config.max_text_length.filter(|l| *l > 0) {
            let length = flags.text.chars().count();
            if length > limit {
                return Err(Error::usage(format!(
                    "`--text` is {length} characters; `messages.tts.maxTextLength` allows {limit}"
                )));
            }
        }
        let model_ref = flags.model.map(ModelRef::parse).transpose()?;
        let state = TtsState::load(&TtsState::path(ctx))?;
        let persona = active_persona(&config, &state)?;
        let provider = match (&model_ref, flags.provider) {
            (Some(model), Some(flag)) if normalize(flag) != normalize(&model.provider) => {
                return Err(Error::usage(format!(
                    "`--provider {flag}` disagrees with `--model {}` (provider `{}`)",
                    flags.model.unwrap_or_default(),
                    model.provider
                ))
                .with_hint("drop one of the two flags, or make them name the same provider"));
            }
            (Some(model), _) => normalize(&model.provider),
            (None, Some(flag)) => normalize(flag),
            (None, None) => match persona.and_then(|(_, p)| p.provider.as_deref()) {
                Some(provider) => normalize(provider),
                None => active_provider(ctx, &config, &state)?.0,
            },
        };
        let protocol = SpeechProtocol::for_provider(ctx.registry()?, &provider)
            .ok_or_else(|| unknown_speech_provider(&provider))?;
        // A persona fills in what the flags leave open, for its own provider only.
        let persona = persona_for(persona, &provider);
        let model_flag = model_ref.map(|m| m.model);
        let model = model_flag
            .clone()
            .or_else(|| persona.and_then(|p| p.model.clone()));
        let voice = flags
            .voice
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned)
            .or_else(|| persona.and_then(|p| p.voice.clone()));
        Ok(Settings {
            config,
            provider,
            protocol,
            model_flag,
            model,
            voice,
        })
    }
}

/// Provider ids as the config and flags may spell them.
pub fn normalize(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

/// The active persona when it is for `provider` (or names none).
pub fn persona_for<'p>(
    persona: Option<(&str, &'p Persona)>,
    provider: &str,
) -> Option<&'p Persona> {
    persona.map(|(_, p)| p).filter(|p| {
        p.provider
            .as_deref()
            .is_none_or(|own| normalize(own) == provider)
    })
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
            let remote = remote(ctx, registry, request.provider, &settings)?;
            let endpoint = remote.endpoint(timeout);
            // The request, then `messages.tts.providers.<id>`, then the
            // catalog's default model and the API's example voice.
            let (catalog_id, default_voice) = match protocol {
                SpeechProtocol::OpenAi => (request.provider, OPENAI_DEFAULT_VOICE),
                _ => ("elevenlabs", ELEVENLABS_DEFAULT_VOICE),
            };
            let model = match request.model.or(settings.model()) {
                Some(model) => model.to_owned(),
                None => registry.default_for(catalog_id, ModelKind::Tts)?.model.id,
            };
            let voice = request
                .voice
                .or(settings.voice())
                .unwrap_or(default_voice)
                .to_owned();
            if protocol == SpeechProtocol::OpenAi {
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
struct RemoteSpeech {
    client: reqwest::Client,
    base_url: String,
    key: Option<Secret>,
    headers: BTreeMap<String, String>,
}

impl RemoteSpeech {
    /// One request's endpoint, ending `timeout` from now.
    fn endpoint(&self, timeout: Duration) -> Endpoint<'_> {
        Endpoint {
            client: &self.client,
            base_url: &self.base_url,
            api_key: self.key.as_ref(),
            headers: &self.headers,
            deadline: Some(std::time::Instant::now() + timeout),
            guard: None,
        }
    }
}

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
    Ok(RemoteSpeech {
        client,
        base_url,
        key,
        headers: provider.headers.clone(),
    })
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
            let remote = remote(ctx, registry, id, &settings)?;
            let endpoint = remote.endpoint(DEFAULT_TIMEOUT);
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

/// The piper/espeak-ng runner (`engines::speech`), reached from here as
/// `tts::local`.
pub use crate::engines::speech as local;

pub fn local_engine_name(config: &TtsConfig) -> Option<&'static str> {
    local::engine(&config.provider_settings("local"), None)
        .ok()
        .map(|e| e.name())
}
