//! `audio.transcribe`: one audio file to text through one provider:
//! OpenAI-style multipart, Deepgram's raw-body `/listen`, or ElevenLabs Scribe.

use std::path::Path;

use serde_json::Value;

use crate::auth;
use crate::capabilities::provider_call::{Connection, with_retries};
use crate::catalog::ModelKind;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::protocols::{AudioUpload, TranscriptionOptions, deepgram, elevenlabs, openai};
use crate::registry::{Provider, Registry, Resolved};

pub use crate::catalog::TranscriptionProtocol;

impl TranscriptionProtocol {
    /// The provider's transcription API, as the registry resolved it.
    pub fn for_provider(provider: &Provider) -> Option<TranscriptionProtocol> {
        provider.apis.transcription
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptionProtocol::OpenAi => "openai-transcriptions",
            TranscriptionProtocol::Deepgram => "deepgram-listen",
            TranscriptionProtocol::ElevenLabs => "elevenlabs-speech-to-text",
        }
    }

    /// The largest upload the provider accepts, in bytes.
    pub fn size_limit(self) -> u64 {
        match self {
            // OpenAI documents 25 MB for `/audio/transcriptions`; Groq and Mistral match it.
            TranscriptionProtocol::OpenAi => 25 * 1024 * 1024,
            TranscriptionProtocol::Deepgram => 2 * 1024 * 1024 * 1024,
            TranscriptionProtocol::ElevenLabs => 1024 * 1024 * 1024,
        }
    }
}

/// An audio file read and checked for upload.
#[derive(Debug, Clone)]
pub struct AudioFile {
    pub path: String,
    pub file_name: String,
    pub mime_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Read `path`, refusing files over `limit` bytes (before reading them)
/// and anything whose bytes are not audio.
pub fn read_audio(path: &Path, limit: u64, provider: &str) -> Result<AudioFile> {
    let shown = path.display().to_string();
    let metadata = std::fs::metadata(path)
        .map_err(|error| Error::usage(format!("cannot read --file {shown}: {error}")))?;
    if !metadata.is_file() {
        return Err(Error::usage(format!("--file {shown} is not a file")));
    }
    if metadata.len() > limit {
        return Err(Error::usage(format!(
            "--file {shown} is {} but `{provider}` accepts at most {} per file",
            human_size(metadata.len()),
            human_size(limit)
        ))
        .with_hint("shorten or re-encode the audio (e.g. a lower-bitrate mp3/ogg), or pick a provider with a larger limit"));
    }
    let bytes = crate::input::read_file(path, "--file", limit)?;
    let mime_type = match crate::media::sniff(&bytes) {
        Some(mime) if mime.starts_with("audio/") || mime == "video/mp4" || mime == "video/webm" => {
            mime
        }
        Some(mime) => {
            return Err(Error::usage(format!("--file {shown} is {mime}, not audio"))
                .with_hint("pass an audio file: mp3, wav, ogg/opus, flac, m4a, webm"));
        }
        None => {
            return Err(
                Error::usage(format!("--file {shown} is not a recognised audio file"))
                    .with_hint("pass an audio file: mp3, wav, ogg/opus, flac, m4a, webm"),
            );
        }
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "audio".to_owned(), |n| n.to_string_lossy().into_owned());
    Ok(AudioFile {
        path: shown,
        file_name,
        mime_type,
        bytes,
    })
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{bytes} bytes")
    }
}

pub async fn transcribe(
    ctx: &Context,
    target: &Resolved<'_>,
    audio: &AudioFile,
    options: &TranscriptionOptions<'_>,
) -> Result<String> {
    let protocol = TranscriptionProtocol::for_provider(target.provider).ok_or_else(|| {
        Error::usage(format!(
            "provider `{}` has no transcription API",
            target.provider.id
        ))
    })?;
    let connection = Connection::open(ctx, target.provider)?;
    let upload = AudioUpload {
        file_name: &audio.file_name,
        mime_type: audio.mime_type,
        bytes: &audio.bytes,
    };
    let text = with_retries(|| {
        let endpoint = connection.endpoint(connection.deadline(None));
        let upload = &upload;
        async move {
            match protocol {
                TranscriptionProtocol::OpenAi => {
                    openai::audio::transcribe(endpoint, upload, options).await
                }
                TranscriptionProtocol::Deepgram => {
                    deepgram::listen::transcribe(endpoint, upload, options).await
                }
                TranscriptionProtocol::ElevenLabs => {
                    elevenlabs::transcription::transcribe(endpoint, upload, options).await
                }
            }
        }
    })
    .await?;
    Ok(text)
}

/// What `audio transcribe` takes from its flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub model: Option<&'a str>,
    pub language: Option<&'a str>,
    pub prompt: Option<&'a str>,
}

/// Everything one transcription uses, from the flags, then the chosen
/// `tools.media` entry, then `tools.media.audio`.
pub struct Settings<'r> {
    pub target: Resolved<'r>,
    /// The provider's upload limit, lowered by `maxBytes`.
    pub max_bytes: u64,
    pub language: Option<String>,
    pub prompt: Option<String>,
    /// `providerOptions.<provider>` as query parameters.
    pub query: Vec<(String, String)>,
}

