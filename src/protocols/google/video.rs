//! Google video: Veo generation as a long-running operation
//! (`:predictLongRunning`, then the operation by name), and video
//! understanding through a Files API upload and `generateContent`.

use serde_json::{Value, json};

use super::KEY;
use crate::error::Result;
use crate::protocols::jobs::{self, FirstStatus, Poller, Status, StatusSink};
use crate::protocols::video::{self, VideoRequest, VideoResult};
use crate::protocols::{Endpoint, KeyStyle, format_error, send_json};

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

/// A finished operation names the video's URI, or why there is none.
fn read_operation(operation: &Value) -> Result<Status<String>> {
    if operation.get("done").and_then(Value::as_bool) != Some(true) {
        return Ok(Status::Running("running".into()));
    }
    let done = || "done".to_owned();
    if let Some(error) = operation.get("error") {
        return Ok(Status::Failed(done(), jobs::error_text(Some(error))));
    }
    let response = operation.pointer("/response/generateVideoResponse");
    let uri = response
        .and_then(|r| r.pointer("/generatedSamples/0/video/uri"))
        .and_then(Value::as_str);
    Ok(match uri {
        Some(uri) => Status::Done(done(), uri.to_owned()),
        None => {
            let filtered = response
                .and_then(|r| r.get("raiMediaFilteredReasons"))
                .map(|r| format!("filtered: {r}"));
            Status::Failed(
                done(),
                filtered.unwrap_or_else(|| "no video in the result".to_owned()),
            )
        }
    })
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
    let operation = send_json(&endpoint, builder, &url, KEY).await?;
    let name = video::job_id(&operation, &["name"], "no operation `name`")?;
    let status_url = endpoint.url(&name);
    let check = async || {
        send_json(
            &endpoint,
            endpoint.client.get(&status_url),
            &status_url,
            KEY,
        )
        .await
    };
    let first = FirstStatus::Submitted(operation);
    let uri = jobs::poll(&name, first, poller, on_status, check, read_operation).await?;
    video::fetch_result(endpoint, &uri, KEY, max_bytes, name).await
}

/// An uploaded file is usable once `ACTIVE` (or when the API gives no state).
fn read_file_state(file: &Value) -> Result<Status<Value>> {
    Ok(match file.get("state").and_then(Value::as_str) {
        Some("ACTIVE") | None => Status::Done("ACTIVE".into(), file.clone()),
        Some("FAILED") => Status::Failed(
            "FAILED".into(),
            "the uploaded video could not be processed".into(),
        ),
        Some(other) => Status::Running(other.to_owned()),
    })
}

/// Gemini: resumable upload to the Files API, wait until ACTIVE, then
/// `generateContent` with the file's URI.
pub async fn describe(
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
    let response = crate::protocols::send(&endpoint, builder, &start_url, KEY).await?;
    let upload_url = response
        .headers()
        .get("x-goog-upload-url")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format_error("no `x-goog-upload-url` header"))?
        .to_owned();
    crate::protocols::own_origin(&endpoint, &upload_url, "the upload")?;
    let builder = endpoint
        .client
        .post(&upload_url)
        .header("X-Goog-Upload-Offset", "0")
        .header("X-Goog-Upload-Command", "upload, finalize")
        .body(bytes.to_vec());
    let file = send_json(&endpoint, builder, &upload_url, KeyStyle::None).await?;
    let file = file.get("file").cloned().unwrap_or(file);
    let name = file
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error("no file `name`"))?
        .to_owned();
    let file_url = format!("{base}/{name}");
    let check = async || send_json(&endpoint, endpoint.client.get(&file_url), &file_url, KEY).await;
    let first = FirstStatus::Submitted(file);
    let file = jobs::poll(&name, first, poller, &mut |_| {}, check, read_file_state).await?;
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
    let answer = send_json(&endpoint, builder, &url, KEY).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_filtered_operation_says_why() {
        let operation = json!({"done": true, "response": {"generateVideoResponse": {
            "raiMediaFilteredReasons": ["unsafe"]}}});
        let Ok(Status::Failed(word, detail)) = read_operation(&operation) else {
            panic!("not a failure");
        };
        assert_eq!(word, "done");
        assert_eq!(detail, r#"filtered: ["unsafe"]"#);
    }
}
