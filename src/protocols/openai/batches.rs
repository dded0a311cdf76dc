//! OpenAI's Batch API on the wire: the JSONL upload (`POST /files`), the
//! job (`POST /batches`, `GET /batches/{id}`, `POST /batches/{id}/cancel`)
//! and the result files (`GET /files/{id}/content`).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::{self, Endpoint, KeyStyle};

/// The chat endpoint every line of a chat batch names.
pub const CHAT_PATH: &str = "/v1/chat/completions";
/// The embeddings endpoint every line of an embedding batch names.
pub const EMBEDDINGS_PATH: &str = "/v1/embeddings";

/// A batch job as the provider describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchObject {
    pub id: String,
    pub status: String,
    pub output_file_id: Option<String>,
    pub error_file_id: Option<String>,
    pub request_counts: Option<Counts>,
    /// Validation problems with the input file (status `failed`).
    pub errors: Option<Value>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Counts {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub completed: u64,
    #[serde(default)]
    pub failed: u64,
}

impl BatchObject {
    /// No further change will come (results, if any, can be read).
    pub fn has_ended(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "failed" | "expired" | "cancelled"
        )
    }

    /// The first validation error the provider gave for a failed job.
    pub fn job_error(&self) -> Option<Error> {
        let first = self.errors.as_ref()?.get("data")?.as_array()?.first()?;
        Some(line_error(first))
    }
}

/// One request line of the input file.
pub fn request_line(custom_id: &str, path: &str, body: &Value) -> String {
    json!({"custom_id": custom_id, "method": "POST", "url": path, "body": body}).to_string()
}

/// Upload the JSONL input; returns the file id.
pub async fn upload(endpoint: &Endpoint<'_>, jsonl: Vec<u8>) -> Result<String> {
    let url = endpoint.url("files");
    let part = reqwest::multipart::Part::bytes(jsonl)
        .file_name("batch.jsonl")
        .mime_str("application/jsonl")
        .map_err(|error| Error::internal(format!("cannot build the upload: {error}")))?;
    let form = reqwest::multipart::Form::new()
        .text("purpose", "batch")
        .part("file", part);
    let builder = endpoint.client.post(&url).multipart(form);
    let answer = protocols::send_json(endpoint, builder, &url, KeyStyle::Bearer).await?;
    answer
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| missing(&url, "id"))
}

/// Start a job over an uploaded file.
pub async fn create(endpoint: &Endpoint<'_>, file_id: &str, path: &str) -> Result<BatchObject> {
    let url = endpoint.url("batches");
    let body = json!({"input_file_id": file_id, "endpoint": path, "completion_window": "24h"});
    let response = protocols::post_json(endpoint, &url, &body, KeyStyle::Bearer, &[]).await?;
    parse_object(response, &url).await
}

pub async fn get(endpoint: &Endpoint<'_>, id: &str) -> Result<BatchObject> {
    let url = endpoint.url(&format!("batches/{}", segment(id)?));
    let builder = endpoint.client.get(&url);
    let response = protocols::send(endpoint, builder, &url, KeyStyle::Bearer).await?;
    parse_object(response, &url).await
}

pub async fn cancel(endpoint: &Endpoint<'_>, id: &str) -> Result<BatchObject> {
    let url = endpoint.url(&format!("batches/{}/cancel", segment(id)?));
    let response = protocols::post_json(endpoint, &url, &json!({}), KeyStyle::Bearer, &[]).await?;
    parse_object(response, &url).await
}

/// The text of a result file.
pub async fn content(endpoint: &Endpoint<'_>, file_id: &str) -> Result<String> {
    let url = endpoint.url(&format!("files/{}/content", segment(file_id)?));
    let builder = endpoint.client.get(&url);
    let response = protocols::send(endpoint, builder, &url, KeyStyle::Bearer).await?;
    protocols::text_of(response, &url).await
}

async fn parse_object(response: reqwest::Response, url: &str) -> Result<BatchObject> {
    let text = protocols::text_of(response, url).await?;
    serde_json::from_str(&text).map_err(|error| protocols::json_error(error, url))
}

