//! Gemini batch mode on the wire: `POST models/{model}:batchGenerateContent`
//! with the requests inline, the job read back by name (`GET batches/{id}`,
//! a long-running operation whose results come inline once it is done) and
//! `POST batches/{id}:cancel`. The key travels in `x-goog-api-key`.

use serde_json::{Value, json};

use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::google::chat as google_chat;
use crate::protocols::{self, ChatResponse, Endpoint};

use super::KEY;

/// A batch as the provider reports it: its name, state and, once it has
/// finished, the inline responses.
#[derive(Debug, Clone)]
pub struct BatchJob {
    /// `batches/{id}`.
    pub name: String,
    /// `BATCH_STATE_...` (older documents say `JOB_STATE_...`).
    pub state: String,
    pub done: bool,
    pub total: Option<u64>,
    pub succeeded: Option<u64>,
    pub failed: Option<u64>,
    /// The operation's own error (the whole job failed).
    pub error: Option<Value>,
    /// The inline responses, in input order.
    pub responses: Vec<Value>,
}

impl BatchJob {
    pub fn has_ended(&self) -> bool {
        self.done
            || ["SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"]
                .iter()
                .any(|end| self.state.ends_with(end))
    }

    pub fn job_error(&self) -> Option<Error> {
        self.error.as_ref().map(status_error)
    }
}

/// One inline request: the `generateContent` body and the line's key.
pub fn inline_request(key: &str, body: Value) -> Value {
    json!({"request": body, "metadata": {"key": key}})
}

pub async fn create(
    endpoint: &Endpoint<'_>,
    model: &str,
    display_name: &str,
    requests: Vec<Value>,
) -> Result<BatchJob> {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let url = endpoint.url(&format!("models/{model}:batchGenerateContent"));
    let body = json!({"batch": {
        "displayName": display_name,
        "inputConfig": {"requests": {"requests": requests}},
    }});
    let response = protocols::post_json(endpoint, &url, &body, KEY, &[]).await?;
    parse_job(response, &url).await
}

pub async fn get(endpoint: &Endpoint<'_>, name: &str) -> Result<BatchJob> {
    let url = endpoint.url(checked_name(name)?);
    let builder = endpoint.client.get(&url);
    let response = protocols::send(endpoint, builder, &url, KEY).await?;
    parse_job(response, &url).await
}

/// Ask for the job to stop; the answer is empty, so the caller looks again.
pub async fn cancel(endpoint: &Endpoint<'_>, name: &str) -> Result<()> {
    let url = endpoint.url(&format!("{}:cancel", checked_name(name)?));
    let response = protocols::post_json(endpoint, &url, &json!({}), KEY, &[]).await?;
    protocols::text_of(response, &url).await.map(|_| ())
}

async fn parse_job(response: reqwest::Response, url: &str) -> Result<BatchJob> {
    let text = protocols::text_of(response, url).await?;
    let value: Value =
        serde_json::from_str(&text).map_err(|error| protocols::json_error(error, url))?;
    job_of(&value).ok_or_else(|| {
        Error::provider(
            Reason::Format,
            format!("{} answered without a batch name", http::redact_url(url)),
        )
    })
}

/// The job from an operation (`{name, metadata: batch, done, response}`)
/// or from a bare batch resource (`{name, state, output}`).
fn job_of(value: &Value) -> Option<BatchJob> {
    let name = value.get("name")?.as_str()?.to_owned();
    let batch = value
        .get("metadata")
        .filter(|m| m.get("state").is_some() || m.get("@type").is_some())
        .unwrap_or(value);
    let state = batch
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("BATCH_STATE_UNSPECIFIED")
        .to_owned();
    let count = |field: &str| {
        batch
            .pointer(&format!("/batchStats/{field}"))
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
    };
    // Results may sit under the operation's `response` or the batch's
    // `output`, either as a list or wrapped once more.
    let responses = [
        value.pointer("/response/inlinedResponses"),
        batch.pointer("/output/inlinedResponses"),
        value.pointer("/output/inlinedResponses"),
    ]
    .into_iter()
    .flatten()
    .find_map(|found| match found {
        Value::Array(items) => Some(items.clone()),
        other => other.get("inlinedResponses")?.as_array().cloned(),
    })
    .unwrap_or_default();
    Some(BatchJob {
        name,
        state,
        done: value.get("done").and_then(Value::as_bool).unwrap_or(false),
        total: count("requestCount"),
        succeeded: count("successfulRequestCount"),
        failed: count("failedRequestCount"),
        error: value.get("error").filter(|e| !e.is_null()).cloned(),
        responses,
    })
}

