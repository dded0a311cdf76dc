//! Anthropic's Message Batches on the wire: the job (`POST
//! /v1/messages/batches`, `GET .../{id}`, `POST .../{id}/cancel`) and its
//! results, a JSONL stream with one `{custom_id, result}` a line.

use serde::Deserialize;
use serde_json::{Value, json};

use super::API_VERSION;
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::{self, ChatResponse, Endpoint, KeyStyle};

const KEY: KeyStyle = KeyStyle::Header("x-api-key");
const VERSION: [(&str, &str); 1] = [("anthropic-version", API_VERSION)];

/// A Message Batch as the provider describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageBatch {
    pub id: String,
    /// `in_progress`, `canceling` or `ended`.
    pub processing_status: String,
    #[serde(default)]
    pub request_counts: Option<Counts>,
    #[serde(default)]
    pub results_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Counts {
    #[serde(default)]
    pub processing: u64,
    #[serde(default)]
    pub succeeded: u64,
    #[serde(default)]
    pub errored: u64,
    #[serde(default)]
    pub canceled: u64,
    #[serde(default)]
    pub expired: u64,
}

impl MessageBatch {
    pub fn has_ended(&self) -> bool {
        self.processing_status == "ended"
    }
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.processing + self.succeeded + self.errored + self.canceled + self.expired
    }

    pub fn failed(&self) -> u64 {
        self.errored + self.canceled + self.expired
    }
}

/// Custom ids are 1 to 64 letters, digits, `_` or `-`.
pub fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// `{base}/v1/messages/batches` (the same root rule as a single message).
fn batches_url(endpoint: &Endpoint<'_>) -> String {
    format!("{}/batches", super::messages::url(endpoint.base_url))
}

/// Start a job; `requests` are `{custom_id, params}` objects.
pub async fn create(endpoint: &Endpoint<'_>, requests: Vec<Value>) -> Result<MessageBatch> {
    let url = batches_url(endpoint);
    let body = json!({ "requests": requests });
    let response = protocols::post_json(endpoint, &url, &body, KEY, &VERSION).await?;
    parse_batch(response, &url).await
}

pub async fn get(endpoint: &Endpoint<'_>, id: &str) -> Result<MessageBatch> {
    let url = format!("{}/{}", batches_url(endpoint), segment(id)?);
    let builder = endpoint.client.get(&url).header(VERSION[0].0, VERSION[0].1);
    let response = protocols::send(endpoint, builder, &url, KEY).await?;
    parse_batch(response, &url).await
}

pub async fn cancel(endpoint: &Endpoint<'_>, id: &str) -> Result<MessageBatch> {
    let url = format!("{}/{}/cancel", batches_url(endpoint), segment(id)?);
    let response = protocols::post_json(endpoint, &url, &json!({}), KEY, &VERSION).await?;
    parse_batch(response, &url).await
}

/// The results of an ended job. The key goes only to the provider's own
/// origin: a `results_url` elsewhere is not followed, and the documented
/// results path on the configured base is read instead.
pub async fn results(endpoint: &Endpoint<'_>, batch: &MessageBatch) -> Result<String> {
    let own = format!("{}/{}/results", batches_url(endpoint), segment(&batch.id)?);
    let url = match &batch.results_url {
        Some(url) if http::same_origin(url, endpoint.base_url) => url.clone(),
        _ => own,
    };
    let builder = endpoint.client.get(&url).header(VERSION[0].0, VERSION[0].1);
    let response = protocols::send(endpoint, builder, &url, KEY).await?;
    http::read_text(response, http::ANSWER_LIMIT, &url).await
}

async fn parse_batch(response: reqwest::Response, url: &str) -> Result<MessageBatch> {
    let text = protocols::text_of(response, url).await?;
    serde_json::from_str(&text).map_err(|error| protocols::json_error(error, url))
}

/// Batch ids go into the path; one that could change it is refused.
fn segment(id: &str) -> Result<&str> {
    let fine = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if fine {
        Ok(id)
    } else {
        Err(Error::usage(format!(
            "`{id}` is not a valid message batch id"
        )))
    }
}

/// Every readable result line as `(custom_id, answer or error)`.
pub fn parse_results(text: &str) -> Vec<(String, Result<ChatResponse>)> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|value| {
            let custom_id = value.get("custom_id")?.as_str()?.to_owned();
            Some((custom_id, outcome_of(value.get("result"))))
        })
        .collect()
}

fn outcome_of(result: Option<&Value>) -> Result<ChatResponse> {
    let kind = result
        .and_then(|r| r.get("type"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "succeeded" => {
            let message = result.and_then(|r| r.get("message")).ok_or_else(|| {
                Error::provider(Reason::Format, "a succeeded result has no `message`")
            })?;
            super::messages::parse_message(&message.to_string())
        }
        "errored" => {
            // The error is the same `{type: "error", error: {type, message}}`
            // document a single request fails with.
            let error = result.and_then(|r| r.get("error")).cloned();
            let error = match error {
                Some(Value::Object(mut map)) => {
                    if map.get("type").and_then(Value::as_str) != Some("error") {
                        map = [
                            ("type".to_owned(), json!("error")),
                            ("error".to_owned(), Value::Object(map)),
                        ]
                        .into_iter()
                        .collect();
                    }
                    Value::Object(map)
                }
                _ => json!({"type": "error", "error": {"message": "the request failed"}}),
            };
            match super::messages::parse_message(&error.to_string()) {
                Err(error) => Err(error),
                Ok(_) => Err(Error::provider(Reason::Unknown, "the request failed")),
            }
        }
        "canceled" => Err(Error::provider(
            Reason::Cancelled,
            "the job was cancelled before this request ran",
        )),
        "expired" => Err(Error::provider(
            Reason::Timeout,
            "the job expired before this request ran",
        )),
        other => Err(Error::provider(
            Reason::Format,
            format!("unknown result type `{other}`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_to_answers_and_reasons() {
        let text = concat!(
            r#"{"custom_id":"a","result":{"type":"succeeded","message":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":1}}}}"#,
            "\n",
            r#"{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}}}"#,
            "\n",
            r#"{"custom_id":"c","result":{"type":"expired"}}"#,
            "\n",
            r#"{"custom_id":"d","result":{"type":"canceled"}}"#,
            "\nnot json\n",
        );
        let results = parse_results(text);
        assert_eq!(results.len(), 4);
        let answer = results[0].1.as_ref().unwrap();
        assert_eq!(answer.text, "hi");
        assert_eq!(answer.usage.as_ref().unwrap().output_tokens, Some(1));
        assert_eq!(
            results[1].1.as_ref().unwrap_err().reason(),
            Reason::RateLimit
        );
        assert_eq!(results[2].1.as_ref().unwrap_err().reason(), Reason::Timeout);
        assert_eq!(
            results[3].1.as_ref().unwrap_err().reason(),
            Reason::Cancelled
        );
    }

    #[test]
    fn custom_ids_follow_the_documented_pattern() {
        assert!(valid_custom_id("row-1_a"));
        assert!(!valid_custom_id("has space"));
        assert!(!valid_custom_id(""));
        assert!(!valid_custom_id(&"x".repeat(65)));
    }
}
