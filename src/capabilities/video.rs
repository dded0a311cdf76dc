//! `video.generate` (long-running provider jobs with fallbacks) and
//! `video.describe` (Gemini or OpenAI-compatible chat with video input).

use std::time::{Duration, Instant};

use super::fallback::{self, ChainFailure, Success};
use super::provider_call::Connection;
use super::{deadline, media_models};
use crate::catalog::{Api, ModelKind};
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::protocols::jobs::Poller;
use crate::protocols::video::VideoRequest;
use crate::protocols::{fal, google, openai, xai};
use crate::registry::{Provider, Resolved};

pub use crate::catalog::VideoFamily;

impl VideoFamily {
    /// The provider's video API, as the registry resolved it.
    pub fn of(provider: &Provider) -> Option<VideoFamily> {
        provider.apis.video
    }

    /// Hint names as reported in `ignoredOverrides`.
    pub fn hints(self) -> &'static [&'static str] {
        match self {
            VideoFamily::OpenAi => &["size", "aspectRatio", "resolution", "duration"],
            VideoFamily::Google | VideoFamily::Fal | VideoFamily::Xai => {
                &["aspectRatio", "resolution", "duration"]
            }
        }
    }
}

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct VideoHints {
    pub size: Option<String>,
    pub aspect_ratio: Option<String>,
    pub resolution: Option<String>,
    pub duration: Option<f64>,
    pub audio: bool,
    pub watermark: bool,
}

/// Sora takes geometry as `size`: pick one from aspect ratio and resolution.
fn openai_size(ratio: Option<&str>, resolution: Option<&str>) -> Option<String> {
    let portrait = match ratio? {
        "9:16" | "2:3" | "3:4" | "4:5" => true,
        "16:9" | "3:2" | "4:3" | "21:9" => false,
        _ => return None,
    };
    let (long, short) = match resolution {
        Some("1080P") => (1920, 1080),
        _ => (1280, 720),
    };
    Some(if portrait {
        format!("{short}x{long}")
    } else {
        format!("{long}x{short}")
    })
}

pub fn fit<'a>(
    family: VideoFamily,
    model: &'a str,
    prompt: &'a str,
    hints: &VideoHints,
) -> (VideoRequest<'a>, Vec<String>) {
    let supported = family.hints();
    let mut ignored = Vec::new();
    let mut keep = |name: &str, present: bool| -> bool {
        if !present {
            return false;
        }
        if supported.contains(&name) {
            true
        } else {
            ignored.push(name.to_owned());
            false
        }
    };
    let size = keep("size", hints.size.is_some());
    let ratio = keep("aspectRatio", hints.aspect_ratio.is_some());
    let resolution = keep("resolution", hints.resolution.is_some());
    let duration = keep("duration", hints.duration.is_some());
    keep("audio", hints.audio);
    keep("watermark", hints.watermark);
    let mut request = VideoRequest {
        model,
        prompt,
        size: hints.size.clone().filter(|_| size),
        aspect_ratio: hints.aspect_ratio.clone().filter(|_| ratio),
        resolution: hints.resolution.clone().filter(|_| resolution),
        duration: hints.duration.filter(|_| duration),
    };
    if family == VideoFamily::OpenAi {
        if request.size.is_none() {
            request.size = openai_size(
                request.aspect_ratio.as_deref(),
                request.resolution.as_deref(),
            );
        }
        // Geometry that did not become a size is dropped, and said so.
        if request.size.is_none() {
            for (name, present) in [
                ("aspectRatio", request.aspect_ratio.is_some()),
                ("resolution", request.resolution.is_some()),
            ] {
                if present {
                    ignored.push(name.to_owned());
                }
            }
        }
        request.aspect_ratio = None;
        request.resolution = None;
    }
    (request, ignored)
}

#[derive(Debug)]
pub struct GeneratedVideo {
    pub bytes: Vec<u8>,
    pub mime_type: &'static str,
    pub job_id: String,
    pub ignored: Vec<String>,
}

