//! OpenAI-style embeddings (`POST {base}/embeddings`): OpenAI, Mistral,
//! Voyage (plus its optional `input_type`) and OpenAI-compatible servers.

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
    #[serde(skip_serializing_if = "Option::is_none")]
    input_type: Option<&'a str>,
}

pub fn body<'a>(model: &'a str, texts: &'a [String], input_type: Option<&'a str>) -> Body<'a> {
    Body {
        model,
        input: texts,
        input_type,
    }
}

#[cfg(test)]
pub fn request_body(model: &str, texts: &[String], input_type: Option<&str>) -> Value {
    serde_json::to_value(body(model, texts, input_type)).expect("a request body is JSON")
}

pub async fn embed(
    endpoint: Endpoint<'_>,
    model: &str,
    texts: &[String],
    input_type: Option<&str>,
) -> Result<EmbeddingResponse> {
    let url = endpoint.url("embeddings");
    let body = body(model, texts, input_type);
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
    data: Vec<Item>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Item {
    embedding: Vec<f32>,
    index: Option<usize>,
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    total_tokens: Option<u64>,
}

pub fn parse_response(text: &str, expected: usize) -> Result<EmbeddingResponse> {
    let wire: Wire = serde_json::from_str(text).map_err(|error| {
        Error::provider(
            Reason::SchemaMismatch,
            format!("unexpected embeddings answer: {error}"),
        )
    })?;
    let mut items = wire.data;
    // The answer carries each vector's input position; keep input order.
    if items.iter().all(|item| item.index.is_some()) {
        items.sort_by_key(|item| item.index);
    }
    let vectors: Vec<Vec<f32>> = items.into_iter().map(|item| item.embedding).collect();
    crate::protocols::check_count(&vectors, expected)?;
    let usage = wire.usage.map(|u| Usage {
        input_tokens: u.prompt_tokens.or(u.total_tokens),
        total_tokens: u.total_tokens,
        ..Usage::default()
    });
    Ok(EmbeddingResponse { vectors, usage })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_and_input_type() {
        let texts = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            request_body("m", &texts, None),
            json!({"model": "m", "input": ["a", "b"]})
        );
        assert_eq!(
            request_body("v", &texts, Some("document"))["input_type"],
            "document"
        );
    }

    #[test]
    fn vectors_come_back_in_input_order() {
        let text = r#"{"data":[{"index":1,"embedding":[2.0]},{"index":0,"embedding":[1.0,0.5]}],
                       "usage":{"prompt_tokens":4,"total_tokens":4}}"#;
        let parsed = parse_response(text, 2).unwrap();
        assert_eq!(parsed.vectors, vec![vec![1.0, 0.5], vec![2.0]]);
        assert_eq!(parsed.usage.unwrap().input_tokens, Some(4));
    }

    #[test]
    fn a_short_answer_is_an_error() {
        let error = parse_response(r#"{"data":[{"index":0,"embedding":[1.0]}]}"#, 2).unwrap_err();
        assert_eq!(error.reason(), Reason::SchemaMismatch);
    }
}
