//! `infer embedding ...`: create vectors, list embedding providers.

use serde_json::{Value, json};

use super::{Failure, Report};
use crate::auth;
use crate::capabilities::embedding::{self, EmbeddingProtocol};
use crate::catalog::ModelKind;
use crate::cli::embedding::EmbeddingCreateArgs;
use crate::context::Context;
use crate::envelope::{Envelope, Timings, Transport};
use crate::error::{Error, Result};
use crate::registry::{Registry, Resolved};

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

fn select<'r>(
    ctx: &Context,
    registry: &'r Registry,
    provider: Option<&str>,
    model: Option<&str>,
) -> Result<Resolved<'r>> {
    if let Some(reference) = model {
        let resolved = registry.resolve(reference, ModelKind::Embedding)?;
        if let Some(asked) = provider {
            if provider_id(asked) != resolved.provider.id {
                return Err(Error::usage(format!(
                    "`--provider {asked}` disagrees with `--model {reference}` (provider `{}`)",
                    resolved.provider.id
                ))
                .with_hint("drop one of the two flags, or make them name the same provider"));
            }
        }
        return Ok(resolved);
    }
    if let Some(asked) = provider {
        return default_of(registry, &provider_id(asked));
    }
    match configured(ctx)? {
        (Some(provider), Some(model)) => {
            let provider = provider_id(&provider);
            let reference = if model.contains('/')
                && registry
                    .resolve(&model, ModelKind::Embedding)
                    .is_ok_and(|r| r.provider.id == provider)
            {
                model
            } else {
                format!("{provider}/{model}")
            };
            registry
                .resolve(&reference, ModelKind::Embedding)
                .map_err(|e| e.context("agents.defaults.memorySearch"))
        }
        (Some(provider), None) => default_of(registry, &provider_id(&provider))
            .map_err(|e| e.context("agents.defaults.memorySearch.provider")),
        (None, Some(model)) => registry
            .resolve(&model, ModelKind::Embedding)
            .map_err(|e| e.context("agents.defaults.memorySearch.model")),
        (None, None) => {
            let profiles = ctx.profiles()?;
            for id in AUTO_ORDER {
                if let Some(provider) = registry.provider(id) {
                    if auth::lookup(provider, profiles).is_some() {
                        return default_of(registry, id);
                    }
                }
            }
            Err(Error::usage("no embedding provider given, configured, or with a key")
                .with_hint("pass `--provider <id>` or `--model <provider/model>`, or set `agents.defaults.memorySearch.provider`"))
        }
    }
}

fn default_of<'r>(registry: &'r Registry, id: &str) -> Result<Resolved<'r>> {
    if id == "local" {
        return Err(local_unavailable());
    }
    registry.default_for(id, ModelKind::Embedding)
}

fn local_unavailable() -> Error {
    Error::unsupported("in-process `local` embeddings are not available in this build")
        .with_hint("use an embeddings server instead, e.g. a `models.providers` entry pointing at an OpenAI-compatible `/v1/embeddings`")
}

pub async fn create(ctx: &Context, args: EmbeddingCreateArgs) -> Result<Report, Failure> {
    if let Some(model) = args.model.as_deref() {
        crate::registry::ModelRef::parse(model)?;
    }
    if args.model.is_none()
        && args
            .provider
            .as_deref()
            .is_some_and(|p| provider_id(p) == "local")
    {
        return Err(local_unavailable().into());
    }
    let registry = ctx.registry()?;
    let target = select(
        ctx,
        registry,
        args.provider.as_deref(),
        args.model.as_deref(),
    )?;
    if EmbeddingProtocol::for_provider(target.provider).is_none() {
        return Err(Error::usage(format!(
            "provider `{}` has no embeddings API",
            target.provider.id
        ))
        .with_hint("`openclaw infer embedding providers` lists the embedding providers")
        .into());
    }
    let started = std::time::Instant::now();
    let mut envelope = Envelope::success("embedding.create", Transport::Local);
    envelope.provider = Some(target.provider.id.clone());
    envelope.model = Some(target.model.id.clone());
    match embedding::create(ctx, &target, &args.texts).await {
        Ok(outcome) => {
            let mut text = String::new();
            for (input, vector) in args.texts.iter().zip(&outcome.vectors) {
                envelope.outputs.push(json!({"text": input, "embedding": as_json_numbers(vector), "dimensions": vector.len()}));
                text.push_str(&serde_json::to_string(vector).expect("floats serialize"));
                text.push('\n');
            }
            envelope.usage = outcome.usage;
            envelope.timings = Some(Timings {
                total_ms: started.elapsed().as_millis() as u64,
                first_token_ms: None,
            });
            Ok(Report::new(envelope, text))
        }
        Err(error) => {
            envelope.ok = false;
            Err(Failure {
                error,
                envelope: Some(envelope),
            })
        }
    }
}

pub fn providers(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    let selected = select(ctx, registry, None, None)
        .ok()
        .map(|r| r.provider.id.clone());
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
        let configured = credential.is_some() || provider.in_config;
        let available = credential.is_some() || provider.key_optional;
        let is_selected = selected.as_deref() == Some(provider.id.as_str());
        outputs.push(json!({
            "provider": provider.id,
            "defaultModel": default_model,
            "protocol": protocol.as_str(),
            "batchLimit": embedding::batch_limit(provider, protocol),
            "available": available,
            "configured": configured,
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
    outputs.push(json!({
        "provider": "local",
        "defaultModel": null,
        "protocol": "in-process",
        "available": false,
        "configured": false,
        "selected": false,
        "note": "not available in this build",
    }));
    text.push_str(&format!(
        "{:14} {:28} not available in this build\n",
        "local", "-"
    ));
    Ok(Report::new(
        Envelope::success("embedding.providers", Transport::Local).with_outputs(outputs),
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
