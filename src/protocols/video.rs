//! Video generation jobs (submit, poll, download) for OpenAI's Videos API,
//! Google Veo long-running operations, fal's queue API and xAI; and video
//! understanding through Gemini (file upload, then `generateContent`) or
//! OpenAI-compatible chat completions with a `video_url` part.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use super::images::{FAL_KEY, GOOGLE_KEY, download};
use super::{Endpoint, KeyStyle, format_error, send_json};
use crate::config::env;
use crate::error::{Error, Reason, Result};
use crate::http;

#[derive(Debug, Clone, Default)]
pub struct VideoRequest<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub size: Option<String>,
    pub aspect_ratio: Option<String>,
    /// `720P` etc. as given.
    pub resolution: Option<String>,
    pub duration: Option<f64>,
}

/// Progress while a job runs: the provider's status word.
pub type StatusSink<'s> = &'s mut (dyn FnMut(&str) + Send);

#[derive(Debug)]
pub struct VideoResult {
    pub bytes: Vec<u8>,
    pub job_id: String,
}

/// Pause between status checks: 2 s growing to 10 s (near zero in tests).
pub struct Poller {
    pub deadline: Option<Instant>,
    wait: Duration,
    pub polls: u32,
}

impl Poller {
    pub fn new(deadline: Option<Instant>) -> Poller {
        Poller {
            deadline,
            wait: Duration::from_secs(2),
            polls: 0,
        }
    }

    /// Sleep before the next check, or fail when the deadline has passed.
    pub async fn wait(&mut self, job: &str) -> Result<()> {
        self.polls += 1;
        let pause = if env::var(env::TEST_NO_RETRY_DELAY).is_some() {
            Duration::from_millis(10)
        } else {
            self.wait
        };
        if let Some(deadline) = self.deadline {
            if Instant::now() + pause >= deadline {
                return Err(Error::provider(
                    Reason::Timeout,
                    format!(
                        "video job {job} did not finish in time ({} status checks)",
                        self.polls - 1
                    ),
                )
                .with_hint(
                    "raise `--timeout-ms` (or `agents.defaults.mediaModels.video.timeoutMs`)",
                ));
            }
        }
        tokio::time::sleep(pause).await;
        self.wait = (self.wait.mul_f64(1.5)).min(Duration::from_secs(10));
        Ok(())
    }
}

fn job_failed(job: &str, detail: &str) -> Error {
    Error::provider(Reason::Unknown, format!("video job {job} failed: {detail}"))
}

fn error_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(error) => error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| error.to_string()),
        None => "no reason given".to_owned(),
    }
}

// ---------------------------------------------------------------- OpenAI