impl<'r> Settings<'r> {
    pub fn resolve(ctx: &'r Context, flags: Flags<'_>) -> Result<Settings<'r>> {
        if let Some(model) = flags.model {
            crate::registry::ModelRef::parse(model)?;
        }
        let (target, entry) = select(ctx, ctx.registry()?, flags.model)?;
        let Some(protocol) = TranscriptionProtocol::for_provider(target.provider) else {
            return Err(Error::usage(format!(
                "provider `{}` has no transcription API",
                target.provider.id
            ))
            .with_hint("`openclaw infer audio providers` lists the transcription providers"));
        };
        let section = audio_section(ctx)?.unwrap_or(&Value::Null);
        let max_bytes = match section.get("maxBytes").and_then(Value::as_u64) {
            Some(max) if max > 0 => protocol.size_limit().min(max),
            _ => protocol.size_limit(),
        };
        let language = flags
            .language
            .or_else(|| entry.as_ref().and_then(|e| text_of(e, "language")))
            .or_else(|| text_of(section, "language"))
            .map(str::to_owned);
        let prompt = flags
            .prompt
            .or_else(|| text_of(section, "prompt"))
            .map(str::to_owned);
        let query = section
            .pointer(&format!("/providerOptions/{}", target.provider.id))
            .and_then(Value::as_object)
            .map(|options| {
                options
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Settings {
            target,
            max_bytes,
            language,
            prompt,
            query,
        })
    }

    pub fn options(&self) -> TranscriptionOptions<'_> {
        TranscriptionOptions {
            model: &self.target.model.id,
            language: self.language.as_deref(),
            prompt: self.prompt.as_deref(),
            query: self.query.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Selection: `--model`, else the first configured `tools.media` audio entry,
// else the first provider in AUTO_ORDER with a key.

/// Providers tried, in order, when nothing selects one.
const AUTO_ORDER: [&str; 5] = ["openai", "groq", "deepgram", "mistral", "elevenlabs"];

pub fn audio_section(ctx: &Context) -> Result<Option<&Value>> {
    Ok(ctx
        .config()?
        .tools
        .as_ref()
        .and_then(|t| t.pointer("/media/audio")))
}

pub fn text_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The first configured `{provider, model?, language?}` entry for audio.
fn configured_entry(ctx: &Context) -> Result<Option<Value>> {
    if let Some(entry) = audio_section(ctx)?
        .and_then(|a| a.get("models"))
        .and_then(Value::as_array)
        .and_then(|m| m.first())
    {
        return Ok(Some(entry.clone()));
    }
    let shared = ctx
        .config()?
        .tools
        .as_ref()
        .and_then(|t| t.pointer("/media/models"))
        .and_then(Value::as_array);
    Ok(shared
        .into_iter()
        .flatten()
        .find(
            |entry| match entry.get("capabilities").and_then(Value::as_array) {
                Some(capabilities) => capabilities.iter().any(|c| c == "audio"),
                None => false,
            },
        )
        .cloned())
}

pub fn select<'r>(
    ctx: &Context,
    registry: &'r Registry,
    model: Option<&str>,
) -> Result<(Resolved<'r>, Option<Value>)> {
    if let Some(reference) = model {
        return Ok((registry.resolve(reference, ModelKind::Transcription)?, None));
    }
    if let Some(entry) = configured_entry(ctx)? {
        let Some(provider) = text_of(&entry, "provider") else {
            return Err(Error::config(
                "a `tools.media` audio model entry has no `provider`",
            ));
        };
        let resolved = match text_of(&entry, "model") {
            Some(model) => registry.resolve(
                &format!("{}/{model}", provider.to_ascii_lowercase()),
                ModelKind::Transcription,
            ),
            None => registry.default_for(provider, ModelKind::Transcription),
        }
        .map_err(|e| e.context("tools.media audio model"))?;
        return Ok((resolved, Some(entry)));
    }
    let profiles = ctx.profiles()?;
    for id in AUTO_ORDER {
        if let Some(provider) = registry.provider(id) {
            if auth::lookup(provider, profiles).is_some() {
                return Ok((registry.default_for(id, ModelKind::Transcription)?, None));
            }
        }
    }
    Err(Error::usage("no transcription model given, configured, or with a key")
        .with_hint("pass `--model <provider/model>` (e.g. `openai/whisper-1`) or set `tools.media.audio.models`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_audio_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.mp3");
        std::fs::write(&text, "plain words").unwrap();
        let error = read_audio(&text, 1000, "openai").unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.message().contains("notes.mp3"));

        let wav = dir.path().join("a.wav");
        let mut bytes = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        bytes.resize(64, 0);
        std::fs::write(&wav, &bytes).unwrap();
        assert!(
            read_audio(&wav, 1000, "openai")
                .unwrap()
                .mime_type
                .contains("wav")
        );
        let error = read_audio(&wav, 10, "openai").unwrap_err();
        assert!(error.message().contains("at most"), "{}", error.message());
    }
}