/// Without `--timeout-ms` or `mediaModels.video.timeoutMs`.
const DEFAULT_GENERATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Without `agents.defaults.mediaMaxMb`.
const DEFAULT_MAX_MB: f64 = 16.0;

/// What one `video generate` uses: the candidates in order, the download
/// cap and the run's time limit.
pub struct GenerateSettings<'r> {
    pub candidates: Vec<Resolved<'r>>,
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl<'r> GenerateSettings<'r> {
    pub fn resolve(
        ctx: &'r Context,
        model: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<GenerateSettings<'r>> {
        let selection =
            media_models::select(ctx, ctx.registry()?, model, ModelKind::Video, |provider| {
                VideoFamily::of(provider).is_some()
            })?;
        let max_mb = ctx
            .config()?
            .agents
            .defaults
            .media_max_mb
            .filter(|mb| *mb > 0.0)
            .unwrap_or(DEFAULT_MAX_MB);
        Ok(GenerateSettings {
            candidates: selection.candidates,
            max_bytes: (max_mb * 1024.0 * 1024.0) as usize,
            timeout: deadline::bounded(
                timeout_ms,
                selection.configured_timeout,
                DEFAULT_GENERATE_TIMEOUT,
            ),
        })
    }
}

/// What one `video describe` uses: the model and the run's deadline.
pub struct DescribeSettings<'r> {
    pub candidate: Resolved<'r>,
    pub deadline: Option<Instant>,
}

