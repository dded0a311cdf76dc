//! ElevenLabs Scribe transcription: `POST {base}/speech-to-text`,
//! multipart, answered in the OpenAI transcription shape.

use super::KEY;
use crate::error::{Error, Result};
use crate::protocols::{AudioUpload, Endpoint, TranscriptionOptions};

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
    let response = crate::protocols::send(&endpoint, builder, &url, KEY).await?;
    crate::protocols::openai::audio::parse_transcription(
        &crate::protocols::text_of(response, &url).await?,
    )
}
