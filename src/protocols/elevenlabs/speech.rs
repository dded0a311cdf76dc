//! ElevenLabs text to speech (`POST {base}/text-to-speech/{voice_id}`) and
//! the voice list (`GET {base}/voices`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::KEY;
use crate::error::{Error, Reason, Result};
use crate::protocols::Endpoint;

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
    let response = crate::protocols::post_json(&endpoint, &url, body, KEY, &[]).await?;
    crate::protocols::bytes_of(response, &url).await
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
    let response = crate::protocols::send(&endpoint, endpoint.client.get(&url), &url, KEY).await?;
    parse_voices(&crate::protocols::text_of(response, &url).await?)
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