impl<'r> DescribeSettings<'r> {
    /// `--model`, else Gemini's default chat model when it has a key
    /// (Gemini reads video natively).
    pub fn resolve(ctx: &'r Context, model: Option<&str>) -> Result<DescribeSettings<'r>> {
        let registry = ctx.registry()?;
        let candidate = match model {
            Some(reference) => registry.resolve(reference, ModelKind::Chat)?,
            None => {
                let profiles = ctx.profiles()?;
                let google = registry
                    .providers
                    .iter()
                    .find(|p| p.id == "google" && crate::auth::lookup(p, profiles).is_some());
                match google {
                    Some(provider) => registry.default_for(&provider.id, ModelKind::Chat)?,
                    None => {
                        return Err(Error::usage("no video-capable model given")
                            .with_hint("pass `--model <provider/model>` (a Gemini model, or an OpenAI-compatible server that accepts video), or set GEMINI_API_KEY"));
                    }
                }
            }
        };
        if describe_route(candidate.provider).is_none() {
            return Err(Error::unsupported(format!(
                "provider `{}` ({}) does not take video input in this build",
                candidate.provider.id,
                candidate.provider.api.as_str()
            ))
            .with_hint("use a Gemini model (`google/...`) or an OpenAI-compatible server that accepts `video_url` parts"));
        }
        Ok(DescribeSettings {
            candidate,
            deadline: deadline::agent_deadline(ctx, None)?,
        })
    }
}

pub async fn generate<'r>(
    ctx: &Context,
    candidates: &[Resolved<'r>],
    prompt: &str,
    hints: &VideoHints,
    deadline: Option<Instant>,
    max_bytes: usize,
    on_status: &mut (dyn FnMut(&str) + Send),
) -> Result<Success<GeneratedVideo>, ChainFailure> {
    fallback::run(candidates, deadline, async |candidate, _| {
        generate_one(
            ctx,
            candidate,
            prompt,
            hints,
            deadline,
            max_bytes,
            &mut *on_status,
        )
        .await
    })
    .await
}

async fn generate_one(
    ctx: &Context,
    candidate: &Resolved<'_>,
    prompt: &str,
    hints: &VideoHints,
    deadline: Option<Instant>,
    max_bytes: usize,
    on_status: &mut (dyn FnMut(&str) + Send),
) -> Result<GeneratedVideo> {
    let provider = candidate.provider;
    let Some(family) = VideoFamily::of(provider) else {
        return Err(Error::unsupported(format!(
            "provider `{}` has no video generation API in this build",
            provider.id
        ))
        .with_hint("see `openclaw infer video providers`"));
    };
    let connection = Connection::open(ctx, provider)?;
    let (request, ignored) = fit(family, &candidate.model.id, prompt, hints);
    let endpoint = connection.endpoint(deadline);
    let mut poller = Poller::new(deadline);
    let result = match family {
        VideoFamily::OpenAi => {
            openai::video::generate(endpoint, &request, &mut poller, on_status, max_bytes).await
        }
        VideoFamily::Google => {
            google::video::veo_generate(endpoint, &request, &mut poller, on_status, max_bytes).await
        }
        VideoFamily::Fal => {
            fal::video::generate(endpoint, &request, &mut poller, on_status, max_bytes).await
        }
        VideoFamily::Xai => {
            xai::video::generate(endpoint, &request, &mut poller, on_status, max_bytes).await
        }
    }?;
    let mime_type = crate::media::sniff(&result.bytes)
        .filter(|m| m.starts_with("video/"))
        .ok_or_else(|| Error::provider(Reason::Format, "the provider returned no video"))?;
    Ok(GeneratedVideo {
        bytes: result.bytes,
        mime_type,
        job_id: result.job_id,
        ignored,
    })
}

/// A video file checked before any request.
#[derive(Debug)]
pub struct VideoFile {
    pub path: String,
    pub mime_type: &'static str,
    pub bytes: Vec<u8>,
}

pub const MAX_DESCRIBE_BYTES: u64 = 100 * 1024 * 1024;

pub fn read_video(path: &std::path::Path) -> Result<VideoFile> {
    let shown = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|error| Error::usage(format!("cannot read --file {shown}: {error}")))?
        .len();
    if size > MAX_DESCRIBE_BYTES {
        return Err(Error::usage(format!(
            "--file {shown} is larger than the {} MB limit",
            MAX_DESCRIBE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = crate::input::read_file(path, "--file", MAX_DESCRIBE_BYTES)?;
    match crate::media::sniff(&bytes) {
        Some(mime) if mime.starts_with("video/") => Ok(VideoFile {
            path: shown,
            mime_type: mime,
            bytes,
        }),
        Some(mime) if mime.starts_with("image/") => Err(Error::usage(format!(
            "--file {shown} is an image ({mime}), not a video"
        ))
        .with_hint("use `openclaw infer image describe --file ...` for images")),
        other => Err(Error::usage(format!(
            "--file {shown} is not a video ({})",
            other.unwrap_or("unrecognised type")
        ))),
    }
}

/// How a provider takes video input, if it does.
pub fn describe_route(provider: &Provider) -> Option<Api> {
    match provider.api {
        Api::GoogleGenerativeAi => Some(Api::GoogleGenerativeAi),
        Api::OpenAiCompletions => Some(Api::OpenAiCompletions),
        _ => None,
    }
}

pub const DESCRIBE_PROMPT: &str = "Describe this video: what happens, the setting, people and objects, any visible text or speech.";

pub async fn describe(
    ctx: &Context,
    candidate: &Resolved<'_>,
    file: &VideoFile,
    deadline: Option<Instant>,
) -> Result<String> {
    let provider = candidate.provider;
    let Some(route) = describe_route(provider) else {
        return Err(Error::unsupported(format!(
            "provider `{}` ({}) does not take video input in this build",
            provider.id,
            provider.api.as_str()
        ))
        .with_hint("use a Gemini model (`google/...`) or an OpenAI-compatible server that accepts `video_url` parts"));
    };
    let connection = Connection::open(ctx, provider)?;
    let endpoint = connection.endpoint(deadline);
    let model = &candidate.model.id;
    let text = crate::http::with_retries(deadline, async || match route {
        Api::GoogleGenerativeAi => {
            let mut poller = Poller::new(deadline);
            google::video::describe(
                endpoint,
                model,
                DESCRIBE_PROMPT,
                file.mime_type,
                &file.bytes,
                &mut poller,
            )
            .await
        }
        _ => {
            openai::video::describe(
                endpoint,
                model,
                DESCRIBE_PROMPT,
                file.mime_type,
                &file.bytes,
            )
            .await
        }
    })
    .await?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(Error::provider(
            Reason::Unknown,
            "the model returned no description",
        ));
    }
    Ok(text)
}