/// Sora durations the API takes, as strings.
fn openai_seconds(duration: f64) -> String {
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

pub fn openai_body(request: &VideoRequest<'_>) -> Value {
    let mut body = json!({"model": request.model, "prompt": request.prompt});
    if let Some(duration) = request.duration {
        body["seconds"] = json!(openai_seconds(duration));
    }
    if let Some(size) = &request.size {
        body["size"] = json!(size);
    }
    body
}

pub async fn openai_generate(
    endpoint: Endpoint<'_>,
    request: &VideoRequest<'_>,
    poller: &mut Poller,
    on_status: StatusSink<'_>,
    max_bytes: usize,
) -> Result<VideoResult> {
    let url = endpoint.url("videos");
    let builder = endpoint.client.post(&url).json(&openai_body(request));
    let mut job = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    let id = job
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no job `id`"))?
        .to_owned();
    loop {
        let status = job
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        on_status(status);
        match status {
            "completed" => break,
            "failed" | "cancelled" | "expired" => {
                return Err(job_failed(&id, &error_text(job.get("error"))));
            }
            _ => {}
        }
        poller.wait(&id).await?;
        let url = endpoint.url(&format!("videos/{id}"));
        job = send_json(&endpoint, endpoint.client.get(&url), &url, KeyStyle::Bearer).await?;
    }
    let url = endpoint.url(&format!("videos/{id}/content"));
    let (bytes, content_type) = download(endpoint, &url, max_bytes, KeyStyle::Bearer).await?;
    check_video(&bytes, content_type.as_deref(), &url)?;
    Ok(VideoResult { bytes, job_id: id })
}

// ---------------------------------------------------------------- Google Veo

pub fn veo_body(request: &VideoRequest<'_>) -> Value {
    let mut parameters = serde_json::Map::new();
    if let Some(ratio) = &request.aspect_ratio {
        parameters.insert("aspectRatio".into(), json!(ratio));
    }
    if let Some(resolution) = &request.resolution {
        parameters.insert("resolution".into(), json!(resolution.to_ascii_lowercase()));
    }
    if let Some(duration) = request.duration {
        parameters.insert("durationSeconds".into(), json!(duration.round() as u64));
    }
    let mut body = json!({"instances": [{"prompt": request.prompt}]});
    if !parameters.is_empty() {
        body["parameters"] = Value::Object(parameters);
    }
    body
}

pub async fn veo_generate(
    endpoint: Endpoint<'_>,
    request: &VideoRequest<'_>,
    poller: &mut Poller,
    on_status: StatusSink<'_>,
    max_bytes: usize,
) -> Result<VideoResult> {
    let url = endpoint.url(&format!("models/{}:predictLongRunning", request.model));
    let builder = endpoint.client.post(&url).json(&veo_body(request));
    let mut operation = send_json(&endpoint, builder, &url, GOOGLE_KEY).await?;
    let name = operation
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no operation `name`"))?
        .to_owned();
    while operation.get("done").and_then(Value::as_bool) != Some(true) {
        on_status("running");
        poller.wait(&name).await?;
        let url = endpoint.url(&name);
        operation = send_json(&endpoint, endpoint.client.get(&url), &url, GOOGLE_KEY).await?;
    }
    on_status("done");
    if let Some(error) = operation.get("error") {
        return Err(job_failed(&name, &error_text(Some(error))));
    }
    let response = operation.pointer("/response/generateVideoResponse");
    let uri = response
        .and_then(|r| r.pointer("/generatedSamples/0/video/uri"))
        .and_then(Value::as_str);
    let Some(uri) = uri else {
        let filtered = response
            .and_then(|r| r.get("raiMediaFilteredReasons"))
            .map(|r| r.to_string());
        return Err(job_failed(
            &name,
            &filtered.map_or("no video in the result".to_owned(), |r| {
                format!("filtered: {r}")
            }),
        ));
    };
    let (bytes, content_type) = download(endpoint, uri, max_bytes, GOOGLE_KEY).await?;
    check_video(&bytes, content_type.as_deref(), uri)?;
    Ok(VideoResult {
        bytes,
        job_id: name,
    })
}

// ---------------------------------------------------------------- fal queue

/// fal's queue lives on `queue.fal.run`; a custom base URL is used as is.
pub fn fal_queue_base(base_url: &str) -> String {
    let trimmed = base_url.trim_end_matches('/');
    match trimmed {
        "https://fal.run" => "https://queue.fal.run".to_owned(),
        other => other.to_owned(),
    }
}

pub fn fal_body(request: &VideoRequest<'_>) -> Value {
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

pub async fn fal_generate(
    endpoint: Endpoint<'_>,
    request: &VideoRequest<'_>,
    poller: &mut Poller,
    on_status: StatusSink<'_>,
    max_bytes: usize,
) -> Result<VideoResult> {
    let base = fal_queue_base(endpoint.base_url);
    let url = format!("{base}/{}", request.model);
    let builder = endpoint.client.post(&url).json(&fal_body(request));
    let submitted = send_json(&endpoint, builder, &url, FAL_KEY).await?;
    let id = submitted
        .get("request_id")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no `request_id`"))?
        .to_owned();
    let status_url = submitted
        .get("status_url")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{base}/{}/requests/{id}/status", request.model));
    let response_url = submitted
        .get("response_url")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{base}/{}/requests/{id}", request.model));
    super::own_origin(&endpoint, &status_url, "the job status")?;
    super::own_origin(&endpoint, &response_url, "the job result")?;
    loop {
        let builder = endpoint.client.get(&status_url);
        let status = send_json(&endpoint, builder, &status_url, FAL_KEY).await?;
        let word = status
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        on_status(word);
        match word {
            "COMPLETED" => {
                if let Some(error) = status.get("error").filter(|e| !e.is_null()) {
                    return Err(job_failed(&id, &error_text(Some(error))));
                }
                break;
            }
            "FAILED" | "ERROR" | "CANCELLED" => {
                return Err(job_failed(&id, &error_text(status.get("error"))));
            }
            _ => poller.wait(&id).await?,
        }
    }
    let builder = endpoint.client.get(&response_url);
    let result = send_json(&endpoint, builder, &response_url, FAL_KEY).await?;
    let Some(video_url) = result.pointer("/video/url").and_then(Value::as_str) else {
        return Err(job_failed(
            &id,
            &error_text(result.get("detail").or(result.get("error"))),
        ));
    };
    let (bytes, content_type) = download(endpoint, video_url, max_bytes, KeyStyle::None).await?;
    check_video(&bytes, content_type.as_deref(), video_url)?;
    Ok(VideoResult { bytes, job_id: id })
}

// ---------------------------------------------------------------- xAI

pub fn xai_body(request: &VideoRequest<'_>) -> Value {
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

pub async fn xai_generate(
    endpoint: Endpoint<'_>,
    request: &VideoRequest<'_>,
    poller: &mut Poller,
    on_status: StatusSink<'_>,
    max_bytes: usize,
) -> Result<VideoResult> {
    let url = endpoint.url("videos/generations");
    let builder = endpoint.client.post(&url).json(&xai_body(request));
    let submitted = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    let id = submitted
        .get("request_id")
        .or_else(|| submitted.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no `request_id`"))?
        .to_owned();
    let video_url = loop {
        poller.wait(&id).await?;
        let url = endpoint.url(&format!("videos/{id}"));
        let status =
            send_json(&endpoint, endpoint.client.get(&url), &url, KeyStyle::Bearer).await?;
        let word = status
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("pending");
        on_status(word);
        if let Some(found) = status.pointer("/video/url").and_then(Value::as_str) {
            break found.to_owned();
        }
        if matches!(word, "failed" | "expired" | "error") {
            return Err(job_failed(
                &id,
                &error_text(status.get("error").or(Some(&json!(word)))),
            ));
        }
    };
    let (bytes, content_type) = download(endpoint, &video_url, max_bytes, KeyStyle::None).await?;
    check_video(&bytes, content_type.as_deref(), &video_url)?;
    Ok(VideoResult { bytes, job_id: id })
}

/// A download must be a real video, not an empty body or an error page.
pub fn check_video(bytes: &[u8], content_type: Option<&str>, url: &str) -> Result<()> {
    let shown = http::redact_url(url);
    if bytes.is_empty() {
        return Err(Error::provider(
            Reason::Format,
            format!("the video download from {shown} was empty"),
        ));
    }
    match crate::media::sniff(bytes) {
        Some(mime) if mime.starts_with("video/") => Ok(()),
        sniffed => {
            let looks_textual = content_type
                .is_some_and(|t| t.starts_with("text/") || t.contains("json"))
                || std::str::from_utf8(&bytes[..bytes.len().min(512)]).is_ok();
            let detail = if looks_textual {
                let text: String = String::from_utf8_lossy(bytes).chars().take(200).collect();
                format!("text instead of a video: {}", text.trim())
            } else {
                format!("not a video ({})", sniffed.unwrap_or("unrecognised type"))
            };
            Err(Error::provider(
                Reason::Format,
                format!("the download from {shown} is {detail}"),
            ))
        }
    }
}

// ---------------------------------------------------------------- describe

/// Gemini: resumable upload to the Files API, wait until ACTIVE, then
/// `generateContent` with the file's URI.
pub async fn gemini_describe(
    endpoint: Endpoint<'_>,
    model: &str,
    prompt: &str,
    mime_type: &str,
    bytes: &[u8],
    poller: &mut Poller,
) -> Result<String> {
    let base = endpoint.base_url.trim_end_matches('/');
    let (root, version) = match base.rsplit_once('/') {
        Some((root, version)) if version.starts_with('v') => (root, version),
        _ => (base, "v1beta"),
    };
    let start_url = format!("{root}/upload/{version}/files");
    let builder = endpoint
        .client
        .post(&start_url)
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header(
            "X-Goog-Upload-Header-Content-Length",
            bytes.len().to_string(),
        )
        .header("X-Goog-Upload-Header-Content-Type", mime_type)
        .json(&json!({"file": {"display_name": "openclaw-video"}}));
    let response = super::send(&endpoint, builder, &start_url, GOOGLE_KEY).await?;
    let upload_url = response
        .headers()
        .get("x-goog-upload-url")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format_error("no `x-goog-upload-url` header"))?
        .to_owned();
    super::own_origin(&endpoint, &upload_url, "the upload")?;
    let builder = endpoint
        .client
        .post(&upload_url)
        .header("X-Goog-Upload-Offset", "0")
        .header("X-Goog-Upload-Command", "upload, finalize")
        .body(bytes.to_vec());
    let mut file = send_json(&endpoint, builder, &upload_url, KeyStyle::None).await?;
    file = file.get("file").cloned().unwrap_or(file);
    let name = file
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no file `name`"))?
        .to_owned();
    loop {
        match file.get("state").and_then(Value::as_str) {
            Some("ACTIVE") | None => break,
            Some("FAILED") => {
                return Err(job_failed(
                    &name,
                    "the uploaded video could not be processed",
                ));
            }
            _ => {
                poller.wait(&name).await?;
                let url = format!("{base}/{name}");
                file = send_json(&endpoint, endpoint.client.get(&url), &url, GOOGLE_KEY).await?;
            }
        }
    }
    let uri = file
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no file `uri`"))?;
    let url = endpoint.url(&format!("models/{model}:generateContent"));
    let body = json!({"contents": [{"role": "user", "parts": [
        {"file_data": {"mime_type": mime_type, "file_uri": uri}},
        {"text": prompt},
    ]}]});
    let builder = endpoint.client.post(&url).json(&body);
    let answer = send_json(&endpoint, builder, &url, GOOGLE_KEY).await?;
    let text: String = answer
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    Ok(text)
}

/// OpenAI-compatible chat completions with a `video_url` content part
/// (vLLM, OpenRouter, Qwen-style servers).
pub fn chat_video_body(model: &str, prompt: &str, mime_type: &str, bytes: &[u8]) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({
        "model": model,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": prompt},
            {"type": "video_url", "video_url": {"url": format!("data:{mime_type};base64,{data}")}},
        ]}],
    })
}

