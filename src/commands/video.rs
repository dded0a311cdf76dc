//! `infer video ...`: generate, describe, providers.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::image::media_dir;
use super::providers::{self, ProviderRow};
use super::{Failure, Report};
use crate::auth;
use crate::capabilities::video::{self, VideoFamily, VideoHints};
use crate::catalog::ModelKind;
use crate::cli::common::StreamFormat;
use crate::cli::video::{VideoDescribeArgs, VideoGenerateArgs};
use crate::context::Context;
use crate::envelope::{Envelope, Input, Timings, Transport};
use crate::error::Result;
use crate::media;
use crate::output;

pub async fn generate(ctx: &Context, args: VideoGenerateArgs) -> Result<Report, Failure> {
    let hints = VideoHints {
        size: args.size.clone(),
        aspect_ratio: args.aspect_ratio.clone(),
        resolution: args
            .resolution
            .and_then(|r| clap::ValueEnum::to_possible_value(&r).map(|v| v.get_name().to_owned())),
        duration: args.duration,
        audio: args.audio,
        watermark: args.watermark,
    };
    let settings = video::GenerateSettings::resolve(ctx, args.model.as_deref(), args.timeout_ms)?;
    let started = Instant::now();
    let deadline = started + settings.timeout;

    let json_lines = args.stream == Some(StreamFormat::Json);
    if json_lines {
        ctx.set_json_lines();
    }
    // A spinner only for a person watching: stderr a terminal, no --json.
    let spinner = (!ctx.wants_json() && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message("submitting video job");
        bar
    });
    let mut on_status = |status: &str| {
        if json_lines {
            let event = json!({"type": "progress", "status": status, "elapsedMs": started.elapsed().as_millis() as u64});
            output::stdout(&format!("{event}\n"));
        }
        if let Some(bar) = &spinner {
            bar.set_message(format!(
                "video job {status} ({} s)",
                started.elapsed().as_secs()
            ));
        }
    };
    let result = video::generate(
        ctx,
        &settings.candidates,
        &args.prompt,
        &hints,
        Some(deadline),
        settings.max_bytes,
        &mut on_status,
    )
    .await;
    if let Some(bar) = &spinner {
        bar.finish_and_clear();
    }

    let mut envelope = Envelope::success("video.generate", Transport::Local);
    let success = match result {
        Ok(success) => success,
        Err(failure) => {
            return Err(Failure::chain(failure, envelope));
        }
    };
    envelope.provider = Some(success.provider);
    envelope.model = Some(success.model);
    envelope.attempts = success.attempts;
    let generated = success.value;
    envelope.ignored_overrides = generated.ignored;
    let written = match media::write_outputs(
        &[(generated.bytes.as_slice(), generated.mime_type)],
        args.output.as_deref(),
        &media_dir(ctx),
        "video",
    ) {
        Ok(written) => written,
        Err(error) => {
            return Err(Failure::with(error, envelope));
        }
    };
    envelope.outputs = written
        .iter()
        .map(|file| {
            let mut value = file.to_json();
            value["jobId"] = json!(generated.job_id);
            // Size and length as the file states them (what was asked for
            // may have been adjusted by the provider).
            if let Some(info) = media::video_info(&generated.bytes) {
                if let (Some(width), Some(height)) = (info.width, info.height) {
                    value["width"] = json!(width);
                    value["height"] = json!(height);
                }
                if let Some(seconds) = info.duration_seconds {
                    value["durationSeconds"] = json!(seconds);
                }
            }
            value
        })
        .collect();
    envelope.timings = Some(Timings::since(started));
    let text = format!("{}\n", written[0].path.display());
    Ok(Report::new(envelope, text))
}

