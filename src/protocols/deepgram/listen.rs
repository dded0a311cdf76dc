//! Deepgram pre-recorded transcription: `POST {base}/listen?model=..`,
//! `Authorization: Token KEY`, the raw audio as the body.

use serde_json::Value;

use crate::error::{Error, Reason, Result};
use crate::protocols::{AudioUpload, Endpoint, KeyStyle, TranscriptionOptions};

pub fn query(options: &TranscriptionOptions<'_>) -> Vec<(String, String)> {
    let mut query = vec![("model".to_owned(), options.model.to_owned())];
    if let Some(language) = options.language {
        query.push(("language".to_owned(), language.to_owned()));
    }
    for (key, value) in &options.query {
        if key != "model" && key != "language" {
            query.push((key.clone(), value.clone()));
        }
    }
    query
}

pub async fn transcribe(
    endpoint: Endpoint<'_>,
    audio: &AudioUpload<'_>,
    options: &TranscriptionOptions<'_>,
) -> Result<String> {
    let url = endpoint.url_with_query("listen", &query(options));
    let builder = endpoint
        .client
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, audio.mime_type)
        .body(audio.bytes.to_vec());
    let response =
        crate::protocols::send(&endpoint, builder, &url, KeyStyle::Scheme("Token")).await?;
    parse_response(&crate::protocols::text_of(response, &url).await?)
}

pub fn parse_response(text: &str) -> Result<String> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        Error::provider(
            Reason::SchemaMismatch,
            format!("unexpected Deepgram answer: {error}"),
        )
    })?;
    value
        .pointer("/results/channels/0/alternatives/0/transcript")
        .and_then(Value::as_str)
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| {
            Error::provider(
                Reason::SchemaMismatch,
                "the Deepgram answer has no transcript",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_from_the_first_alternative() {
        let body = r#"{"results":{"channels":[{"alternatives":[{"transcript":"hello there","confidence":0.9}]}]}}"#;
        assert_eq!(parse_response(body).unwrap(), "hello there");
        assert!(parse_response(r#"{"results":{}}"#).is_err());
    }

    #[test]
    fn language_and_options_become_query_parameters() {
        let options = TranscriptionOptions {
            model: "nova-3",
            language: Some("en"),
            query: vec![("smart_format".into(), "true".into())],
            ..TranscriptionOptions::default()
        };
        assert_eq!(
            query(&options),
            [
                ("model".to_owned(), "nova-3".to_owned()),
                ("language".into(), "en".into()),
                ("smart_format".into(), "true".into())
            ]
        );
    }
}
