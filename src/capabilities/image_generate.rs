//! `image.generate` / `image.edit`: pick the vendor API for each candidate,
//! drop the hints it cannot honour (reported as `ignoredOverrides`), and
//! try candidates in order until one returns images.

use std::time::{Duration, Instant};

use super::fallback::{self, ChainFailure, Success};
use super::provider_call::Connection;
use super::{deadline, media_models};
use crate::catalog::ModelKind;
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::media::{self, ImageFile};
use crate::protocols::images::{GeneratedImage, ImageRequest};
use crate::protocols::{fal, google, huggingface, openai, openrouter, xai};
use crate::registry::{Provider, Resolved};

pub use crate::catalog::ImageFamily;

/// Without `--timeout-ms` or `mediaModels.image.timeoutMs`, a generation
/// gives up after this long (the slowest hosted backends need minutes).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// What one `image generate`/`edit` uses: the candidates in order and the
/// deadline.
pub struct Settings<'r> {
    pub candidates: Vec<Resolved<'r>>,
    pub deadline: Instant,
}

impl<'r> Settings<'r> {
    pub fn resolve(
        ctx: &'r Context,
        model: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<Settings<'r>> {
        let selection =
            media_models::select(ctx, ctx.registry()?, model, ModelKind::Image, |provider| {
                ImageFamily::of(provider).is_some()
            })?;
        let timeout = deadline::bounded(timeout_ms, selection.configured_timeout, DEFAULT_TIMEOUT);
        Ok(Settings {
            candidates: selection.candidates,
            deadline: Instant::now() + timeout,
        })
    }
}

/// A hint as the user gave it, named as in `ignoredOverrides`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Size,
    AspectRatio,
    Resolution,
    OutputFormat,
    Background,
    Moderation,
    Quality,
}

impl Hint {
    pub fn name(self) -> &'static str {
        match self {
            Hint::Size => "size",
            Hint::AspectRatio => "aspectRatio",
            Hint::Resolution => "resolution",
            Hint::OutputFormat => "outputFormat",
            Hint::Background => "background",
            Hint::Moderation => "moderation",
            Hint::Quality => "quality",
        }
    }
}

impl ImageFamily {
    /// The provider's image API, as the registry resolved it.
    pub fn of(provider: &Provider) -> Option<ImageFamily> {
        provider.apis.image
    }

    pub fn hints(self) -> &'static [Hint] {
        match self {
            ImageFamily::OpenAi => &[
                Hint::Size,
                Hint::AspectRatio,
                Hint::OutputFormat,
                Hint::Background,
                Hint::Moderation,
                Hint::Quality,
            ],
            ImageFamily::Xai | ImageFamily::Google | ImageFamily::OpenRouter => {
                &[Hint::AspectRatio, Hint::Resolution]
            }
            ImageFamily::HuggingFace => &[Hint::Size],
            ImageFamily::Fal => &[Hint::Size, Hint::AspectRatio, Hint::OutputFormat],
        }
    }

    pub fn edits(self) -> bool {
        self != ImageFamily::HuggingFace
    }
}

/// The user's request before it meets a provider.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    pub count: u32,
    pub size: Option<String>,
    pub aspect_ratio: Option<String>,
    pub resolution: Option<String>,
    pub output_format: Option<String>,
    pub background: Option<String>,
    pub moderation: Option<String>,
    pub quality: Option<String>,
}

/// OpenAI sizes for an aspect ratio when no size was given.
fn openai_size_for(ratio: &str) -> &'static str {
    let (w, h) = ratio
        .split_once(':')
        .and_then(|(w, h)| Some((w.parse::<f64>().ok()?, h.parse::<f64>().ok()?)))
        .unwrap_or((1.0, 1.0));
    if (w - h).abs() < f64::EPSILON {
        "1024x1024"
    } else if w > h {
        "1536x1024"
    } else {
        "1024x1536"
    }
}

/// The request a provider gets, and the hints it drops.
pub fn fit<'a>(
    family: ImageFamily,
    model: &'a str,
    prompt: &'a str,
    inputs: &'a [ImageFile],
    hints: &Hints,
) -> (ImageRequest<'a>, Vec<String>) {
    let supports = |hint: Hint| family.hints().contains(&hint);
    let mut ignored = Vec::new();
    let mut keep = |hint: Hint, value: &Option<String>, ok: bool| -> Option<String> {
        let value = value.clone()?;
        if supports(hint) && ok {
            Some(value)
        } else {
            ignored.push(hint.name().to_owned());
            None
        }
    };
    let resolution_ok = match family {
        ImageFamily::Xai => hints.resolution.as_deref() != Some("4K"),
        _ => true,
    };
    let format_ok = match family {
        ImageFamily::Fal => hints.output_format.as_deref() != Some("webp"),
        _ => true,
    };
    let ratio_ok = match (family, &hints.aspect_ratio) {
        (ImageFamily::Fal, Some(ratio)) => fal::images::aspect_supported(ratio),
        _ => true,
    };
    let mut request = ImageRequest {
        model,
        prompt,
        count: hints.count,
        size: keep(Hint::Size, &hints.size, true),
        aspect_ratio: keep(Hint::AspectRatio, &hints.aspect_ratio, ratio_ok),
        resolution: keep(Hint::Resolution, &hints.resolution, resolution_ok),
        output_format: keep(Hint::OutputFormat, &hints.output_format, format_ok),
        background: keep(Hint::Background, &hints.background, true),
        moderation: keep(Hint::Moderation, &hints.moderation, true),
        quality: keep(Hint::Quality, &hints.quality, true),
        inputs,
    };
    // OpenAI takes geometry as `size` only: an aspect ratio picks one.
    if family == ImageFamily::OpenAi {
        if let Some(ratio) = request.aspect_ratio.take() {
            if request.size.is_none() {
                request.size = Some(openai_size_for(&ratio).to_owned());
            }
        }
    }
    (request, ignored)
}

