//! Gemini embeddings: `POST {base}/models/{model}:batchEmbedContents`,
//! key in the `x-goog-api-key` header.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Reason, Result};
use crate::protocols::{EmbeddingResponse, Endpoint};

/// Gemini model names are `models/<id>`; accept either form.
fn model_name(model: &str) -> String {
    if model.starts_with("models/") {
        model.to_owned()
    } else {
        format!("models/{model}")
    }
}

pub fn request_body(model: &str, texts: &[String]) -> Value {
    let name = model_name(model);
    let requests: Vec<Value> = texts
        .iter()
        .map(|text| json!({"model": name, "content": {"parts": [{"text": text}]}}))
        .collect();
    json!({"requests": requests})
}

pub async fn embed(
    endpoint: Endpoint<'_>,
    model: &str,
    texts: &[String],
) -> Result<EmbeddingResponse> {
    let url = endpoint.url(&format!("{}:batchEmbedContents", model_name(model)));
    let body = request_body(model, texts);
    let key_style = super::KEY;
    let response = crate::protocols::post_json(&endpoint, &url, &body, key_style, &[]).await?;
    parse_response(
        &crate::protocols::text_of(response, &url).await?,
        texts.len(),
    )
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    embeddings: Vec<Values>,
}

#[derive(Deserialize)]
struct Values {
    values: Vec<f32>,
}

pub fn parse_response(text: &str, expected: usize) -> Result<EmbeddingResponse> {
    let wire: Wire = serde_json::from_str(text).map_err(|error| {
        Error::provider(
            Reason::SchemaMismatch,
            format!("unexpected Gemini embeddings answer: {error}"),
        )
    })?;
    let vectors: Vec<Vec<f32>> = wire.embeddings.into_iter().map(|e| e.values).collect();
    crate::protocols::check_count(&vectors, expected)?;
    Ok(EmbeddingResponse {
        vectors,
        usage: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_the_model_per_request() {
        let body = request_body("gemini-embedding-001", &["a".to_owned()]);
        assert_eq!(
            body,
            json!({"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}}]})
        );
    }

    #[test]
    fn parses_values() {
        let parsed = parse_response(
            r#"{"embeddings":[{"values":[0.1,0.2]},{"values":[0.3,0.4]}]}"#,
            2,
        )
        .unwrap();
        assert_eq!(parsed.vectors[1], vec![0.3, 0.4]);
    }
}
