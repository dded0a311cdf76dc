//! `image.describe` / `image.describe-many`: one image through an
//! image-capable chat model (any chat protocol `protocols::chat` speaks),
//! with the candidate chain of `fallback::run`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::fallback::{self, ChainFailure, Success};
use super::{model_run, web_fetch};
use crate::catalog::{Modality, ModelKind};
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::media::{self, ImageFile};
use crate::registry::{Registry, Resolved};

/// Largest image fetched from a URL.
pub const MAX_REMOTE_IMAGE_BYTES: usize = 20 * 1024 * 1024;

pub const DEFAULT_PROMPT: &str = "Describe this image in detail: the subject, setting, any visible \
text, and anything notable.";

/// What `image describe` and `describe-many` take from their flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub model: Option<&'a str>,
    pub prompt: Option<&'a str>,
    pub timeout_ms: Option<u64>,
}

/// What one description run uses: the candidates in order, the prompt and
/// the deadline (`--timeout-ms`, else the agent's timeout).
pub struct Settings<'r, 'f> {
    pub candidates: Vec<Resolved<'r>>,
    pub prompt: &'f str,
    pub deadline: Option<Instant>,
}

impl<'r, 'f> Settings<'r, 'f> {
    pub fn resolve(ctx: &'r Context, flags: Flags<'f>) -> Result<Settings<'r, 'f>> {
        Ok(Settings {
            candidates: candidates(ctx, ctx.registry()?, flags.model)?,
            prompt: flags.prompt.unwrap_or(DEFAULT_PROMPT),
            deadline: super::deadline::agent_deadline(ctx, flags.timeout_ms)?,
        })
    }
}

/// `--model` first, then `imageModel.fallbacks`; without `--model`, the
/// configured `imageModel` chain. Every candidate must take image input.
pub fn candidates<'r>(
    ctx: &Context,
    registry: &'r Registry,
    model: Option<&str>,
) -> Result<Vec<Resolved<'r>>> {
    let selection = ctx.config()?.agents.defaults.image_model.as_ref();
    let mut chain = Vec::new();
    match model {
        Some(reference) => chain.push(registry.resolve(reference, ModelKind::Chat)?),
        None => match selection.and_then(|s| s.primary()) {
            Some(primary) => chain.push(
                registry
                    .resolve(primary, ModelKind::Chat)
                    .map_err(|e| e.context("agents.defaults.imageModel.primary"))?,
            ),
            // No image model: the primary chat model, when it takes images.
            None => match primary_with_images(ctx, registry)? {
                Some(primary) => chain.push(primary),
                None => {
                    return Err(Error::usage("no image model given and none configured")
                        .with_hint("pass `--model <provider/model>` (an image-capable model) or set `agents.defaults.imageModel.primary`"));
                }
            },
        },
    }
    for fallback in selection.map(|s| s.fallbacks()).unwrap_or_default() {
        let resolved = registry
            .resolve(fallback, ModelKind::Chat)
            .map_err(|e| e.context("agents.defaults.imageModel.fallbacks"))?;
        if !chain
            .iter()
            .any(|c: &Resolved<'_>| c.model.reference() == resolved.model.reference())
        {
            chain.push(resolved);
        }
    }
    for candidate in &chain {
        if !candidate.model.accepts(Modality::Image) {
            let reference = candidate.model.reference();
            let error = if candidate.model.known {
                Error::usage(format!("model `{reference}` does not accept image input"))
            } else {
                Error::usage(format!(
                    "model `{reference}` is not listed as image-capable"
                ))
                .with_hint(format!(
                    "declare it under `models.providers.{}.models` with `input: [\"text\", \"image\"]`",
                    candidate.provider.id
                ))
            };
            return Err(error.with_hint(
                "pick a model whose catalog row lists `image` input (see `openclaw infer model list`)",
            ));
        }
    }
    Ok(chain)
}

/// `agents.defaults.model.primary` when it resolves to a model whose row
/// lists image input.
fn primary_with_images<'r>(ctx: &Context, registry: &'r Registry) -> Result<Option<Resolved<'r>>> {
    let primary = ctx
        .config()?
        .agents
        .defaults
        .model
        .as_ref()
        .and_then(|selection| selection.primary());
    let Some(primary) = primary else {
        return Ok(None);
    };
    Ok(registry
        .resolve(primary, ModelKind::Chat)
        .ok()
        .filter(|resolved| resolved.model.accepts(Modality::Image)))
}

/// A `--file` value: a local path (read now) or an http(s) URL (fetched
/// when its turn comes).
#[derive(Debug, Clone)]
pub enum Source {
    Local(ImageFile),
    Remote(String),
}

impl Source {
    pub fn label(&self) -> &str {
        match self {
            Source::Local(image) => &image.path,
            Source::Remote(url) => url,
        }
    }
}

/// Classify and check one `--file` before any request.
pub fn source(value: &str) -> Result<Source> {
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(Source::Remote(value.to_owned()));
    }
    if lower.contains("://") {
        return Err(Error::usage(format!(
            "--file {value}: only local paths and http(s) URLs are supported"
        )));
    }
    media::read_image(std::path::Path::new(value)).map(Source::Local)
}

