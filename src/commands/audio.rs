//! `infer audio ...`: transcribe a file, list transcription providers.
//!
//! Defaults come from `tools.media.audio` (the reference tool's media
//! understanding settings): `models: [{provider, model}]`, `language`,
//! `prompt`, `maxBytes`, `providerOptions.<provider>`; then the shared
//! `tools.media.models[]` entries whose `capabilities` include `audio`.

use serde::Serialize;
use serde_json::{Value, json};

use super::providers::{self, ProviderRow};
use super::{Failure, Report};
use crate::auth;
use crate::capabilities::audio::{self, TranscriptionProtocol};
use crate::catalog::ModelKind;
use crate::cli::audio::AudioTranscribeArgs;
use crate::context::Context;
use crate::envelope::{Envelope, Input, Timings, Transport};
use crate::error::{Error, Result};

pub async fn transcribe(ctx: &Context, args: AudioTranscribeArgs) -> Result<Report, Failure> {
    let settings = audio::Settings::resolve(
        ctx,
        audio::Flags {
            model: args.model.as_deref(),
            language: args.language.as_deref(),
            prompt: args.prompt.as_deref(),
        },
    )?;
    let target = &settings.target;
    let path = args
        .file
        .as_deref()
        .ok_or_else(|| Error::usage("`--file` is required"))?;
    let file = audio::read_audio(path, settings.max_bytes, &target.provider.id)?;
    let options = settings.options();

    let started = std::time::Instant::now();
    let mut envelope = Envelope::success("audio.transcribe", Transport::Local);
    envelope.provider = Some(target.provider.id.clone());
    envelope.model = Some(target.model.id.clone());
    envelope.inputs = vec![Input {
        path: file.path.clone(),
        mime_type: file.mime_type.to_owned(),
    }];
    match audio::transcribe(ctx, target, &file, &options).await {
        Ok(text) => {
            envelope.outputs = vec![
                json!({"path": file.path, "text": text, "mediaUrl": null, "kind": "audio.transcription"}),
            ];
            envelope.timings = Some(Timings::since(started));
            Ok(Report::new(envelope, format!("{text}\n")))
        }
        Err(error) => Err(Failure::with(error, envelope)),
    }
}

pub fn providers(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    let selected = audio::select(ctx, registry, None)
        .ok()
        .map(|(r, _)| r.provider.id.clone());
    let mut outputs = Vec::new();
    let mut text = String::new();
    for provider in &registry.providers {
        let Some(protocol) = TranscriptionProtocol::for_provider(provider) else {
            continue;
        };
        let default_model = registry
            .default_for(&provider.id, ModelKind::Transcription)
            .ok()
            .map(|r| r.model.id);
        if default_model.is_none() && provider.in_catalog && !provider.in_config {
            continue;
        }
        let credential = auth::lookup(provider, profiles);
        let row = ProviderRow {
            available: credential.is_some() || provider.key_optional,
            configured: credential.is_some() || provider.in_config,
            selected: selected.as_deref() == Some(provider.id.as_str()),
            detail: TranscriptionProvider {
                id: &provider.id,
                capabilities: ["audio"],
                default_models: json!({"audio": default_model.clone().unwrap_or_default()}),
                provider: &provider.id,
                default_model: default_model.clone(),
                protocol: protocol.as_str(),
                max_bytes: protocol.size_limit(),
            },
        };
        text.push_str(&row.line(&[
            (&provider.id, providers::ID),
            (default_model.as_deref().unwrap_or("-"), providers::MODEL),
        ]));
        outputs.push(row.to_value());
    }
    let data = Value::Array(outputs.clone());
    Ok(Report::data(
        Envelope::success("audio.providers", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}

/// A transcription provider's own keys in `audio providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TranscriptionProvider<'a> {
    id: &'a str,
    capabilities: [&'static str; 1],
    default_models: Value,
    provider: &'a str,
    default_model: Option<String>,
    protocol: &'static str,
    max_bytes: u64,
}
