//! `infer embedding ...`: create vectors, list embedding providers.
//!
//! Selection: `--model provider/model`, else `--provider` (its default
//! embedding model), else `agents.defaults.memorySearch.{provider, model}`
//! (or `memory.search.*`), else a usable `local` model, else the first of
//! openai, google, voyage, mistral with a key.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{Failure, Report};
use crate::auth;
use crate::capabilities::embedding::{self, EmbeddingProtocol};
use crate::catalog::ModelKind;
use crate::cli::embedding::EmbeddingCreateArgs;
use crate::context::Context;
use crate::engines::embedding as local_embedding;
use crate::envelope::{Envelope, Timings, Transport};
use crate::error::{Error, Result};
use crate::registry::{ModelRef, Registry, Resolved};

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

/// Where the vectors come from.
enum Target<'r> {
    Remote(Box<Resolved<'r>>),
    /// In-process, from the model directory (when one is configured).
    Local(Option<PathBuf>),
}

impl Target<'_> {
    fn provider(&self) -> &str {
        match self {
            Target::Remote(resolved) => &resolved.provider.id,
            Target::Local(_) => "local",
        }
    }
}

fn select<'r>(
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

/// The local model directory, or the reason `local` cannot run here.
fn local_ready(dir: Option<&Path>) -> Result<&Path> {
    if !local_embedding::BUILT_IN {
        return Err(local_embedding::not_built());
    }
    let dir = dir.ok_or_else(|| {
        Error::usage("no `local` embedding model configured").with_hint(
            "set `agents.defaults.memorySearch.local.modelPath` or OPENCLAW_LOCAL_EMBEDDING_MODEL to the model directory",
        )
    })?;
    local_embedding::check(dir)?;
    Ok(dir)
}

pub async fn create(ctx: &Context, args: EmbeddingCreateArgs) -> Result<Report, Failure> {
    if let Some(model) = args.model.as_deref() {
        ModelRef::parse(model)?;
    }
    let registry = ctx.registry()?;
    let target = select(
        ctx,
        registry,
        args.provider.as_deref(),
        args.model.as_deref(),
    )?;
    let local_dir = match &target {
        Target::Remote(resolved) => {
            if EmbeddingProtocol::for_provider(resolved.provider).is_none() {
                return Err(Error::usage(format!(
                    "provider `{}` has no embeddings API",
                    resolved.provider.id
                ))
                .with_hint("`openclaw infer embedding providers` lists the embedding providers")
                .into());
            }
            None
        }
        Target::Local(dir) => Some(local_ready(dir.as_deref())?),
    };
    let started = std::time::Instant::now();
    let mut envelope = Envelope::success("embedding.create", Transport::Local);
    envelope.provider = Some(target.provider().to_owned());
    let result = match (&target, local_dir) {
        (_, Some(dir)) => {
            envelope.model = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            local_embedding::embed(dir, &args.texts).map(|vectors| (vectors, None))
        }
        (Target::Remote(resolved), None) => {
            envelope.model = Some(resolved.model.id.clone());
            embedding::create(ctx, resolved, &args.texts)
                .await
                .map(|o| {
                    let usage = o.usage.map(|mut usage| {
                        usage.cost = crate::cost::of(&usage, &resolved.model);
                        usage
                    });
                    (o.vectors, usage)
                })
        }
        (Target::Local(_), None) => unreachable!("local targets always have a checked directory"),
    };
    match result {
        Ok((vectors, usage)) => {
            let mut text = String::new();
            for (input, vector) in args.texts.iter().zip(&vectors) {
                envelope.outputs.push(json!({"text": input, "embedding": as_json_numbers(vector), "dimensions": vector.len()}));
                text.push_str(&serde_json::to_string(vector).expect("floats serialize"));
                text.push('\n');
            }
            envelope.usage = usage;
            envelope.timings = Some(Timings::since(started));
            Ok(Report::new(envelope, text))
        }
        Err(error) => Err(Failure::with(error, envelope)),
    }
}

pub fn providers(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    let selected = select(ctx, registry, None, None)
        .ok()
        .map(|t| t.provider().to_owned());
    let mut outputs = Vec::new();
    let mut text = String::new();
    for provider in &registry.providers {
        let Some(protocol) = EmbeddingProtocol::for_provider(provider) else {
            continue;
        };
        let default_model = registry
            .default_for(&provider.id, ModelKind::Embedding)
            .ok()
            .map(|r| r.model.id);
        // Chat-only providers speak an OpenAI-style API but list no embedding model.
        if default_model.is_none() && provider.in_catalog && !provider.in_config {
            continue;
        }
        let credential = auth::lookup(provider, profiles);
        let available = credential.is_some() || provider.key_optional;
        let is_selected = selected.as_deref() == Some(provider.id.as_str());
        outputs.push(json!({
            "id": provider.id,
            "transport": "remote",
            "provider": provider.id,
            "defaultModel": default_model.clone().unwrap_or_default(),
            "protocol": protocol.as_str(),
            "batchLimit": embedding::batch_limit(provider, protocol),
            "available": available,
            "configured": credential.is_some() || provider.in_config,
            "selected": is_selected,
        }));
        text.push_str(&format!(
            "{:14} {:28} {}{}\n",
            provider.id,
            default_model.as_deref().unwrap_or("-"),
            if available {
                "available"
            } else {
                "no credential"
            },
            if is_selected { "  (selected)" } else { "" }
        ));
    }
    let local_dir = local_embedding::model_dir(ctx)?;
    let local_error = local_ready(local_dir.as_deref()).err();
    let local_model = local_dir
        .as_ref()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let local_selected = selected.as_deref() == Some("local");
    let mut local = json!({
        "id": "local",
        "transport": "local",
        "provider": "local",
        "defaultModel": local_model.clone().unwrap_or_default(),
        "protocol": "in-process",
        "available": local_error.is_none(),
        "configured": local_dir.is_some(),
        "selected": local_selected,
    });
    if let Some(error) = &local_error {
        local["note"] = json!(error.message());
    }
    outputs.push(local);
    text.push_str(&format!(
        "{:14} {:28} {}{}\n",
        "local",
        local_model.as_deref().unwrap_or("-"),
        local_error.as_ref().map_or("available", |e| e.message()),
        if local_selected { "  (selected)" } else { "" }
    ));
    let data = Value::Array(outputs.clone());
    Ok(Report::data(
        Envelope::success("embedding.providers", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}

/// f32 values as the shortest decimals that round-trip (`0.3`, not the
/// `0.30000001192092896` a plain f32 -> f64 widening prints).
fn as_json_numbers(vector: &[f32]) -> Vec<Value> {
    vector
        .iter()
        .map(|x| {
            let shortest: f64 = x.to_string().parse().unwrap_or(f64::from(*x));
            serde_json::Number::from_f64(shortest).map_or(Value::Null, Value::Number)
        })
        .collect()
}
