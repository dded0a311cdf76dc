//! xAI video jobs: `videos/generations`, then `videos/{id}` until the
//! answer carries the video's URL.

use serde_json::{Value, json};

use crate::error::Result;
use crate::protocols::jobs::{self, FirstStatus, Poller, Status, StatusSink};
use crate::protocols::video::{self, VideoRequest, VideoResult};
use crate::protocols::{Endpoint, KeyStyle, send_json};

pub fn body(request: &VideoRequest<'_>) -> Value {
    let mut body = json!({"model": request.model, "prompt": request.prompt});
    if let Some(duration) = request.duration {
        body["duration"] = json!(duration.round() as u64);
    }
    if let Some(ratio) = &request.aspect_ratio {
        body["aspect_ratio"] = json!(ratio);
    }
    if let Some(resolution) = &request.resolution {
        body["resolution"] = json!(resolution.to_ascii_lowercase());
    }
    body
}

/// Done as soon as a video URL appears, whatever the status word says.
fn read_status(status: &Value) -> Result<Status<String>> {
    let word = jobs::word(status, "status", "pending").to_owned();
    if let Some(url) = status.pointer("/video/url").and_then(Value::as_str) {
        return Ok(Status::Done(word, url.to_owned()));
    }
    Ok(match word.as_str() {
        "failed" | "expired" | "error" => {
            let detail = jobs::error_text(status.get("error").or(Some(&json!(word))));
            Status::Failed(word, detail)
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
    let url = endpoint.url("videos/generations");
    let builder = endpoint.client.post(&url).json(&body(request));
    let submitted = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    let id = video::job_id(&submitted, &["request_id", "id"], "no `request_id`")?;
    let status_url = endpoint.url(&format!("videos/{id}"));
    let check = async || {
        let builder = endpoint.client.get(&status_url);
        send_json(&endpoint, builder, &status_url, KeyStyle::Bearer).await
    };
    let first = FirstStatus::CheckLater;
    let video_url = jobs::poll(&id, first, poller, on_status, check, read_status).await?;
    video::fetch_result(endpoint, &video_url, KeyStyle::None, max_bytes, id).await
}
