//! `infer image ...`: generate, edit, describe, describe-many, providers.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use super::providers::{self, ProviderRow};
use super::{Failure, Report};
use crate::auth;
use crate::capabilities::fallback::Success;
use crate::capabilities::image_describe::{self, Source};
use crate::capabilities::image_generate::{self, Hints, ImageFamily};
use crate::capabilities::media_models;
use crate::catalog::ModelKind;
use crate::cli::image::{
    DescribeOptions, ImageDescribeArgs, ImageDescribeManyArgs, ImageEditArgs, ImageGenerateArgs,
    ImageOptions,
};
use crate::context::Context;
use crate::envelope::{Envelope, Input, Timings, Transport};
use crate::error::{Error, Result};
use crate::media;
use crate::registry::Resolved;

/// Most images one run asks for (providers cap lower; 4 is common).
const MAX_COUNT: u32 = 10;

pub async fn generate(ctx: &Context, args: ImageGenerateArgs) -> Result<Report, Failure> {
    run_generation(ctx, "image.generate", &args.prompt, &[], &args.options).await
}

pub async fn edit(ctx: &Context, args: ImageEditArgs) -> Result<Report, Failure> {
    let inputs = args
        .files
        .iter()
        .map(|path| media::read_image(path))
        .collect::<Result<Vec<_>>>()?;
    run_generation(ctx, "image.edit", &args.prompt, &inputs, &args.options).await
}

fn hints_from(options: &ImageOptions) -> Hints {
    fn name<T: clap::ValueEnum>(value: &Option<T>) -> Option<String> {
        value
            .as_ref()
            .and_then(|v| v.to_possible_value())
            .map(|v| v.get_name().to_owned())
    }
    Hints {
        count: options.count.unwrap_or(1).min(u64::from(u32::MAX)) as u32,
        size: options.size.clone(),
        aspect_ratio: options.aspect_ratio.clone(),
        resolution: name(&options.resolution),
        output_format: name(&options.output_format),
        background: name(&options.background).or_else(|| name(&options.openai_background)),
        moderation: name(&options.openai_moderation),
        quality: name(&options.quality),
    }
}

/// The default place for generated files: `<state dir>/media/`.
pub fn media_dir(ctx: &Context) -> PathBuf {
    ctx.paths.state_dir.join("media")
}

