//! What every video API shares: the request as the executor states it, the
//! result, and the check that a download is a real video. Each vendor's job
//! flow is in its API folder (`openai/video.rs`, `google/video.rs`,
//! `fal/video.rs`, `xai/video.rs`); polling is `jobs::poll`.

use serde_json::Value;

use super::download::download;
use super::{Endpoint, KeyStyle, format_error};
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

#[derive(Debug)]
pub struct VideoResult {
    pub bytes: Vec<u8>,
    pub job_id: String,
}

/// The job's id (or operation name) from a submit answer, found at the
/// first of `keys` present; `missing` says what is wrong without one.
pub fn job_id(submitted: &Value, keys: &[&str], missing: &str) -> Result<String> {
    keys.iter()
        .find_map(|key| submitted.get(*key).and_then(Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| format_error(missing))
}

/// Fetch the finished video at `url` (with the key in `auth` on the
/// provider's own origin) and check that it is one.
pub async fn fetch_result(
    endpoint: Endpoint<'_>,
    url: &str,
    auth: KeyStyle,
    max_bytes: usize,
    job_id: String,
) -> Result<VideoResult> {
    let (bytes, content_type) = download(endpoint, url, max_bytes, auth).await?;
    check_video(&bytes, content_type.as_deref(), url)?;
    Ok(VideoResult { bytes, job_id })
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
