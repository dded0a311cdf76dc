//! fal's queue API for video models: submit to `queue.fal.run/{model}`,
//! poll the request's status URL, then read its response URL.

use serde_json::{Value, json};

use super::KEY;
use crate::error::Result;
use crate::protocols::jobs::{self, FirstStatus, Poller, Status, StatusSink};
use crate::protocols::video::{self, VideoRequest, VideoResult};
use crate::protocols::{Endpoint, KeyStyle, own_origin, send_json};

/// fal's queue lives on `queue.fal.run`; a custom base URL is used as is.
pub fn queue_base(base_url: &str) -> String {
    let trimmed = base_url.trim_end_matches('/');
    match trimmed {
        "https://fal.run" => "https://queue.fal.run".to_owned(),
        other => other.to_owned(),
    }
}

pub fn body(request: &VideoRequest<'_>) -> Value {
    let mut body = json!({"prompt": request.prompt});
    if let Some(ratio) = &request.aspect_ratio {
        body["aspect_ratio"] = json!(ratio);
    }
    if let Some(resolution) = &request.resolution {
        body["resolution"] = json!(resolution.to_ascii_lowercase());
    }
    if let Some(duration) = request.duration {
        body["duration"] = json!((duration.round() as u64).to_string());
    }
    body
}

fn read_status(status: &Value) -> Result<Status<()>> {
    let word = jobs::word(status, "status", "unknown").to_owned();
    let error = status.get("error").filter(|e| !e.is_null());
    Ok(match word.as_str() {
        "COMPLETED" => match error {
            Some(error) => Status::Failed(word, jobs::error_text(Some(error))),
            None => Status::Done(word, ()),
        },
        "FAILED" | "ERROR" | "CANCELLED" => {
            Status::Failed(word, jobs::error_text(status.get("error")))
        }
        _ => Status::Running(word),
    })
}

pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &VideoRequest<'_>,
    poller: &mut Poller,
    on_status: StatusSink<'_>,
    max_bytes: usize,
) -> Result<VideoResult> {
    let base = queue_base(endpoint.base_url);
    let url = format!("{base}/{}", request.model);
    let builder = endpoint.client.post(&url).json(&body(request));
    let submitted = send_json(&endpoint, builder, &url, KEY).await?;
    let id = video::job_id(&submitted, &["request_id"], "no `request_id`")?;
    let named = |key: &str, fallback: String| {
        submitted
            .get(key)
            .and_then(Value::as_str)
            .map_or(fallback, str::to_owned)
    };
    let status_url = named(
        "status_url",
        format!("{base}/{}/requests/{id}/status", request.model),
    );
    let response_url = named(
        "response_url",
        format!("{base}/{}/requests/{id}", request.model),
    );
    own_origin(&endpoint, &status_url, "the job status")?;
    own_origin(&endpoint, &response_url, "the job result")?;
    let check = async || {
        send_json(
            &endpoint,
            endpoint.client.get(&status_url),
            &status_url,
            KEY,
        )
        .await
    };
    jobs::poll(
        &id,
        FirstStatus::CheckNow,
        poller,
        on_status,
        check,
        read_status,
    )
    .await?;
    let builder = endpoint.client.get(&response_url);
    let result = send_json(&endpoint, builder, &response_url, KEY).await?;
    let Some(video_url) = result.pointer("/video/url").and_then(Value::as_str) else {
        let detail = jobs::error_text(result.get("detail").or(result.get("error")));
        return Err(jobs::failed(&id, &detail));
    };
    video::fetch_result(endpoint, video_url, KeyStyle::None, max_bytes, id).await
}
