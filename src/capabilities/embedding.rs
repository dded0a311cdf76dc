//! `embedding.create`: texts to vectors through one provider. Texts go in
//! as few requests as the provider's batch limit allows, in input order.

use std::path::PathBuf;

use serde_json::Value;

use crate::auth;
use crate::capabilities::provider_call::{Connection, with_retries};
use crate::catalog::ModelKind;
use crate::context::Context;
use crate::engines::embedding as local_embedding;
use crate::envelope::Usage;
use crate::error::{Error, Result};
use crate::protocols::{EmbeddingResponse, google, ollama, openai};
use crate::registry::{ModelRef, Provider, Registry, Resolved};

pub use crate::catalog::EmbeddingProtocol;

impl EmbeddingProtocol {
    /// The provider's embedding API, as the registry resolved it.
    pub fn for_provider(provider: &Provider) -> Option<EmbeddingProtocol> {
        provider.apis.embedding
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EmbeddingProtocol::OpenAi => "openai-embeddings",
            EmbeddingProtocol::Voyage => "voyage-embeddings",
            EmbeddingProtocol::Gemini => "gemini-batch-embed",
            EmbeddingProtocol::Ollama => "ollama-embed",
        }
    }
}

/// Most texts one request may carry (the providers' documented limits;
/// a conservative figure where none is published).
pub fn batch_limit(provider: &Provider, protocol: EmbeddingProtocol) -> usize {
    match (provider.id.as_str(), protocol) {
        ("openai", _) => 2048,
        (_, EmbeddingProtocol::Voyage) => 1000,
        (_, EmbeddingProtocol::Gemini) => 100,
        ("mistral", _) => 128,
        _ => 256,
    }
}

pub struct EmbeddingOutcome {
    pub vectors: Vec<Vec<f32>>,
    pub usage: Option<Usage>,
}

pub async fn create(
    ctx: &Context,
    target: &Resolved<'_>,
    texts: &[String],
) -> Result<EmbeddingOutcome> {
    let provider = target.provider;
    let protocol = EmbeddingProtocol::for_provider(provider).ok_or_else(|| {
        Error::usage(format!("provider `{}` has no embeddings API", provider.id))
            .with_hint("`openclaw infer embedding providers` lists the embedding providers")
    })?;
    let connection = Connection::open(ctx, provider)?;
    let model = target.model.id.as_str();
    let mut vectors = Vec::with_capacity(texts.len());
    let mut usage: Option<Usage> = None;
    for chunk in texts.chunks(batch_limit(provider, protocol)) {
        let response: EmbeddingResponse = with_retries(|| {
            let endpoint = connection.endpoint(connection.deadline(None));
            async move {
                match protocol {
                    // Voyage's `input_type` is optional; without it the text is embedded as is.
                    EmbeddingProtocol::OpenAi | EmbeddingProtocol::Voyage => {
                        openai::embeddings::embed(endpoint, model, chunk, None).await
                    }
                    EmbeddingProtocol::Gemini => {
                        google::embeddings::embed(endpoint, model, chunk).await
                    }
                    EmbeddingProtocol::Ollama => {
                        ollama::embeddings::embed(endpoint, model, chunk).await
                    }
                }
            }
        })
        .await?;
        vectors.extend(response.vectors);
        if let Some(more) = response.usage {
            let total = usage.get_or_insert_with(Usage::default);
            total.input_tokens = add(total.input_tokens, more.input_tokens);
            total.total_tokens = add(total.total_tokens, more.total_tokens);
        }
    }
    Ok(EmbeddingOutcome { vectors, usage })
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

// ---------------------------------------------------------------------------
// Selection: `--model`, else `--provider`, else the memory-search settings,
// else a usable local model, else the first provider in AUTO_ORDER with a key.

/// Providers tried, in order, when nothing selects one.
const AUTO_ORDER: [&str; 4] = ["openai", "google", "voyage", "mistral"];

/// The reference tool names Google's provider `gemini` in memory settings.
fn provider_id(id: &str) -> String {
    let lower = id.trim().to_ascii_lowercase();
    if lower == "gemini" {
        "google".to_owned()
    } else {
        lower
    }
}

/// `{provider, model}` from `agents.defaults.memorySearch`, else `memory.search`.
fn configured(ctx: &Context) -> Result<(Option<String>, Option<String>)> {
    let config = ctx.config()?;
    let sections = [
        config.agents.defaults.memory_search.as_ref(),
        config.memory.as_ref().and_then(|m| m.get("search")),
    ];
    for section in sections.into_iter().flatten() {
        let text = |key: &str| {
            section
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
        };
        let (provider, model) = (text("provider").filter(|p| p != "auto"), text("model"));
        if provider.is_some() || model.is_some() {
            return Ok((provider, model));
        }
    }
    Ok((None, None))
}

/// What `embedding create` takes from its flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
}

/// The checked engine one `embedding create` uses: a remote model whose
/// provider speaks an embeddings API, or a local model directory that is
/// there and loads in this build.
pub enum Settings<'r> {
    Remote(Box<Resolved<'r>>),
    Local(PathBuf),
}

