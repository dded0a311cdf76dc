//! `infer embedding ...`: create vectors, list embedding providers.
//!
//! Selection: `--model provider/model`, else `--provider` (its default
//! embedding model), else `agents.defaults.memorySearch.{provider, model}`
//! (or `memory.search.*`), else a usable `local` model, else the first of
//! openai, google, voyage, mistral with a key.

use serde::Serialize;
use serde_json::{Value, json};

use super::providers::{self, ProviderRow};
use super::{Failure, Report};
use crate::auth;
use crate::capabilities::embedding::{self, EmbeddingProtocol};
use crate::catalog::ModelKind;
use crate::cli::embedding::EmbeddingCreateArgs;
use crate::context::Context;
use crate::engines::embedding as local_embedding;
use crate::envelope::{Envelope, Timings, Transport};
use crate::error::Result;

pub async fn create(ctx: &Context, args: EmbeddingCreateArgs) -> Result<Report, Failure> {
    let settings = embedding::Settings::resolve(
        ctx,
        embedding::Flags {
            provider: args.provider.as_deref(),
            model: args.model.as_deref(),
        },
    )?;
    let started = std::time::Instant::now();
    let mut envelope = Envelope::success("embedding.create", Transport::Local);
    envelope.provider = Some(settings.provider().to_owned());
    let result = match &settings {
        embedding::Settings::Local(dir) => {
            envelope.model = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            local_embedding::embed(dir, &args.texts).map(|vectors| (vectors, None))
        }
        embedding::Settings::Remote(resolved) => {
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
    let selected = embedding::select(ctx, registry, None, None)
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
        let row = ProviderRow {
            available: credential.is_some() || provider.key_optional,
            configured: credential.is_some() || provider.in_config,
            selected: selected.as_deref() == Some(provider.id.as_str()),
            detail: EmbeddingProvider {
                id: &provider.id,
                transport: "remote",
                provider: &provider.id,
                default_model: default_model.clone().unwrap_or_default(),
                protocol: protocol.as_str(),
                batch_limit: Some(embedding::batch_limit(provider, protocol)),
                note: None,
            },
        };
        text.push_str(&row.line(&[
            (&provider.id, providers::ID),
            (default_model.as_deref().unwrap_or("-"), providers::MODEL),
        ]));
        outputs.push(row.to_value());
    }
    let local_dir = local_embedding::model_dir(ctx)?;
    let local_error = embedding::local_ready(local_dir.clone()).err();
    let local_model = local_dir
        .as_ref()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let local = ProviderRow {
        available: local_error.is_none(),
        configured: local_dir.is_some(),
        selected: selected.as_deref() == Some("local"),
        detail: EmbeddingProvider {
            id: "local",
            transport: "local",
            provider: "local",
            default_model: local_model.clone().unwrap_or_default(),
            protocol: "in-process",
            batch_limit: None,
            note: local_error.as_ref().map(|e| e.message().to_owned()),
        },
    };
    let cells = [
        ("local", providers::ID),
        (local_model.as_deref().unwrap_or("-"), providers::MODEL),
    ];
    // A local model that cannot run says why instead of a state word.
    text.push_str(&match &local_error {
        Some(error) => providers::line(&cells, error.message(), local.selected),
        None => local.line(&cells),
    });
    outputs.push(local.to_value());
    let data = Value::Array(outputs.clone());
    Ok(Report::data(
        Envelope::success("embedding.providers", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}

/// An embedding provider's own keys in `embedding providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddingProvider<'a> {
    id: &'a str,
    transport: &'static str,
    provider: &'a str,
    default_model: String,
    protocol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// f32 values as the shortest decimals that round-trip (`0.3`, not the
/// `0.30000001192092896` a plain f32 -> f64 widening prints).
pub(crate) fn as_json_numbers(vector: &[f32]) -> Vec<Value> {
    vector
        .iter()
        .map(|x| {
            let shortest: f64 = x.to_string().parse().unwrap_or(f64::from(*x));
            serde_json::Number::from_f64(shortest).map_or(Value::Null, Value::Number)
        })
        .collect()
}