pub async fn describe(ctx: &Context, args: VideoDescribeArgs) -> Result<Report, Failure> {
    let file = video::read_video(&args.file)?;
    let video::DescribeSettings {
        candidate,
        deadline,
    } = video::DescribeSettings::resolve(ctx, args.model.as_deref())?;
    let mut envelope = Envelope::success("video.describe", Transport::Local);
    envelope.inputs = vec![Input {
        path: file.path.clone(),
        mime_type: file.mime_type.to_owned(),
    }];
    envelope.provider = Some(candidate.provider.id.clone());
    envelope.model = Some(candidate.model.id.clone());
    match video::describe(ctx, &candidate, &file, deadline).await {
        Ok(text) => {
            envelope.outputs = vec![
                json!({"path": file.path, "text": text, "mediaUrl": null, "kind": "video.description"}),
            ];
            Ok(Report::new(envelope, format!("{text}\n")))
        }
        Err(error) => Err(Failure::with(error, envelope)),
    }
}

pub fn providers(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    let mut outputs: Vec<Value> = Vec::new();
    let (mut generation, mut description) = (Vec::new(), Vec::new());
    let mut lines = String::new();
    for provider in &registry.providers {
        let Some(family) = VideoFamily::of(provider) else {
            continue;
        };
        let configured = auth::lookup(provider, profiles).is_some();
        let default_model = provider.defaults.get(&ModelKind::Video).cloned();
        let models: Vec<&str> = provider
            .models
            .iter()
            .filter(|m| m.kind == ModelKind::Video)
            .map(|m| m.id.as_str())
            .collect();
        let hints = family.hints();
        let supports = |hint: &str| hints.contains(&hint);
        let describes = video::describe_route(provider).is_some();
        if describes {
            let model = provider
                .defaults
                .get(&ModelKind::Chat)
                .cloned()
                .unwrap_or_else(|| default_model.clone().unwrap_or_default());
            let row = ProviderRow {
                available: true,
                configured,
                selected: false,
                detail: VideoReader {
                    id: &provider.id,
                    capabilities: ["video"],
                    // The same chat model reads images too.
                    default_models: json!({"image": model, "video": model}),
                },
            };
            description.push(row.to_value());
        }
        let row = ProviderRow {
            available: true,
            configured,
            selected: false,
            detail: VideoGenerator {
                id: &provider.id,
                label: &provider.name,
                default_model: default_model
                    .clone()
                    .or_else(|| models.first().map(|m| (*m).to_owned()))
                    .unwrap_or_default(),
                models: models.clone(),
                capabilities: json!({
                    "generate": {
                        "maxVideos": 1,
                        "supportsSize": supports("size"),
                        "supportsAspectRatio": supports("aspectRatio"),
                        "supportsResolution": supports("resolution"),
                        "supportsAudio": false,
                        "supportsWatermark": false,
                    },
                    // Video from images or from another video is not offered.
                    "imageToVideo": {"enabled": false},
                    "videoToVideo": {"enabled": false},
                }),
            },
        };
        lines.push_str(&row.line(&[
            (&provider.id, providers::ID),
            (default_model.as_deref().unwrap_or("-"), providers::MODEL),
        ]));
        generation.push(row.to_value());
        outputs.push(
            serde_json::to_value(VideoProvider {
                provider: &provider.id,
                generate: true,
                describe: describes,
                configured,
                default_model: default_model.clone(),
                models,
                hints: family.hints(),
                env_vars: &provider.env_vars,
            })
            .expect("a provider row serializes"),
        );
    }
    // Grouped as the reference groups them; our flat rows under `providers`.
    let data = json!({"generation": generation, "description": description, "providers": outputs});
    let envelope = Envelope::success("video.providers", Transport::Local).with_outputs(outputs);
    Ok(Report::data(envelope, data, lines))
}

/// A provider that describes video, in the reference's `description` group.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VideoReader<'a> {
    id: &'a str,
    capabilities: [&'static str; 1],
    default_models: Value,
}

/// A provider that generates video, in the reference's `generation` group.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VideoGenerator<'a> {
    id: &'a str,
    label: &'a str,
    default_model: String,
    models: Vec<&'a str>,
    capabilities: Value,
}

/// Our own flat row under `providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VideoProvider<'a> {
    provider: &'a str,
    generate: bool,
    describe: bool,
    configured: bool,
    default_model: Option<String>,
    models: Vec<&'a str>,
    hints: &'static [&'static str],
    env_vars: &'a [String],
}
