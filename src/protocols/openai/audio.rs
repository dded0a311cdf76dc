//! OpenAI audio: transcription (`POST {base}/audio/transcriptions`,
//! multipart) and speech (`POST {base}/audio/speech`, JSON in, audio out).
//! Groq, Mistral, OpenRouter and local whisper servers speak the former.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Reason, Result};
use crate::protocols::{AudioUpload, Endpoint, KeyStyle, TranscriptionOptions};

/// The multipart form: `file`, `model`, optional `language` and `prompt`,
/// and `response_format=json` (plain `{text}` back).
pub fn transcription_form(
    audio: &AudioUpload<'_>,
    options: &TranscriptionOptions<'_>,
) -> Result<reqwest::multipart::Form> {
    let part = reqwest::multipart::Part::bytes(audio.bytes.to_vec())
        .file_name(audio.file_name.to_owned())
        .mime_str(audio.mime_type)
        .map_err(|error| Error::internal(format!("bad MIME type {}: {error}", audio.mime_type)))?;
    let mut form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("model", options.model.to_owned());
    if let Some(language) = options.language {
        form = form.text("language", language.to_owned());
    }
    if let Some(prompt) = options.prompt {
        form = form.text("prompt", prompt.to_owned());
    }
    Ok(form.text("response_format", "json"))
}

pub async fn transcribe(
    endpoint: Endpoint<'_>,
    audio: &AudioUpload<'_>,
    options: &TranscriptionOptions<'_>,
) -> Result<String> {
    let url = endpoint.url("audio/transcriptions");
    let builder = endpoint
        .client
        .post(&url)
        .multipart(transcription_form(audio, options)?);
    let response = crate::protocols::send(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    parse_transcription(&crate::protocols::text_of(response, &url).await?)
}

#[derive(Deserialize)]
struct Transcription {
    text: String,
}

pub fn parse_transcription(text: &str) -> Result<String> {
    let parsed: Transcription = serde_json::from_str(text).map_err(|error| {
        Error::provider(
            Reason::SchemaMismatch,
            format!("unexpected transcription answer: {error}"),
        )
    })?;
    Ok(parsed.text.trim().to_owned())
}

/// What `/audio/speech` is asked for.
#[derive(Debug, Clone)]
pub struct SpeechRequest<'a> {
    pub model: &'a str,
    pub input: &'a str,
    pub voice: &'a str,
    /// `mp3`, `opus`, `aac`, `flac`, `wav` or `pcm`.
    pub response_format: &'a str,
    pub instructions: Option<&'a str>,
}

pub fn speech_body(request: &SpeechRequest<'_>) -> Value {
    let mut body = json!({
        "model": request.model,
        "input": request.input,
        "voice": request.voice,
        "response_format": request.response_format,
    });
    if let Some(instructions) = request.instructions {
        body["instructions"] = json!(instructions);
    }
    body
}

pub async fn speech(endpoint: Endpoint<'_>, request: &SpeechRequest<'_>) -> Result<Vec<u8>> {
    let url = endpoint.url("audio/speech");
    let body = speech_body(request);
    let response =
        crate::protocols::post_json(&endpoint, &url, &body, KeyStyle::Bearer, &[]).await?;
    crate::protocols::bytes_of(response, &url).await
}

/// The built-in voices of OpenAI's speech models.
pub const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_body_fields() {
        let body = speech_body(&SpeechRequest {
            model: "gpt-4o-mini-tts",
            input: "hi",
            voice: "alloy",
            response_format: "wav",
            instructions: None,
        });
        assert_eq!(
            body,
            json!({"model": "gpt-4o-mini-tts", "input": "hi", "voice": "alloy", "response_format": "wav"})
        );
    }

    #[test]
    fn transcription_text_is_trimmed() {
        assert_eq!(
            parse_transcription(r#"{"text":" hello world"}"#).unwrap(),
            "hello world"
        );
        assert!(parse_transcription("{}").is_err());
    }
}