async fn run_generation(
    ctx: &Context,
    capability: &'static str,
    prompt: &str,
    inputs: &[media::ImageFile],
    options: &ImageOptions,
) -> Result<Report, Failure> {
    let hints = hints_from(options);
    if hints.count > MAX_COUNT {
        return Err(Error::usage(format!(
            "`--count {}` is more than {MAX_COUNT} images in one run",
            hints.count
        ))
        .into());
    }
    let settings =
        image_generate::Settings::resolve(ctx, options.model.as_deref(), options.timeout_ms)?;
    let started = Instant::now();

    let mut envelope = Envelope::success(capability, Transport::Local);
    envelope.inputs = inputs
        .iter()
        .map(|image| Input {
            path: image.path.clone(),
            mime_type: image.mime_type.to_owned(),
        })
        .collect();
    let result = image_generate::generate(
        ctx,
        &settings.candidates,
        prompt,
        inputs,
        &hints,
        Some(settings.deadline),
    )
    .await;
    let success = match result {
        Ok(success) => success,
        Err(failure) => {
            return Err(Failure::chain(failure, envelope));
        }
    };
    envelope.provider = Some(success.provider);
    envelope.model = Some(success.model);
    envelope.attempts = success.attempts;
    envelope.ignored_overrides = success.value.ignored;
    let images = success.value.images;
    let items: Vec<(&[u8], &'static str)> = images
        .iter()
        .map(|image| (image.bytes.as_slice(), image.mime_type))
        .collect();
    let written =
        match media::write_outputs(&items, options.output.as_deref(), &media_dir(ctx), "image") {
            Ok(written) => written,
            Err(error) => {
                return Err(Failure::with(error, envelope));
            }
        };
    envelope.outputs = written
        .iter()
        .zip(&images)
        .map(|(file, image)| {
            let mut value = file.to_json();
            if let Some(revised) = &image.revised_prompt {
                value["revisedPrompt"] = json!(revised);
            }
            value
        })
        .collect();
    envelope.timings = Some(Timings::since(started));
    let text: String = written
        .iter()
        .map(|file| format!("{}\n", file.path.display()))
        .collect();
    Ok(Report::new(envelope, text))
}

/// `image providers`: which providers can generate and edit, and whether
/// each has a key.
pub fn providers(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    // The provider a run would pick: the configured chain's first, else the
    // first provider with a key (an environment key counts).
    let picked = media_models::select(ctx, registry, None, ModelKind::Image, |provider| {
        ImageFamily::of(provider).is_some()
    })
    .ok()
    .and_then(|selection| selection.candidates.first().map(|c| c.provider.id.clone()));
    let mut outputs: Vec<Value> = Vec::new();
    let mut lines = String::new();
    for provider in &registry.providers {
        let has_image_models = provider.defaults.contains_key(&ModelKind::Image)
            || provider.models.iter().any(|m| m.kind == ModelKind::Image);
        let Some(family) = ImageFamily::of(provider).filter(|_| has_image_models) else {
            continue;
        };
        let configured = auth::lookup(provider, profiles).is_some();
        let default_model = provider.defaults.get(&ModelKind::Image).cloned();
        let models: Vec<&str> = provider
            .models
            .iter()
            .filter(|m| m.kind == ModelKind::Image)
            .map(|m| m.id.as_str())
            .collect();
        let selected = picked.as_deref() == Some(provider.id.as_str());
        let hints: Vec<&str> = family.hints().iter().map(|h| h.name()).collect();
        let supports = |hint: &str| hints.contains(&hint);
        let mut output = json!({});
        if supports("outputFormat") {
            output["formats"] = json!(["png", "jpeg", "webp"]);
        }
        if supports("quality") {
            output["qualities"] = json!(["low", "medium", "high", "auto"]);
        }
        if supports("background") {
            output["backgrounds"] = json!(["transparent", "opaque", "auto"]);
        }
        // The reference's row first, then our own keys.
        let row = ProviderRow {
            available: true,
            configured,
            selected,
            detail: ImageProvider {
                id: &provider.id,
                label: &provider.name,
                default_model: default_model
                    .clone()
                    .or_else(|| models.first().map(|m| (*m).to_owned()))
                    .unwrap_or_default(),
                models: models.clone(),
                capabilities: json!({
                    "generate": {
                        "maxCount": 4,
                        "supportsSize": supports("size"),
                        "supportsAspectRatio": supports("aspectRatio"),
                        "supportsResolution": supports("resolution"),
                    },
                    "edit": {
                        "enabled": family.edits(),
                        "maxCount": 4,
                        "maxInputImages": if family.edits() { 1 } else { 0 },
                        "supportsSize": family.edits() && supports("size"),
                        "supportsAspectRatio": family.edits() && supports("aspectRatio"),
                        "supportsResolution": family.edits() && supports("resolution"),
                    },
                    "geometry": {},
                    "output": output,
                }),
                provider: &provider.id,
                generate: true,
                edit: family.edits(),
                hints: hints.clone(),
                env_vars: &provider.env_vars,
            },
        };
        let operations = if family.edits() {
            "generate, edit"
        } else {
            "generate"
        };
        lines.push_str(&row.line(&[
            (&provider.id, providers::ID),
            (operations, 14),
            (default_model.as_deref().unwrap_or("-"), providers::MODEL),
        ]));
        outputs.push(row.to_value());
    }
    let data = Value::Array(outputs.clone());
    let envelope = Envelope::success("image.providers", Transport::Local).with_outputs(outputs);
    Ok(Report::data(envelope, data, lines))
}

/// An image provider's own keys in `image providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageProvider<'a> {
    id: &'a str,
    label: &'a str,
    default_model: String,
    models: Vec<&'a str>,
    capabilities: Value,
    provider: &'a str,
    generate: bool,
    edit: bool,
    hints: Vec<&'a str>,
    env_vars: &'a [String],
}

fn describe_flags(options: &DescribeOptions) -> image_describe::Flags<'_> {
    image_describe::Flags {
        model: options.model.as_deref(),
        prompt: options.prompt.as_deref(),
        timeout_ms: options.timeout_ms,
    }
}

fn description_json(label: &str, success: &Success<String>) -> Value {
    json!({
        "path": label,
        "text": success.value,
        "mediaUrl": null,
        "provider": success.provider,
        "model": success.model,
        "kind": "image.description",
    })
}