impl<'r> Settings<'r> {
    pub fn resolve(ctx: &'r Context, flags: Flags<'_>) -> Result<Settings<'r>> {
        if let Some(model) = flags.model {
            ModelRef::parse(model)?;
        }
        match select(ctx, ctx.registry()?, flags.provider, flags.model)? {
            Target::Remote(resolved) => {
                if EmbeddingProtocol::for_provider(resolved.provider).is_none() {
                    return Err(Error::usage(format!(
                        "provider `{}` has no embeddings API",
                        resolved.provider.id
                    ))
                    .with_hint(
                        "`openclaw infer embedding providers` lists the embedding providers",
                    ));
                }
                Ok(Settings::Remote(resolved))
            }
            Target::Local(dir) => Ok(Settings::Local(local_ready(dir)?)),
        }
    }

    pub fn provider(&self) -> &str {
        match self {
            Settings::Remote(resolved) => &resolved.provider.id,
            Settings::Local(_) => "local",
        }
    }
}

/// The local model directory, or the reason `local` cannot run here.
pub fn local_ready(dir: Option<PathBuf>) -> Result<PathBuf> {
    if !local_embedding::BUILT_IN {
        return Err(local_embedding::not_built());
    }
    let dir = dir.ok_or_else(|| {
        Error::usage("no `local` embedding model configured").with_hint(
            "set `agents.defaults.memorySearch.local.modelPath` or OPENCLAW_LOCAL_EMBEDDING_MODEL to the model directory",
        )
    })?;
    local_embedding::check(&dir)?;
    Ok(dir)
}

/// Where the vectors come from.
pub enum Target<'r> {
    Remote(Box<Resolved<'r>>),
    /// In-process, from the model directory (when one is configured).
    Local(Option<PathBuf>),
}

impl Target<'_> {
    pub fn provider(&self) -> &str {
        match self {
            Target::Remote(resolved) => &resolved.provider.id,
            Target::Local(_) => "local",
        }
    }
}

pub fn select<'r>(
    ctx: &Context,
    registry: &'r Registry,
    provider: Option<&str>,
    model: Option<&str>,
) -> Result<Target<'r>> {
    if let Some(reference) = model {
        let parsed = ModelRef::parse(reference)?;
        let model_provider = if parsed.provider.eq_ignore_ascii_case("local") {
            "local".to_owned()
        } else {
            registry
                .resolve(reference, ModelKind::Embedding)?
                .provider
                .id
                .clone()
        };
        if let Some(asked) = provider {
            if provider_id(asked) != model_provider {
                return Err(Error::usage(format!(
                    "`--provider {asked}` disagrees with `--model {reference}` (provider `{model_provider}`)"
                ))
                .with_hint("drop one of the two flags, or make them name the same provider"));
            }
        }
        if model_provider == "local" {
            return Ok(Target::Local(local_embedding::model_dir(ctx)?));
        }
        return Ok(Target::Remote(Box::new(
            registry.resolve(reference, ModelKind::Embedding)?,
        )));
    }
    if let Some(asked) = provider {
        return default_of(ctx, registry, &provider_id(asked));
    }
    match configured(ctx)? {
        (Some(provider), Some(model)) => {
            let provider = provider_id(&provider);
            if provider == "local" {
                return default_of(ctx, registry, "local");
            }
            let full = model.contains('/')
                && registry
                    .resolve(&model, ModelKind::Embedding)
                    .is_ok_and(|r| r.provider.id == provider);
            let reference = if full {
                model
            } else {
                format!("{provider}/{model}")
            };
            registry
                .resolve(&reference, ModelKind::Embedding)
                .map(|r| Target::Remote(Box::new(r)))
                .map_err(|e| e.context("agents.defaults.memorySearch"))
        }
        (Some(provider), None) => default_of(ctx, registry, &provider_id(&provider))
            .map_err(|e| e.context("agents.defaults.memorySearch.provider")),
        (None, Some(model)) => registry
            .resolve(&model, ModelKind::Embedding)
            .map(|r| Target::Remote(Box::new(r)))
            .map_err(|e| e.context("agents.defaults.memorySearch.model")),
        (None, None) => {
            // A usable local model wins: it needs no key and no network.
            if local_embedding::BUILT_IN {
                if let Some(dir) = local_embedding::model_dir(ctx)? {
                    if local_embedding::check(&dir).is_ok() {
                        return Ok(Target::Local(Some(dir)));
                    }
                }
            }
            let profiles = ctx.profiles()?;
            for id in AUTO_ORDER {
                if let Some(provider) = registry.provider(id) {
                    if auth::lookup(provider, profiles).is_some() {
                        return default_of(ctx, registry, id);
                    }
                }
            }
            Err(Error::usage("no embedding provider given, configured, or with a key").with_hint(
                "pass `--provider <id>` or `--model <provider/model>`, or set `agents.defaults.memorySearch.provider`",
            ))
        }
    }
}

fn default_of<'r>(ctx: &Context, registry: &'r Registry, id: &str) -> Result<Target<'r>> {
    if id == "local" {
        return Ok(Target::Local(local_embedding::model_dir(ctx)?));
    }
    registry
        .default_for(id, ModelKind::Embedding)
        .map(|r| Target::Remote(Box::new(r)))
}
