//! `--gateway`: a client for a running OpenClaw gateway (the reference
//! Node.js daemon) over its WebSocket protocol. A transport only: commands
//! hand it a request and get an envelope back. Nothing here runs unless a
//! command goes to the gateway.

mod client;
mod frames;
mod map;
pub mod target;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::context::Context;
use crate::envelope::{Envelope, Input, Timings};
use crate::error::{Error, Result};
use client::Call;
use frames::Identity;

/// The reference CLI's deadlines.
pub const MODEL_RUN_TIMEOUT: Duration = Duration::from_secs(120);
pub const TTS_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a gateway is configured at all (env URL, port or token, or a
/// `gateway` config section naming one).
pub fn configured(ctx: &Context) -> Result<bool> {
    let config = ctx.config()?;
    Ok(target::configured(
        config.gateway.as_ref(),
        &target::EnvValues::from_process(),
    ))
}

/// `model run --gateway`.
pub struct ModelRun<'a> {
    pub prompt: &'a str,
    /// `provider/model`; needs the admin identity.
    pub model: Option<&'a str>,
    pub thinking: Option<&'a str>,
    pub files: &'a [PathBuf],
    pub timeout: Option<Duration>,
}

pub async fn model_run(ctx: &Context, run: ModelRun<'_>) -> Result<(Envelope, String)> {
    let started = Instant::now();
    // Everything local is checked before any connection.
    let images = run
        .files
        .iter()
        .map(|path| crate::media::read_image(path))
        .collect::<Result<Vec<_>>>()?;
    let split = run.model.map(split_model).transpose()?;
    let (target, credential) = resolve(ctx, "agent")?;

    let agent = ctx.agent().trim().to_ascii_lowercase();
    let session = format!("model-run-{}", frames::uuid());
    let mut params = Map::new();
    params.insert("agentId".into(), json!(agent));
    params.insert("sessionId".into(), json!(session));
    params.insert(
        "sessionKey".into(),
        json!(format!("agent:{agent}:explicit:{session}")),
    );
    params.insert("message".into(), json!(run.prompt));
    if !images.is_empty() {
        let attachments: Vec<Value> = images
            .iter()
            .map(|image| {
                json!({
                    "type": "image",
                    "fileName": std::path::Path::new(&image.path)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| image.path.clone()),
                    "mimeType": image.mime_type,
                    "content": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &image.bytes),
                })
            })
            .collect();
        params.insert("attachments".into(), Value::Array(attachments));
    }
    if let Some((provider, model)) = &split {
        params.insert("provider".into(), json!(provider));
        params.insert("model".into(), json!(model));
    }
    if let Some(thinking) = run.thinking {
        params.insert("thinking".into(), json!(thinking));
    }
    params.insert("modelRun".into(), json!(true));
    params.insert("promptMode".into(), json!("none"));
    params.insert("cleanupBundleMcpOnRunEnd".into(), json!(true));
    params.insert("idempotencyKey".into(), json!(frames::uuid()));

    let identity = if split.is_some() {
        Identity::admin_agent()
    } else {
        Identity::cli_agent(run.prompt)
    };
    let timeout = run.timeout.unwrap_or(MODEL_RUN_TIMEOUT);
    let call = Call {
        identity,
        method: "agent",
        params: Some(Value::Object(params)),
        expect_final: true,
        deadline: started + timeout,
        timeout,
    };
    ctx.debug(|| {
        format!(
            "gateway: agent via {} ({})",
            target.url,
            target.source.describe()
        )
    });
    let payload = client::call(&target, &credential, &call).await?;
    let inputs = images
        .iter()
        .map(|image| Input {
            path: image.path.clone(),
            mime_type: image.mime_type.to_owned(),
        })
        .collect();
    let (mut envelope, text) = map::agent(&payload, inputs);
    envelope.timings = Some(Timings::since(started));
    Ok((envelope, text))
}

/// `p/m` split at the first slash.
fn split_model(reference: &str) -> Result<(String, String)> {
    match reference.trim().split_once('/') {
        Some((provider, model)) if !provider.trim().is_empty() && !model.trim().is_empty() => Ok((
            provider.trim().to_ascii_lowercase(),
            model.trim().to_owned(),
        )),
        _ => Err(Error::usage(format!(
            "`--model {reference}`: with `--gateway` it must be `provider/model`"
        ))),
    }
}

/// One `tts.*` command through the gateway.
pub enum TtsCall<'a> {
    Status,
    Providers,
    Enable,
    Disable,
    SetProvider(&'a str),
    Convert {
        text: &'a str,
        provider: Option<&'a str>,
        model: Option<&'a str>,
        voice: Option<&'a str>,
        channel: Option<&'a str>,
        /// Copy the gateway's audio file here (loopback gateways only).
        output: Option<&'a std::path::Path>,
    },
}

