//! ElevenLabs: text to speech (`POST {base}/text-to-speech/{voice_id}`),
//! the voice list (`GET {base}/voices`) and Scribe transcription
//! (`POST {base}/speech-to-text`, multipart). Key in `xi-api-key`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{AudioUpload, Endpoint, KeyStyle, TranscriptionOptions};
use crate::error::{Error, Reason, Result};

const KEY: KeyStyle = KeyStyle::Header("xi-api-key");

pub fn speech_body(text: &str, model_id: &str, language_code: Option<&str>) -> Value {
    let mut body = json!({"text": text, "model_id": model_id});
    if let Some(code) = language_code {
        body["language_code"] = json!(code);
    }
    body
}

/// `output_format` is ElevenLabs' codec_rate_bitrate name, e.g. `mp3_44100_128`.
pub async fn speech(
    endpoint: Endpoint<'_>,
    voice_id: &str,
    output_format: &str,
    body: &Value,
) -> Result<Vec<u8>> {
    let query = [("output_format".to_owned(), output_format.to_owned())];
    let url = endpoint.url_with_query(&format!("text-to-speech/{voice_id}"), &query);
    let response = super::post_json(&endpoint, &url, body, KEY, &[]).await?;
    super::bytes_of(response, &url).await
}

#[derive(Debug, Deserialize)]
struct VoiceList {
    #[serde(default)]
    voices: Vec<Voice>,
}

#[derive(Debug, Deserialize)]
struct Voice {
    voice_id: String,
    name: Option<String>,
    category: Option<String>,
}

/// `(id, name, category)` of each voice the account can use.
pub async fn voices(endpoint: Endpoint<'_>) -> Result<Vec<(String, String, Option<String>)>> {
    let url = endpoint.url("voices");
    let response = super::send(&endpoint, endpoint.client.get(&url), &url, KEY).await?;
    parse_voices(&super::text_of(response, &url).await?)
}

pub fn parse_voices(text: &str) -> Result<Vec<(String, String, Option<String>)>> {
    let list: VoiceList = serde_json::from_str(text).map_err(|error| {
        Error::provider(
            Reason::SchemaMismatch,
            format!("unexpected ElevenLabs voice list: {error}"),
        )
    })?;
    Ok(list
        .voices
        .into_iter()
        .map(|v| (v.voice_id.clone(), v.name.unwrap_or(v.voice_id), v.category))
        .collect())
}

pub async fn transcribe(
    endpoint: Endpoint<'_>,
    audio: &AudioUpload<'_>,
    options: &TranscriptionOptions<'_>,
) -> Result<String> {
    let url = endpoint.url("speech-to-text");
    let part = reqwest::multipart::Part::bytes(audio.bytes.to_vec())
        .file_name(audio.file_name.to_owned())
        .mime_str(audio.mime_type)
        .map_err(|error| Error::internal(format!("bad MIME type {}: {error}", audio.mime_type)))?;
    let mut form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("model_id", options.model.to_owned());
    if let Some(language) = options.language {
        form = form.text("language_code", language.to_owned());
    }
    let builder = endpoint.client.post(&url).multipart(form);
    let response = super::send(&endpoint, builder, &url, KEY).await?;
    super::openai::audio::parse_transcription(&super::text_of(response, &url).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_and_voices() {
        assert_eq!(
            speech_body("hi", "eleven_v3", None),
            json!({"text": "hi", "model_id": "eleven_v3"})
        );
        let voices =
            parse_voices(r#"{"voices":[{"voice_id":"abc","name":"Rachel","category":"premade"}]}"#)
                .unwrap();
        assert_eq!(
            voices,
            [(
                "abc".to_owned(),
                "Rachel".to_owned(),
                Some("premade".to_owned())
            )]
        );
    }
}