pub async fn chat_describe(
    endpoint: Endpoint<'_>,
    model: &str,
    prompt: &str,
    mime_type: &str,
    bytes: &[u8],
) -> Result<String> {
    let url = endpoint.url("chat/completions");
    let body = chat_video_body(model, prompt, mime_type, bytes);
    let response = super::post_json(&endpoint, &url, &body, KeyStyle::Bearer, &[]).await?;
    let text = super::text_of(response, &url).await?;
    Ok(super::openai::chat::parse_completion(&text)?.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sora_durations_snap_to_allowed_values() {
        assert_eq!(openai_seconds(5.0), "4");
        assert_eq!(openai_seconds(7.0), "8");
        assert_eq!(openai_seconds(30.0), "20");
    }

    #[test]
    fn downloads_that_are_not_video_are_refused() {
        let mp4 = [
            0, 0, 0, 0x18, b'f', b't', b'y', b'p', b'm', b'p', b'4', b'2', 0, 0, 0, 0,
        ];
        assert!(check_video(&mp4, Some("video/mp4"), "https://x/v").is_ok());
        assert!(check_video(b"", None, "https://x/v").is_err());
        let json = check_video(
            br#"{"error":"expired"}"#,
            Some("application/json"),
            "https://x/v",
        );
        assert!(json.unwrap_err().message().contains("expired"));
    }

    #[test]
    fn veo_parameters() {
        let request = VideoRequest {
            model: "veo",
            prompt: "sea",
            aspect_ratio: Some("16:9".into()),
            resolution: Some("720P".into()),
            duration: Some(6.0),
            ..VideoRequest::default()
        };
        assert_eq!(
            veo_body(&request),
            json!({"instances": [{"prompt": "sea"}],
                   "parameters": {"aspectRatio": "16:9", "resolution": "720p", "durationSeconds": 6}})
        );
    }
}