/// One image as produced, its type checked from its bytes.
#[derive(Debug)]
pub struct Image {
    pub bytes: Vec<u8>,
    pub mime_type: &'static str,
    pub revised_prompt: Option<String>,
}

#[derive(Debug)]
pub struct Generated {
    pub images: Vec<Image>,
    pub ignored: Vec<String>,
}

pub async fn generate<'r>(
    ctx: &Context,
    candidates: &[Resolved<'r>],
    prompt: &str,
    inputs: &[ImageFile],
    hints: &Hints,
    deadline: Option<Instant>,
) -> Result<Success<Generated>, ChainFailure> {
    fallback::run(candidates, deadline, async |candidate, _| {
        generate_one(ctx, candidate, prompt, inputs, hints, deadline).await
    })
    .await
}

async fn generate_one(
    ctx: &Context,
    candidate: &Resolved<'_>,
    prompt: &str,
    inputs: &[ImageFile],
    hints: &Hints,
    deadline: Option<Instant>,
) -> Result<Generated> {
    let provider = candidate.provider;
    let Some(family) = ImageFamily::of(provider) else {
        return Err(Error::unsupported(format!(
            "provider `{}` has no image generation API in this build",
            provider.id
        ))
        .with_hint("see `openclaw infer image providers`"));
    };
    if !inputs.is_empty() && !family.edits() {
        return Err(
            Error::unsupported(format!("provider `{}` cannot edit images", provider.id))
                .with_hint("pick an edit-capable model, see `openclaw infer image providers`"),
        );
    }
    let connection = Connection::open(ctx, provider)?;
    let (request, ignored) = fit(family, &candidate.model.id, prompt, inputs, hints);
    let endpoint = connection.endpoint(deadline);
    let produced: Vec<GeneratedImage> =
        crate::http::with_retries(deadline, async || match family {
            ImageFamily::OpenAi if inputs.is_empty() => {
                openai::images::generate(endpoint, &request).await
            }
            ImageFamily::OpenAi => openai::images::edit(endpoint, &request).await,
            ImageFamily::Xai => xai::images::generate(endpoint, &request).await,
            ImageFamily::Google => google::images::generate(endpoint, &request).await,
            ImageFamily::HuggingFace => huggingface::images::generate(endpoint, &request).await,
            ImageFamily::Fal => fal::images::generate(endpoint, &request).await,
            ImageFamily::OpenRouter => openrouter::images::generate(endpoint, &request).await,
        })
        .await?;
    if produced.is_empty() {
        return Err(Error::provider(
            Reason::Unknown,
            "the provider returned no image",
        ));
    }
    let mut checked = Vec::new();
    for image in produced {
        let mime_type = match media::sniff(&image.bytes) {
            Some(mime) if media::IMAGE_MIME_TYPES.contains(&mime) => mime,
            other => {
                return Err(Error::provider(
                    Reason::Format,
                    format!(
                        "the provider returned {} bytes that are not an image ({})",
                        image.bytes.len(),
                        other.unwrap_or("unrecognised type")
                    ),
                ));
            }
        };
        checked.push(Image {
            bytes: image.bytes,
            mime_type,
            revised_prompt: image.revised_prompt,
        });
    }
    Ok(Generated {
        images: checked,
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints() -> Hints {
        Hints {
            count: 1,
            size: Some("1024x1024".into()),
            aspect_ratio: Some("16:9".into()),
            resolution: Some("2K".into()),
            output_format: Some("webp".into()),
            background: Some("transparent".into()),
            moderation: Some("low".into()),
            quality: Some("high".into()),
        }
    }

    #[test]
    fn unsupported_hints_are_dropped_and_listed() {
        let (request, ignored) = fit(ImageFamily::HuggingFace, "m", "p", &[], &hints());
        assert_eq!(request.size.as_deref(), Some("1024x1024"));
        assert!(request.quality.is_none());
        assert_eq!(
            ignored,
            [
                "aspectRatio",
                "resolution",
                "outputFormat",
                "background",
                "moderation",
                "quality"
            ]
        );
        let (request, ignored) = fit(ImageFamily::OpenAi, "m", "p", &[], &hints());
        assert_eq!(ignored, ["resolution"]);
        assert_eq!(request.size.as_deref(), Some("1024x1024"));
        assert_eq!(request.background.as_deref(), Some("transparent"));
        let (_, ignored) = fit(ImageFamily::Fal, "m", "p", &[], &hints());
        assert!(
            ignored.contains(&"outputFormat".to_owned()),
            "webp: {ignored:?}"
        );
    }

    #[test]
    fn openai_maps_aspect_ratio_to_a_size() {
        let hints = Hints {
            count: 1,
            aspect_ratio: Some("9:16".into()),
            ..Hints::default()
        };
        let (request, ignored) = fit(ImageFamily::OpenAi, "m", "p", &[], &hints);
        assert_eq!(request.size.as_deref(), Some("1024x1536"));
        assert!(request.aspect_ratio.is_none());
        assert!(ignored.is_empty());
    }
}