/// Ids go into the path; one that could change the path is refused.
fn segment(id: &str) -> Result<&str> {
    let fine = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && id != "."
        && id != "..";
    if fine {
        Ok(id)
    } else {
        Err(Error::usage(format!(
            "`{id}` is not a valid batch or file id"
        )))
    }
}

fn missing(url: &str, field: &str) -> Error {
    Error::provider(
        Reason::Format,
        format!("{} answered without `{field}`", http::redact_url(url)),
    )
}

/// One line of a result file, by `custom_id`: the provider's answer body
/// (the caller parses it) or the error that stands for it.
#[derive(Debug)]
pub struct LineResult {
    pub custom_id: String,
    pub outcome: std::result::Result<String, Error>,
}

/// Every parsable line of an output or error file; lines that cannot be
/// read are skipped (their ids are then reported as missing).
pub fn parse_results(text: &str) -> Vec<LineResult> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|value| {
            let custom_id = value.get("custom_id")?.as_str()?.to_owned();
            Some(LineResult {
                custom_id,
                outcome: outcome_of(&value),
            })
        })
        .collect()
}

fn outcome_of(line: &Value) -> std::result::Result<String, Error> {
    if let Some(error) = line.get("error").filter(|e| !e.is_null()) {
        return Err(line_error(error));
    }
    let Some(response) = line.get("response").filter(|r| !r.is_null()) else {
        return Err(Error::provider(
            Reason::Format,
            "the result line has neither `response` nor `error`",
        ));
    };
    let status = response
        .get("status_code")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| reqwest::StatusCode::from_u16(code).ok())
        .unwrap_or(reqwest::StatusCode::OK);
    let body = response.get("body").cloned().unwrap_or(Value::Null);
    let text = match body {
        Value::String(text) => text,
        other => other.to_string(),
    };
    if status.is_success() {
        Ok(text)
    } else {
        Err(http::error_from_parts(status, None, &text))
    }
}

/// `{code, message}` as an error, its reason from the code when known.
fn line_error(error: &Value) -> Error {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the provider gave no message");
    let reason = error
        .get("code")
        .and_then(Value::as_str)
        .and_then(http::reason_from_code)
        .unwrap_or(Reason::Unknown);
    Error::provider(reason, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_map_to_bodies_and_errors() {
        let text = concat!(
            r#"{"id":"r_1","custom_id":"a","response":{"status_code":200,"body":{"choices":[]}},"error":null}"#,
            "\n",
            r#"{"id":"r_2","custom_id":"b","response":{"status_code":429,"body":{"error":{"message":"slow down","type":"rate_limit_exceeded"}}},"error":null}"#,
            "\n",
            r#"{"id":"r_3","custom_id":"c","response":null,"error":{"code":"batch_expired","message":"expired"}}"#,
            "\nnot json\n",
        );
        let results = parse_results(text);
        assert_eq!(results.len(), 3);
        assert!(results[0].outcome.as_ref().unwrap().contains("choices"));
        let limited = results[1].outcome.as_ref().unwrap_err();
        assert_eq!(limited.reason(), Reason::RateLimit);
        assert_eq!(limited.status(), Some(429));
        assert_eq!(results[2].custom_id, "c");
        assert!(results[2].outcome.is_err());
    }

    #[test]
    fn ids_that_change_the_path_are_refused() {
        assert!(segment("batch_abc-1").is_ok());
        assert!(segment("../files").is_err());
        assert!(segment("a/b").is_err());
        assert!(segment("").is_err());
    }

    #[test]
    fn ended_states() {
        let object: BatchObject =
            serde_json::from_str(r#"{"id":"b","status":"finalizing"}"#).unwrap();
        assert!(!object.has_ended());
        let object: BatchObject = serde_json::from_str(
            r#"{"id":"b","status":"failed","errors":{"data":[{"code":"invalid_json_line","message":"bad line 2"}]}}"#,
        )
        .unwrap();
        assert!(object.has_ended());
        assert_eq!(object.job_error().unwrap().message(), "bad line 2");
    }
}