impl TtsCall<'_> {
    fn method(&self) -> &'static str {
        match self {
            TtsCall::Status => "tts.status",
            TtsCall::Providers => "tts.providers",
            TtsCall::Enable => "tts.enable",
            TtsCall::Disable => "tts.disable",
            TtsCall::SetProvider(_) => "tts.setProvider",
            TtsCall::Convert { .. } => "tts.convert",
        }
    }

    pub fn capability(&self) -> &'static str {
        match self {
            TtsCall::Status => "tts.status",
            TtsCall::Providers => "tts.providers",
            TtsCall::Enable => "tts.enable",
            TtsCall::Disable => "tts.disable",
            TtsCall::SetProvider(_) => "tts.set-provider",
            TtsCall::Convert { .. } => "tts.convert",
        }
    }

    /// Reads need `operator.read`; changes and synthesis `operator.write`.
    fn scope(&self) -> &'static str {
        match self {
            TtsCall::Status | TtsCall::Providers => "operator.read",
            _ => "operator.write",
        }
    }

    fn params(&self) -> Option<Value> {
        match self {
            TtsCall::Status | TtsCall::Providers | TtsCall::Enable | TtsCall::Disable => None,
            TtsCall::SetProvider(provider) => Some(json!({"provider": provider})),
            TtsCall::Convert {
                text,
                provider,
                model,
                voice,
                channel,
                ..
            } => {
                // `--model provider/model`: the provider part fills `provider`.
                let (from_model, model) = match model.and_then(|m| m.split_once('/')) {
                    Some((p, m)) => (Some(p), Some(m)),
                    None => (None, *model),
                };
                let provider = provider.or(from_model);
                let mut params = Map::new();
                params.insert("text".into(), json!(text));
                for (key, value) in [
                    ("provider", &provider),
                    ("modelId", &model),
                    ("voiceId", voice),
                    ("channel", channel),
                ] {
                    if let Some(value) = value {
                        params.insert(key.into(), json!(value));
                    }
                }
                Some(Value::Object(params))
            }
        }
    }
}

pub async fn tts(
    ctx: &Context,
    call: TtsCall<'_>,
    timeout: Option<Duration>,
) -> Result<(Envelope, String)> {
    let started = Instant::now();
    let method = call.method();
    let (target, credential) = resolve(ctx, method)?;
    let output = match &call {
        TtsCall::Convert { output, .. } => *output,
        _ => None,
    };
    if output.is_some() && !is_loopback(&target.url) {
        return Err(Error::usage(format!(
            "`--output` needs a gateway on this machine; {} is remote (drop `--output`, or use `--local`)",
            target.url
        )));
    }
    // Synthesis is slower than state calls; the reference allows it 120 s.
    let timeout = timeout.unwrap_or(match call {
        TtsCall::Convert { .. } => MODEL_RUN_TIMEOUT,
        _ => TTS_TIMEOUT,
    });
    let rpc = Call {
        identity: Identity::backend(method, call.scope()),
        method,
        params: call.params(),
        expect_final: false,
        deadline: started + timeout,
        timeout,
    };
    ctx.debug(|| {
        format!(
            "gateway: {method} via {} ({})",
            target.url,
            target.source.describe()
        )
    });
    let payload = client::call(&target, &credential, &rpc).await?;
    let mut envelope = match call {
        TtsCall::Providers => map::tts_providers(payload),
        TtsCall::Convert { .. } => {
            let mut envelope = map::tts_convert(&payload);
            if let (Some(output), Some(source)) =
                (output, payload.get("audioPath").and_then(Value::as_str))
            {
                let bytes = std::fs::read(source).map_err(|error| {
                    Error::io(format!(
                        "cannot read the gateway's audio file {source}: {error}"
                    ))
                })?;
                crate::media::write_atomic(output, &bytes, None)?;
                envelope.outputs[0]["path"] = json!(output.display().to_string());
            }
            envelope
        }
        _ => map::tts(call.capability(), payload),
    };
    envelope.timings = Some(Timings::since(started));
    let text = tts_text(&envelope);
    Ok((envelope, text))
}

/// Plain output: the mirrored payload, one `key: value` a line.
fn tts_text(envelope: &Envelope) -> String {
    if envelope.capability == "tts.providers" {
        return envelope
            .outputs
            .iter()
            .map(|p| {
                format!(
                    "{:14} {}{}\n",
                    p["id"].as_str().unwrap_or("-"),
                    if p["configured"] == true {
                        "configured"
                    } else {
                        "not configured"
                    },
                    if p["selected"] == true {
                        "  (selected)"
                    } else {
                        ""
                    }
                )
            })
            .collect();
    }
    envelope
        .extra
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) => format!("{key}: {s}\n"),
            other => format!("{key}: {other}\n"),
        })
        .collect()
}

fn is_loopback(url: &str) -> bool {
    url::Url::parse(url).ok().is_some_and(|u| match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    })
}

fn resolve(ctx: &Context, method: &str) -> Result<(target::Target, target::Credential)> {
    let config = ctx.config()?;
    let target = target::resolve(config.gateway.as_ref(), &target::EnvValues::from_process())?;
    let credential = target::require_credential(&target, method, &ctx.paths.config_file)?.clone();
    Ok((target, credential))
}