async fn load(ctx: &Context, source: &Source, deadline: Option<Instant>) -> Result<ImageFile> {
    match source {
        Source::Local(image) => Ok(image.clone()),
        Source::Remote(url) => {
            let page = fetch_remote(ctx, url, deadline).await?;
            match media::sniff(&page.body) {
                Some(mime) if media::IMAGE_MIME_TYPES.contains(&mime) => Ok(ImageFile {
                    path: url.clone(),
                    mime_type: mime,
                    bytes: page.body,
                }),
                other => Err(Error::usage(format!(
                    "{} is not a supported image ({}; server said {})",
                    http::redact_url(url),
                    other.unwrap_or("unrecognised type"),
                    page.content_type.as_deref().unwrap_or("no content type")
                ))),
            }
        }
    }
}

/// An image named by URL, through `web fetch`'s guarded fetcher: every
/// hop's addresses are checked against `tools.web.fetch.ssrfPolicy` and
/// pinned, redirects are re-checked, and the body is capped.
async fn fetch_remote(
    ctx: &Context,
    url: &str,
    deadline: Option<Instant>,
) -> Result<crate::web::fetch::RawPage> {
    use crate::web::{config, fetch, ssrf::Guard};
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| Error::usage(format!("--file {url} is not a valid URL: {error}")))?;
    let settings = config::fetch_settings(ctx.config()?)?;
    let options = fetch::FetchOptions {
        max_response_bytes: MAX_REMOTE_IMAGE_BYTES,
        timeout: deadline.map_or(Duration::from_secs(60), |d| {
            d.saturating_duration_since(Instant::now())
        }),
        max_redirects: settings.max_redirects.unwrap_or(3),
        user_agent: concat!("openclaw/", env!("CARGO_PKG_VERSION")).to_owned(),
        guard: Guard::new(web_fetch::ssrf_policy(&settings)),
    };
    let page = fetch::fetch(&parsed, &options).await?;
    let shown = http::redact_url(url);
    if page.truncated {
        return Err(Error::usage(format!(
            "{shown} is larger than {} MB",
            MAX_REMOTE_IMAGE_BYTES / (1024 * 1024)
        )));
    }
    if !(200..300).contains(&page.status) {
        let status =
            reqwest::StatusCode::from_u16(page.status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        return Err(http::error_from_parts(status, None, "").context(format!("fetching {shown}")));
    }
    Ok(page)
}

/// One description, or why it failed.
pub type Described = Result<Success<String>, ChainFailure>;

pub async fn describe(
    ctx: &Context,
    candidates: &[Resolved<'_>],
    source: &Source,
    prompt: &str,
    deadline: Option<Instant>,
) -> Described {
    // Input preparation fails before any model is tried.
    let image = load(ctx, source, deadline)
        .await
        .map_err(|error| ChainFailure {
            error,
            attempts: Vec::new(),
            provider: None,
            model: None,
        })?;
    let images = [image];
    fallback::run(candidates, deadline, async |candidate, _| {
        describe_one(ctx, candidate, &images, prompt, deadline).await
    })
    .await
}

/// Every source in one request: one answer about all of them (in the order
/// given), with the candidate chain of `fallback::run`.
pub async fn describe_together(
    ctx: &Context,
    candidates: &[Resolved<'_>],
    sources: &[Source],
    prompt: &str,
    deadline: Option<Instant>,
) -> Described {
    let mut images = Vec::with_capacity(sources.len());
    for source in sources {
        let image = load(ctx, source, deadline)
            .await
            .map_err(|error| ChainFailure {
                error,
                attempts: Vec::new(),
                provider: None,
                model: None,
            })?;
        images.push(image);
    }
    fallback::run(candidates, deadline, async |candidate, _| {
        describe_one(ctx, candidate, &images, prompt, deadline).await
    })
    .await
}

/// Every source, at most `concurrency` at a time, results in input order.
pub async fn describe_many(
    ctx: &Context,
    candidates: &[Resolved<'_>],
    sources: &[Source],
    prompt: &str,
    deadline: Option<Instant>,
    concurrency: usize,
) -> Vec<Described> {
    futures_util::stream::iter(sources)
        .map(|source| describe(ctx, candidates, source, prompt, deadline))
        .buffered(concurrency)
        .collect()
        .await
}

async fn describe_one(
    ctx: &Context,
    candidate: &Resolved<'_>,
    images: &[ImageFile],
    prompt: &str,
    deadline: Option<Instant>,
) -> Result<String> {
    let request = model_run::chat_request(candidate, prompt, images);
    let response = model_run::chat_with_retries(ctx, candidate, &request, deadline, None).await?;
    let text = response.text.trim().to_owned();
    if text.is_empty() {
        return Err(Error::provider(
            Reason::Unknown,
            "the model returned no description",
        ));
    }
    Ok(text)
}
