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
use crate::catalog::{Api, ModelKind};
use crate::config::EnvString;
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::protocols::{Endpoint, elevenlabs, openai_audio};
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

    fn voice(&self) -> Option<&str> {
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

/// How a speech provider is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechProtocol {
    OpenAi,
    ElevenLabs,
    Local,
}

impl SpeechProtocol {
    pub fn for_provider(registry: &Registry, id: &str) -> Option<SpeechProtocol> {
        match id {
            "local" => Some(SpeechProtocol::Local),
            "elevenlabs" => Some(SpeechProtocol::ElevenLabs),
            _ => match registry.provider(id) {
                Some(p) if matches!(p.api, Api::OpenAiCompletions | Api::OpenAiResponses) => {
                    // Only providers that list a speech model: chat-only vendors and
                    // transcription servers have no `/audio/speech`.
                    let speaks = p.defaults.contains_key(&ModelKind::Tts)
                        || p.models.iter().any(|m| m.kind == ModelKind::Tts);
                    speaks.then_some(SpeechProtocol::OpenAi)
                }
                _ => None,
            },
        }
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
    let timeout = config
        .timeout_ms
        .map(crate::config::bounds::millis)
        .unwrap_or(DEFAULT_TIMEOUT);
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
                let speech = openai_audio::SpeechRequest {
                    model: &model,
                    input: request.text,
                    voice: &voice,
                    response_format: wire_format,
                    instructions: settings.instructions.as_deref(),
                };
                let bytes = with_retries(|| openai_audio::speech(endpoint, &speech)).await?;
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
                let body = elevenlabs::speech_body(
                    request.text,
                    &model,
                    settings.language_code.as_deref(),
                );
                let mut bytes =
                    with_retries(|| elevenlabs::speech(endpoint, &voice, output_format, &body))
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
        SpeechProtocol::OpenAi => Ok(openai_audio::VOICES
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
            let list = with_retries(|| elevenlabs::voices(endpoint)).await?;
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

pub mod local {
    //! The local engines: `piper -m VOICE.onnx -f OUT.wav` (text on stdin),
    //! else `espeak-ng -w OUT.wav --stdin`. Both write 16-bit mono WAV;
    //! other formats are converted with `ffmpeg`, else `sox`.

    use std::path::{Path, PathBuf};
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;

    use super::{Speech, SpeechRequest, TtsProviderConfig};
    use crate::config::env;
    use crate::error::{Error, Reason, Result};

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Engine {
        Piper {
            command: PathBuf,
            voice: PathBuf,
        },
        Espeak {
            command: PathBuf,
            voice: Option<String>,
        },
    }

    impl Engine {
        pub fn name(&self) -> &'static str {
            match self {
                Engine::Piper { .. } => "piper",
                Engine::Espeak { .. } => "espeak-ng",
            }
        }
    }

    /// `~/x` against the home directory (`OPENCLAW_HOME`, else `HOME`).
    fn expand_home(path: &str) -> PathBuf {
        match path.strip_prefix("~/") {
            Some(rest) => env::var(env::HOME)
                .or_else(|| std::env::home_dir().map(|h| h.to_string_lossy().into_owned()))
                .map_or_else(|| PathBuf::from(path), |home| Path::new(&home).join(rest)),
            None => PathBuf::from(path),
        }
    }

    /// An executable by path, or found on `PATH`.
    pub fn which(name: &str) -> Option<PathBuf> {
        let candidate = Path::new(name);
        if candidate.components().count() > 1 {
            return candidate.is_file().then(|| candidate.to_path_buf());
        }
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    }

    /// Pick the engine: piper when its command and a voice file are there
    /// (voice from `--voice PATH.onnx`, `providers.local.voice`, or
    /// `OPENCLAW_PIPER_VOICE`), else espeak-ng (`--voice` is its voice name).
    pub fn engine(settings: &TtsProviderConfig, voice_flag: Option<&str>) -> Result<Engine> {
        let wanted = settings.engine.as_deref().map(str::to_ascii_lowercase);
        let voice = voice_flag.or(settings.voice());
        let piper_voice = voice
            .filter(|v| v.ends_with(".onnx"))
            .map(expand_home)
            .or_else(|| env::var(env::PIPER_VOICE).map(|v| expand_home(&v)));
        let command = settings
            .command
            .as_ref()
            .map(|c| expand_home(&c.0).to_string_lossy().into_owned());
        if wanted.as_deref() != Some("espeak-ng") {
            let piper = which(
                command
                    .as_deref()
                    .filter(|_| wanted.as_deref() != Some("espeak-ng"))
                    .unwrap_or("piper"),
            );
            match (piper, piper_voice) {
                (Some(command), Some(voice)) if voice.is_file() => {
                    return Ok(Engine::Piper { command, voice });
                }
                (_, Some(voice)) if wanted.as_deref() == Some("piper") && !voice.is_file() => {
                    return Err(Error::usage(format!(
                        "piper voice file {} does not exist",
                        voice.display()
                    )));
                }
                _ if wanted.as_deref() == Some("piper") => {
                    return Err(Error::unsupported("the `piper` engine needs the `piper` command and a voice `.onnx` file")
                        .with_hint("set `messages.tts.providers.local.voice` (or OPENCLAW_PIPER_VOICE) to a piper voice, or run scripts/setup-engines.sh tts"));
                }
                _ => {}
            }
        }
        let espeak_command = if wanted.as_deref() == Some("espeak-ng") {
            command.as_deref()
        } else {
            None
        };
        match which(espeak_command.unwrap_or("espeak-ng")) {
            Some(command) => Ok(Engine::Espeak {
                command,
                voice: voice.filter(|v| !v.ends_with(".onnx")).map(str::to_owned),
            }),
            None => Err(Error::unsupported(
                "no local speech engine found: neither `piper` (with a voice file) nor `espeak-ng`",
            )
            .with_hint(
                "install one (scripts/setup-engines.sh tts, or `apt-get install espeak-ng`)",
            )),
        }
    }

    /// The converter for a non-WAV format, checked before any synthesis.
    pub fn converter(format: &str) -> Result<Option<PathBuf>> {
        if format == "wav" {
            return Ok(None);
        }
        if let Some(ffmpeg) = which("ffmpeg") {
            return Ok(Some(ffmpeg));
        }
        let Some(sox) = which("sox") else {
            return Err(Error::usage(format!(
                "the local engine writes WAV; `.{format}` needs `ffmpeg` or `sox`, and neither is installed"
            ))
            .with_hint("use `--output file.wav`, or install ffmpeg or sox"));
        };
        // sox lists the file types it can write under "AUDIO FILE FORMATS:".
        let help = std::process::Command::new(&sox)
            .arg("-h")
            .stdin(Stdio::null())
            .output()
            .ok();
        let formats = help
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix("AUDIO FILE FORMATS:").map(str::to_owned))
            })
            .unwrap_or_default();
        if formats.split_whitespace().any(|f| f == format) {
            Ok(Some(sox))
        } else {
            Err(Error::usage(format!(
                "the local engine writes WAV; this `sox` cannot write `.{format}` and `ffmpeg` is not installed"
            ))
            .with_hint("use `--output file.wav`, or install ffmpeg (or libsox-fmt-all for sox)"))
        }
    }

    pub async fn synthesize(
        settings: &TtsProviderConfig,
        request: &SpeechRequest<'_>,
        timeout: Duration,
    ) -> Result<Speech> {
        let engine = engine(settings, request.voice)?;
        let converter = converter(request.format)?;
        let work =
            tempfile::tempdir().map_err(|e| Error::io(format!("cannot make a temp dir: {e}")))?;
        let wav_path = work.path().join("speech.wav");
        let (mut command, voice) = match &engine {
            Engine::Piper { command, voice } => {
                let mut c = tokio::process::Command::new(command);
                c.arg("-m").arg(voice).arg("-f").arg(&wav_path);
                let name = voice
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                (c, name)
            }
            Engine::Espeak { command, voice } => {
                let mut c = tokio::process::Command::new(command);
                c.arg("-w").arg(&wav_path);
                if let Some(voice) = voice {
                    c.arg("-v").arg(voice);
                }
                c.arg("--stdin");
                (c, voice.clone().unwrap_or_else(|| "default".to_owned()))
            }
        };
        run(&mut command, Some(request.text), timeout, engine.name()).await?;
        let mut bytes = std::fs::read(&wav_path).map_err(|e| {
            Error::provider(
                Reason::Unknown,
                format!("{} wrote no audio: {e}", engine.name()),
            )
        })?;
        if bytes.len() <= 44 {
            return Err(Error::provider(
                Reason::Unknown,
                format!("{} produced an empty recording", engine.name()),
            ));
        }
        if let Some(converter) = converter {
            let out = work.path().join(format!("speech.{}", request.format));
            let mut convert = tokio::process::Command::new(&converter);
            let is_ffmpeg = converter.file_name().is_some_and(|n| n == "ffmpeg");
            if is_ffmpeg {
                convert
                    .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
                    .arg(&wav_path);
                if matches!(request.format, "ogg" | "opus") {
                    convert.args(["-c:a", "libopus"]);
                }
                convert.arg(&out);
            } else {
                convert.arg(&wav_path).arg(&out);
            }
            run(
                &mut convert,
                None,
                timeout,
                if is_ffmpeg { "ffmpeg" } else { "sox" },
            )
            .await?;
            bytes = std::fs::read(&out)
                .map_err(|e| Error::io(format!("conversion to .{} failed: {e}", request.format)))?;
        }
        Ok(Speech {
            bytes,
            model: engine.name().to_owned(),
            voice,
        })
    }

    async fn run(
        command: &mut tokio::process::Command,
        stdin: Option<&str>,
        timeout: Duration,
        name: &str,
    ) -> Result<()> {
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| Error::provider(Reason::Unknown, format!("cannot start {name}: {e}")))?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .await
                .map_err(|e| Error::io(format!("cannot feed {name}: {e}")))?;
            drop(pipe);
        }
        let output = tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                Error::provider(
                    Reason::Timeout,
                    format!("{name} did not finish in {} s", timeout.as_secs()),
                )
            })?
            .map_err(|e| Error::provider(Reason::Unknown, format!("{name} failed: {e}")))?;
        if !output.status.success() {
            let detail = String::from_utf8_lossy(&output.stderr);
            let detail: String = detail.trim().chars().take(300).collect();
            return Err(Error::provider(
                Reason::Unknown,
                format!("{name} failed ({}): {detail}", output.status),
            ));
        }
        Ok(())
    }

    /// The piper voice in use (if any), then espeak-ng's voice list.
    pub async fn voices(settings: &TtsProviderConfig) -> Result<Vec<(String, String)>> {
        let mut list = Vec::new();
        if let Ok(Engine::Piper { voice, .. }) = engine(settings, None) {
            let name = voice
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            list.push((voice.display().to_string(), format!("piper {name}")));
        }
        if let Some(espeak) = which("espeak-ng") {
            let output = tokio::process::Command::new(espeak)
                .arg("--voices")
                .stdin(Stdio::null())
                .output()
                .await
                .map_err(|e| Error::io(format!("cannot run espeak-ng: {e}")))?;
            // Columns: Pty Language Age/Gender VoiceName File Other...
            for line in String::from_utf8_lossy(&output.stdout).lines().skip(1) {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if fields.len() >= 4 {
                    list.push((fields[1].to_owned(), format!("espeak-ng {}", fields[3])));
                }
            }
        }
        if list.is_empty() {
            return Err(Error::unsupported("no local speech engine found")
                .with_hint("run scripts/setup-engines.sh tts"));
        }
        Ok(list)
    }
}

pub fn local_engine_name(config: &TtsConfig) -> Option<&'static str> {
    local::engine(&config.provider_settings("local"), None)
        .ok()
        .map(|e| e.name())
}
