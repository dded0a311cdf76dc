//! Ollama's native embeddings: `POST {base}/api/embed {model, input: [...]}`.

use serde::{Deserialize, Serialize};
#[cfg(test)]
use serde_json::{Value, json};

use crate::envelope::Usage;
use crate::error::{Error, Reason, Result};
use crate::protocols::{EmbeddingResponse, Endpoint, KeyStyle};

/// The request body; it borrows the texts, so serializing is their only copy.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    model: &'a str,
    input: &'a [String],
}

#[cfg(test)]
pub fn request_body(model: &str, texts: &[String]) -> Value {
    serde_json::to_value(Body {
        model,
        input: texts,
    })
    .expect("a request body is JSON")
}

/// Ollama's native API sits at the server root; a configured `/v1`
/// (its OpenAI-compatible prefix) is dropped.
pub fn native_base(base_url: &str) -> &str {
    let trimmed = base_url.trim_end_matches('/');
    trimmed.strip_suffix("/v1").unwrap_or(trimmed)
}

pub async fn embed(
    endpoint: Endpoint<'_>,
    model: &str,
    texts: &[String],
) -> Result<EmbeddingResponse> {
    let url = format!("{}/api/embed", native_base(endpoint.base_url));
    let body = Body {
        model,
        input: texts,
    };
    let response =
        crate::protocols::post_json(&endpoint, &url, &body, KeyStyle::Bearer, &[]).await?;
    parse_response(
        &crate::protocols::text_of(response, &url).await?,
        texts.len(),
    )
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    embeddings: Vec<Vec<f32>>,
    prompt_eval_count: Option<u64>,
}

pub fn parse_response(text: &str, expected: usize) -> Result<EmbeddingResponse> {
    let wire: Wire = serde_json::from_str(text).map_err(|error| {
        Error::provider(
            Reason::SchemaMismatch,
            format!("unexpected Ollama embeddings answer: {error}"),
        )
    })?;
    crate::protocols::check_count(&wire.embeddings, expected)?;
    let usage = wire.prompt_eval_count.map(|n| Usage {
        input_tokens: Some(n),
        ..Usage::default()
    });
    Ok(EmbeddingResponse {
        vectors: wire.embeddings,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_and_body() {
        assert_eq!(
            native_base("http://127.0.0.1:11434/v1/"),
            "http://127.0.0.1:11434"
        );
        assert_eq!(native_base("http://h:1"), "http://h:1");
        assert_eq!(
            request_body("m", &["x".to_owned()]),
            json!({"model": "m", "input": ["x"]})
        );
        let parsed = parse_response(
            r#"{"model":"m","embeddings":[[1.0,2.0]],"prompt_eval_count":3}"#,
            1,
        )
        .unwrap();
        assert_eq!(parsed.vectors, vec![vec![1.0, 2.0]]);
    }
}