/// Names go into the path: `batches/` and one plain segment.
fn checked_name(name: &str) -> Result<&str> {
    let fine = name.strip_prefix("batches/").is_some_and(|id| {
        !id.is_empty()
            && id != "."
            && id != ".."
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    });
    if fine {
        Ok(name)
    } else {
        Err(Error::usage(format!(
            "`{name}` is not a valid Gemini batch name (`batches/...`)"
        )))
    }
}

/// A `google.rpc.Status` as an error, its reason from the status name.
fn status_error(status: &Value) -> Error {
    let code = status.get("status").and_then(Value::as_str);
    let message = status
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the provider reported an error");
    let error = http::stream_error(code, message);
    if code.is_some() {
        return error;
    }
    // Without a name, the numeric RPC code still says a few things.
    let reason = match status.get("code").and_then(Value::as_u64) {
        Some(4) => Reason::Timeout,
        Some(8 | 429) => Reason::RateLimit,
        Some(14 | 503) => Reason::Overloaded,
        Some(16 | 401) => Reason::Auth,
        _ => error.reason(),
    };
    Error::provider(reason, message)
}

/// Each inline response as `(key, answer or error)`; a response without a
/// key takes the key of its position (responses keep the input order).
pub fn parse_results(job: &BatchJob, keys: &[String]) -> Vec<(String, Result<ChatResponse>)> {
    job.responses
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let key = item
                .pointer("/metadata/key")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| keys.get(index).cloned())?;
            let outcome = match (item.get("response"), item.get("error")) {
                (_, Some(error)) if !error.is_null() => Err(status_error(error)),
                (Some(response), _) => google_chat::parse_response(&response.to_string()),
                _ => Err(Error::provider(
                    Reason::Format,
                    "the result has neither `response` nor `error`",
                )),
            };
            Some((key, outcome))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_results_are_read() {
        let value = json!({
            "name": "batches/abc",
            "metadata": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
                         "state": "BATCH_STATE_SUCCEEDED",
                         "batchStats": {"requestCount": "2", "successfulRequestCount": "1", "failedRequestCount": "1"}},
            "done": true,
            "response": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
                         "inlinedResponses": {"inlinedResponses": [
                {"response": {"candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}, "finishReason": "STOP"}],
                              "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1, "totalTokenCount": 5}}},
                {"error": {"code": 8, "message": "quota"}, "metadata": {"key": "b"}}
            ]}}
        });
        let job = job_of(&value).unwrap();
        assert!(job.has_ended());
        assert_eq!(job.total, Some(2));
        let results = parse_results(&job, &["a".to_owned(), "b".to_owned()]);
        assert_eq!(results[0].0, "a");
        assert_eq!(results[0].1.as_ref().unwrap().text, "hi");
        assert_eq!(results[1].0, "b");
        assert_eq!(
            results[1].1.as_ref().unwrap_err().reason(),
            Reason::RateLimit
        );
    }

    #[test]
    fn pending_jobs_have_not_ended_and_names_are_checked() {
        let job =
            job_of(&json!({"name": "batches/x", "metadata": {"state": "BATCH_STATE_RUNNING"}}))
                .unwrap();
        assert!(!job.has_ended());
        assert!(checked_name("batches/x-1").is_ok());
        assert!(checked_name("batches/../models").is_err());
        assert!(checked_name("batches/..").is_err());
        assert!(checked_name("models/x").is_err());
    }
}