pub async fn describe(ctx: &Context, args: ImageDescribeArgs) -> Result<Report, Failure> {
    let file = args
        .file
        .as_deref()
        .ok_or_else(|| Error::usage("`--file` is required"))?;
    let source = image_describe::source(file)?;
    let image_describe::Settings {
        candidates,
        prompt,
        deadline,
    } = image_describe::Settings::resolve(ctx, describe_flags(&args.options))?;
    let mut envelope = Envelope::success("image.describe", Transport::Local);
    if let Source::Local(image) = &source {
        envelope.inputs = vec![Input {
            path: image.path.clone(),
            mime_type: image.mime_type.to_owned(),
        }];
    }
    match image_describe::describe(ctx, &candidates, &source, prompt, deadline).await {
        Ok(success) => {
            envelope.outputs = vec![description_json(source.label(), &success)];
            envelope.provider = Some(success.provider);
            envelope.model = Some(success.model);
            envelope.attempts = success.attempts;
            Ok(Report::new(envelope, format!("{}\n", success.value)))
        }
        Err(failure) => Err(Failure::chain(failure, envelope)),
    }
}

/// `describe-many --together`: one request with every image, one output
/// whose `paths` lists them in order.
async fn describe_together(
    ctx: &Context,
    candidates: &[Resolved<'_>],
    sources: &[Source],
    prompt: &str,
    deadline: Option<Instant>,
) -> Result<Report, Failure> {
    let mut envelope = Envelope::success("image.describe-many", Transport::Local);
    envelope.inputs = sources
        .iter()
        .filter_map(|source| match source {
            Source::Local(image) => Some(Input {
                path: image.path.clone(),
                mime_type: image.mime_type.to_owned(),
            }),
            Source::Remote(_) => None,
        })
        .collect();
    match image_describe::describe_together(ctx, candidates, sources, prompt, deadline).await {
        Ok(success) => {
            let paths: Vec<&str> = sources.iter().map(Source::label).collect();
            let mut output = description_json(&paths.join(", "), &success);
            output["paths"] = json!(paths);
            envelope.outputs = vec![output];
            envelope.provider = Some(success.provider);
            envelope.model = Some(success.model);
            envelope.attempts = success.attempts;
            Ok(Report::new(envelope, format!("{}\n", success.value)))
        }
        Err(failure) => Err(Failure::chain(failure, envelope)),
    }
}

/// Each file on its own, a few at a time, in input order. A file that
/// fails gets `{path, error, kind}` in `outputs` and does not stop the
/// others; the command fails (exit 1, `ok: false`) only if every file failed.
pub async fn describe_many(ctx: &Context, args: ImageDescribeManyArgs) -> Result<Report, Failure> {
    let sources = args
        .files
        .iter()
        .map(|file| image_describe::source(file))
        .collect::<Result<Vec<_>>>()?;
    let image_describe::Settings {
        candidates,
        prompt,
        deadline,
    } = image_describe::Settings::resolve(ctx, describe_flags(&args.options))?;
    let concurrency = ctx.concurrency(args.concurrency)?;
    if args.together {
        return describe_together(ctx, &candidates, &sources, prompt, deadline).await;
    }
    let results =
        image_describe::describe_many(ctx, &candidates, &sources, prompt, deadline, concurrency)
            .await;

    let mut envelope = Envelope::success("image.describe-many", Transport::Local);
    envelope.inputs = sources
        .iter()
        .filter_map(|source| match source {
            Source::Local(image) => Some(Input {
                path: image.path.clone(),
                mime_type: image.mime_type.to_owned(),
            }),
            Source::Remote(_) => None,
        })
        .collect();
    let mut text = String::new();
    let mut first_error = None;
    for (source, result) in sources.iter().zip(results) {
        match result {
            Ok(success) => {
                envelope
                    .outputs
                    .push(description_json(source.label(), &success));
                if envelope.provider.is_none() {
                    envelope.provider = Some(success.provider.clone());
                    envelope.model = Some(success.model.clone());
                }
                envelope.attempts.extend(success.attempts);
                text.push_str(&format!("{}:\n{}\n\n", source.label(), success.value));
            }
            Err(failure) => {
                envelope.outputs.push(json!({
                    "path": source.label(),
                    "error": crate::envelope::ErrorBody::from(&failure.error),
                    "kind": "image.description",
                }));
                envelope.attempts.extend(failure.attempts);
                text.push_str(&format!(
                    "{}:\nerror: {}\n\n",
                    source.label(),
                    failure.error.message()
                ));
                if first_error.is_none() {
                    first_error = Some(failure.error);
                }
            }
        }
    }
    let all_failed = envelope.provider.is_none();
    match first_error {
        Some(error) if all_failed => {
            envelope.ok = false;
            let error = if sources.len() > 1 {
                let first = error.message().to_owned();
                error.with_message(format!(
                    "all {} images failed; first: {first}",
                    sources.len()
                ))
            } else {
                error
            };
            Err(Failure {
                error,
                envelope: Some(envelope),
            })
        }
        _ => Ok(Report::new(envelope, text.trim_end().to_owned() + "\n")),
    }
}
