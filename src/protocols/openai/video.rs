//! OpenAI video: Sora jobs on the Videos API (`videos`, then
//! `videos/{id}`, then `videos/{id}/content`), and video understanding
//! through chat completions with a `video_url` part (vLLM, OpenRouter and
//! Qwen-style servers).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::error::Result;
use crate::protocols::jobs::{self, FirstStatus, Poller, Status, StatusSink};
use crate::protocols::video::{self, VideoRequest, VideoResult};
use crate::protocols::{Endpoint, KeyStyle, send_json};

/// Sora durations the API takes, as strings.
fn seconds(duration: f64) -> String {
    const ALLOWED: [u32; 5] = [4, 8, 12, 16, 20];
    let nearest = ALLOWED
        .iter()
        .min_by(|a, b| {
            (f64::from(**a) - duration)
                .abs()
                .total_cmp(&(f64::from(**b) - duration).abs())
        })
        .copied()
        .unwrap_or(4);
    nearest.to_string()
}

pub fn body(request: &VideoRequest<'_>) -> Value {
    let mut body = json!({"model": request.model, "prompt": request.prompt});
    if let Some(duration) = request.duration {
        body["seconds"] = json!(seconds(duration));
    }
    if let Some(size) = &request.size {
        body["size"] = json!(size);
    }
    body
}

fn read_status(job: &Value) -> Result<Status<()>> {
    let word = jobs::word(job, "status", "unknown").to_owned();
    Ok(match word.as_str() {
        "completed" => Status::Done(word, ()),
        "failed" | "cancelled" | "expired" => {
            Status::Failed(word, jobs::error_text(job.get("error")))
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
    let url = endpoint.url("videos");
    let builder = endpoint.client.post(&url).json(&body(request));
    let job = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    let id = video::job_id(&job, &["id"], "no job `id`")?;
    let status_url = endpoint.url(&format!("videos/{id}"));
    let check = async || {
        let builder = endpoint.client.get(&status_url);
        send_json(&endpoint, builder, &status_url, KeyStyle::Bearer).await
    };
    let first = FirstStatus::Submitted(job);
    jobs::poll(&id, first, poller, on_status, check, read_status).await?;
    let url = endpoint.url(&format!("videos/{id}/content"));
    video::fetch_result(endpoint, &url, KeyStyle::Bearer, max_bytes, id).await
}

/// Chat completions with the video as a data URL in a `video_url` part.
pub fn describe_body(model: &str, prompt: &str, mime_type: &str, bytes: &[u8]) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({
        "model": model,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": prompt},
            {"type": "video_url", "video_url": {"url": format!("data:{mime_type};base64,{data}")}},
        ]}],
    })
}

pub async fn describe(
    endpoint: Endpoint<'_>,
    model: &str,
    prompt: &str,
    mime_type: &str,
    bytes: &[u8],
) -> Result<String> {
    let url = endpoint.url("chat/completions");
    let body = describe_body(model, prompt, mime_type, bytes);
    let response =
        crate::protocols::post_json(&endpoint, &url, &body, KeyStyle::Bearer, &[]).await?;
    let text = crate::protocols::text_of(response, &url).await?;
    Ok(super::chat::parse_completion(&text)?.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sora_durations_snap_to_allowed_values() {
        assert_eq!(seconds(5.0), "4");
        assert_eq!(seconds(7.0), "8");
        assert_eq!(seconds(30.0), "20");
    }
}
