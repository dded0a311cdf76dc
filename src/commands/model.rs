//! `infer model ...`: run, list, inspect, providers, auth.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use super::providers::{self, ProviderRow};
use super::{Failure, Report};
use crate::auth::{self, Source};
use crate::capabilities::model_run::{self, RunEvent, RunRequest};
use crate::capabilities::structured::OutputSchema;
use crate::catalog::ModelKind;
use crate::cli::common::StreamFormat;
use crate::cli::model::{AuthLoginArgs, AuthProviderArgs, ModelInspectArgs, ModelRunArgs};
use crate::context::Context;
use crate::engines::local_models as local;
use crate::engines::{gguf, llm};
use crate::envelope::{Envelope, Input, Transport};
use crate::error::{Error, Result};
use crate::media;
use crate::output::{self, Diagnostics};
use crate::protocols::ChatEvent;
use crate::redact;
use crate::registry::{Model, Registry, discovery};

pub async fn run(
    ctx: &Context,
    diagnostics: &Diagnostics,
    args: ModelRunArgs,
) -> Result<Report, Failure> {
    let prompt = read_prompt(args.prompt.as_deref()).await?;
    if args.transport.gateway {
        return run_on_gateway(ctx, &args, &prompt).await;
    }
    let schema = args
        .schema
        .as_deref()
        .map(OutputSchema::parse)
        .transpose()?;
    let images = args
        .files
        .iter()
        .map(|path| media::read_image(path))
        .collect::<Result<Vec<_>>>()?;
    let inputs: Vec<Input> = images
        .iter()
        .map(|image| Input {
            path: image.path.clone(),
            mime_type: image.mime_type.to_owned(),
        })
        .collect();
    let model_run::Settings {
        candidates,
        deadline,
    } = model_run::Settings::resolve(
        ctx,
        model_run::Flags {
            model: args.model.as_deref(),
            no_fallback: args.no_fallback,
            timeout_ms: args.timeout_ms,
        },
    )?;
    let request = RunRequest {
        prompt: &prompt,
        images: &images,
        thinking: args.thinking,
        deadline,
        schema: schema.as_ref(),
    };

    let mode = if args.stream == Some(StreamFormat::Json) {
        ctx.set_json_lines();
        LiveOutput::JsonLines
    } else if ctx.json {
        LiveOutput::Nothing
    } else if schema.is_some() {
        // A first answer may be repaired: print only the one that fits.
        LiveOutput::AtTheEnd
    } else {
        LiveOutput::Text
    };
    let mut guards = LiveGuards::default();
    let mut on_event = |event: RunEvent<'_>| live_event(ctx, mode, &mut guards, event);
    let mut envelope = Envelope::success("model.run", Transport::Local);
    envelope.inputs = inputs;
    let result = model_run::run(ctx, &candidates, &request, &mut on_event).await;
    guards.flush(mode);
    match result {
        Ok(outcome) => {
            if mode == LiveOutput::Text && std::io::stderr().is_terminal() {
                diagnostics.info(&summary_line(&outcome));
            }
            if let (LiveOutput::JsonLines, Some(usage)) = (mode, &outcome.usage) {
                let mut line = json!({"type": "usage"});
                merge_into(
                    &mut line,
                    serde_json::to_value(usage).expect("usage serializes"),
                );
                output::stdout(&format!("{line}\n"));
            }
            envelope.provider = Some(outcome.provider);
            envelope.model = Some(outcome.model);
            envelope.attempts = outcome.attempts;
            let text = match mode {
                // Already printed as it arrived.
                LiveOutput::Text => "\n".to_owned(),
                LiveOutput::AtTheEnd => format!("{}\n", outcome.text.trim()),
                LiveOutput::Nothing | LiveOutput::JsonLines => String::new(),
            };
            let mut output = json!({"text": outcome.text, "mediaUrl": null});
            if let Some(value) = outcome.json {
                output["json"] = value;
            }
            envelope.outputs = vec![output];
            envelope.usage = outcome.usage;
            envelope.timings = Some(outcome.timings);
            Ok(Report {
                envelope,
                text: Some(text),
                data: None,
            })
        }
        Err(failure) => Err(Failure::chain(failure, envelope)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LiveOutput {
    /// `--json`: nothing until the envelope.
    Nothing,
    /// Plain: the answer's text as it arrives.
    Text,
    /// Plain, but the answer is printed once it is final (`--schema`).
    AtTheEnd,
    /// `--stream json`: one JSON event a line.
    JsonLines,
}

/// Streamed text and thinking pass through a `SplitGuard` each, so a
/// secret split across deltas is masked like one in a whole answer.
#[derive(Default)]
struct LiveGuards {
    text: redact::SplitGuard,
    thinking: redact::SplitGuard,
}

impl LiveGuards {
    /// Show what was held back: at the end of the run, and before an
    /// attempt's record so its text is not mixed with the next one's.
    fn flush(&mut self, mode: LiveOutput) {
        let (text, thinking) = (self.text.finish(), self.thinking.finish());
        match mode {
            LiveOutput::Text if !text.is_empty() => output::stdout(&text),
            LiveOutput::JsonLines => {
                if !thinking.is_empty() {
                    output::stdout(&format!(
                        "{}\n",
                        json!({"type": "thinking", "text": thinking})
                    ));
                }
                if !text.is_empty() {
                    output::stdout(&format!("{}\n", json!({"type": "delta", "text": text})));
                }
            }
            _ => {}
        }
    }
}

fn live_event(ctx: &Context, mode: LiveOutput, guards: &mut LiveGuards, event: RunEvent<'_>) {
    {
        let mut progress = ctx.progress();
        match event {
            RunEvent::Start { provider, model } => {
                progress.provider = Some(provider.to_owned());
                progress.model = Some(model.to_owned());
                progress.text.clear();
            }
            RunEvent::Chat(ChatEvent::Text(text)) => progress.text.push_str(text),
            _ => {}
        }
    }
    match mode {
        LiveOutput::Nothing | LiveOutput::AtTheEnd => {}
        LiveOutput::Text => match event {
            RunEvent::Chat(ChatEvent::Text(text)) => {
                let shown = guards.text.push(text);
                if !shown.is_empty() {
                    output::stdout(&shown);
                }
            }
            RunEvent::Attempt(_) => guards.flush(mode),
            _ => {}
        },
        LiveOutput::JsonLines => {
            let line = match event {
                RunEvent::Start { provider, model } => {
                    json!({"type": "start", "provider": provider, "model": model})
                }
                RunEvent::Chat(ChatEvent::Text(text)) => {
                    let shown = guards.text.push(text);
                    if shown.is_empty() {
                        return;
                    }
                    json!({"type": "delta", "text": shown})
                }
                RunEvent::Chat(ChatEvent::Thinking(text)) => {
                    let shown = guards.thinking.push(text);
                    if shown.is_empty() {
                        return;
                    }
                    json!({"type": "thinking", "text": shown})
                }
                RunEvent::Attempt(attempt) => {
                    guards.flush(mode);
                    let mut line = json!({"type": "attempt"});
                    merge_into(
                        &mut line,
                        serde_json::to_value(attempt).expect("attempt serializes"),
                    );
                    line
                }
            };
            output::stdout(&format!("{line}\n"));
        }
    }
}

fn merge_into(target: &mut Value, source: Value) {
    if let (Value::Object(target), Value::Object(source)) = (target, source) {
        target.extend(source);
    }
}

fn summary_line(outcome: &model_run::RunOutcome) -> String {
    let mut line = format!("{}/{}", outcome.provider, outcome.model);
    if let Some(usage) = &outcome.usage {
        if let (Some(input), Some(output)) = (usage.input_tokens, usage.output_tokens) {
            line.push_str(&format!(" · {input} in, {output} out"));
        }
    }
    line.push_str(&format!(
        " · {:.2} s",
        outcome.timings.total_ms as f64 / 1000.0
    ));
    line
}

/// `--gateway`: the gateway runs the model; it has its own providers and
/// fallbacks, so only the request's own flags travel.
async fn run_on_gateway(
    ctx: &Context,
    args: &ModelRunArgs,
    prompt: &str,
) -> Result<Report, Failure> {
    if args.schema.is_some() || args.stream.is_some() {
        return Err(Error::usage(
            "`--schema` and `--stream` run in this process only; drop them or `--gateway`",
        )
        .into());
    }
    let run = crate::gateway::ModelRun {
        prompt,
        model: args.model.as_deref(),
        thinking: args.thinking.map(|t| t.as_str()),
        files: &args.files,
        timeout: args.timeout_ms.map(Duration::from_millis),
    };
    match crate::gateway::model_run(ctx, run).await {
        Ok((envelope, text)) => Ok(Report::new(envelope, text)),
        Err(error) => Err(Failure::with(
            error,
            Envelope::success("model.run", Transport::Gateway),
        )),
    }
}

/// `--prompt TEXT`, `--prompt -` (stdin), `--prompt @FILE`, or piped stdin
/// when the flag is absent. What is read is sent unchanged.
async fn read_prompt(flag: Option<&str>) -> Result<String> {
    let cap = crate::input::max_input_bytes()?;
    let prompt = match flag {
        Some("-") => read_stdin(cap).await?,
        Some(value) if value.starts_with('@') && value.len() > 1 => {
            let path = &value[1..];
            crate::input::read_text(std::path::Path::new(path), "--prompt file", cap)?
        }
        Some(value) => value.to_owned(),
        None if !std::io::stdin().is_terminal() => read_stdin(cap).await?,
        None => {
            return Err(Error::usage("`--prompt` is required").with_hint(
                "pass `--prompt \"...\"`, `--prompt @file.txt`, or pipe the prompt on stdin",
            ));
        }
    };
    if prompt.trim().is_empty() {
        return Err(Error::usage("`--prompt` must contain non-whitespace text"));
    }
    Ok(prompt)
}

async fn read_stdin(cap: u64) -> Result<String> {
    let bytes = crate::input::read_stdin("the prompt", cap).await?;
    String::from_utf8(bytes).map_err(|_| Error::usage("the prompt on stdin is not UTF-8 text"))
}

/// The catalog and config models; Hugging Face's list is refreshed from
/// the router (cached for six hours) when a token is available.
pub async fn list(ctx: &Context, diagnostics: &Diagnostics) -> Result<Report> {
    let registry = ctx.registry()?;
    // Borrowed from the registry: a large config is not copied to be listed.
    let mut models: Vec<Cow<'_, Model>> = Vec::new();
    for provider in &registry.providers {
        if provider.id == "huggingface" {
            match discovery::discover(ctx, provider).await {
                Ok(found) => models.extend(
                    discovery::merge(provider, &found)
                        .into_iter()
                        .map(Cow::Owned),
                ),
                Err(note) => {
                    if !ctx.json {
                        diagnostics.info(&format!("note: {note}"));
                    }
                    models.extend(provider.models.iter().map(Cow::Borrowed));
                }
            }
        } else {
            models.extend(provider.models.iter().map(Cow::Borrowed));
        }
    }
    for model in &mut models {
        let read = match with_gguf_facts(ctx, model) {
            Cow::Owned(found) => Some(found),
            Cow::Borrowed(_) => None,
        };
        if let Some(found) = read {
            *model = Cow::Owned(found);
        }
    }
    let orders = provider_orders(registry);
    let rows: Vec<Value> = models.iter().map(|m| reference_row(&orders, m)).collect();
    // `--json` prints the rows alone; only the JSON-lines stream wraps them.
    let envelope = Envelope::success("model.list", Transport::Local);
    let text = if ctx.json {
        String::new()
    } else {
        model_table(&models)
    };
    if ctx.json_lines() {
        return Ok(Report::new(envelope.with_outputs(rows), text));
    }
    Ok(Report::data(envelope, Value::Array(rows), text))
}

fn model_table(models: &[Cow<'_, Model>]) -> String {
    let width = models
        .iter()
        .map(|m| m.reference().len())
        .max()
        .unwrap_or(0);
    let mut text = String::with_capacity(models.len() * (width + 40));
    for m in models {
        let context = m
            .context_window
            .map_or("-".to_owned(), |c| format!("{}k", c / 1000));
        let input = m
            .input
            .iter()
            .map(|i| format!("{i:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join("+");
        let _ = writeln!(
            text,
            "{:width$}  {:>6}  {:10}  {}",
            m.reference(),
            context,
            input,
            m.name
        );
    }
    text
}

pub fn inspect(ctx: &Context, args: &ModelInspectArgs) -> Result<Report> {
    let registry = ctx.registry()?;
    let model = match registry.find(&args.model) {
        Some(model) => model.into_owned(),
        // `local/<path or file stem>` need not be listed anywhere.
        None if is_local_ref(&args.model) => registry.resolve(&args.model, ModelKind::Chat)?.model,
        None => {
            return Err(
                Error::usage(format!("unknown model `{}`", args.model.trim()))
                    .with_hint("`openclaw infer model list` shows the known models"),
            );
        }
    };
    let mut value = reference_row(&provider_orders(registry), &model);
    if let Some(provider) = registry.provider(&model.provider) {
        value["api"] = json!(provider.api.as_str());
        value["baseUrl"] = json!(provider.base_url);
    }
    value["configuredReasoning"] = json!(model.reasoning);
    if model.provider == local::PROVIDER {
        let path = local::model_file(&model, &ctx.paths.state_dir);
        let gguf = llm::open_model_file(&path, &local::models_dir(&ctx.paths.state_dir))?;
        if let Value::Object(map) = &mut value {
            if model.context_window.is_none() {
                map.insert("contextWindow".into(), json!(gguf.context_length()));
            }
            map.insert("path".into(), json!(path.display().to_string()));
            map.insert("gguf".into(), gguf_summary(&gguf));
        }
    }
    let text = serde_json::to_string_pretty(&value).expect("json") + "\n";
    let mut envelope =
        Envelope::success("model.inspect", Transport::Local).with_outputs(vec![value.clone()]);
    envelope.provider = Some(model.provider.clone());
    envelope.model = Some(model.id.clone());
    Ok(Report::data(envelope, value, text))
}

/// A model as the reference's `model list` prints it (`status`,
/// `providerOrder`: its place in its provider's list), then our own keys.
/// Each model's position in its provider's list, as the reference's
/// `providerOrder`: looked up once, not searched per row.
fn provider_orders(registry: &Registry) -> HashMap<(&str, &str), usize> {
    registry
        .providers
        .iter()
        .flat_map(|provider| {
            provider
                .models
                .iter()
                .enumerate()
                .map(|(order, model)| ((provider.id.as_str(), model.id.as_str()), order))
        })
        .collect()
}

fn reference_row(orders: &HashMap<(&str, &str), usize>, model: &Model) -> Value {
    let mut value = serde_json::to_value(model).expect("model serializes");
    let order = orders
        .get(&(model.provider.as_str(), model.id.as_str()))
        .copied()
        .unwrap_or(0);
    if let Value::Object(map) = &mut value {
        map.insert("status".into(), json!("available"));
        map.insert("providerOrder".into(), json!(order));
    }
    value
}

fn is_local_ref(reference: &str) -> bool {
    reference
        .trim()
        .split_once('/')
        .is_some_and(|(provider, _)| provider.eq_ignore_ascii_case(local::PROVIDER))
}

/// A local model as `model list` shows it: the context window read from
/// its GGUF header when the config does not set one.
fn with_gguf_facts<'m>(ctx: &Context, model: &'m Model) -> Cow<'m, Model> {
    if model.provider != local::PROVIDER || model.context_window.is_some() {
        return Cow::Borrowed(model);
    }
    let path = local::model_file(model, &ctx.paths.state_dir);
    match gguf::read(&path) {
        Ok(header) => {
            let mut model = model.clone();
            model.context_window = header.context_length();
            Cow::Owned(model)
        }
        Err(_) => Cow::Borrowed(model),
    }
}

/// What `model inspect` shows of a GGUF file's header.
fn gguf_summary(header: &gguf::Gguf) -> Value {
    let supported = header.check_supported();
    let mut summary = json!({
        "version": header.version,
        "architecture": header.architecture(),
        "name": header.name(),
        "contextLength": header.context_length(),
        "quantization": header.file_type_name().map(str::to_owned)
            .or_else(|| header.file_type().map(|t| format!("unknown ({t})"))),
        "chatTemplate": header.chat_template().is_some(),
        "tensorCount": header.tensor_count,
        "tensorBytes": header.data_end - header.data_offset,
        "fileSize": header.file_size,
        "supported": supported.is_ok(),
    });
    if let (Err(why), Value::Object(map)) = (supported, &mut summary) {
        map.insert("unsupportedReason".into(), json!(why.to_string()));
    }
    summary
}

pub fn providers(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    let selected = ctx
        .config()?
        .agents
        .defaults
        .model
        .as_ref()
        .and_then(|s| s.primary())
        .and_then(|primary| registry.resolve(primary, ModelKind::Chat).ok())
        .map(|resolved| resolved.provider.id.clone());
    let mut outputs = Vec::new();
    let mut text = String::new();
    for provider in &registry.providers {
        let credential = auth::lookup(provider, profiles);
        // The reference lists the default model ids; ours by kind too.
        let mut defaults: Vec<&String> = provider.defaults.values().collect();
        defaults.dedup();
        let row = ProviderRow {
            available: credential.is_some() || provider.key_optional,
            configured: provider.in_config || credential.is_some(),
            selected: selected.as_deref() == Some(provider.id.as_str()),
            detail: ChatProvider {
                provider: &provider.id,
                name: &provider.name,
                api: provider.api.as_str(),
                count: provider.models.len(),
                defaults,
                defaults_by_kind: &provider.defaults,
            },
        };
        let count = format!("{} models", provider.models.len());
        text.push_str(&row.line(&[
            (&provider.id, providers::ID),
            (&count, 11),
            (provider.api.as_str(), 21),
        ]));
        outputs.push(row.to_value());
    }
    let data = Value::Array(outputs.clone());
    Ok(Report::data(
        Envelope::success("model.providers", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}

/// A chat provider's own keys in `model providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatProvider<'a> {
    provider: &'a str,
    name: &'a str,
    api: &'a str,
    count: usize,
    defaults: Vec<&'a String>,
    defaults_by_kind: &'a std::collections::BTreeMap<ModelKind, String>,
}

pub fn auth_login(ctx: &Context, args: &AuthLoginArgs) -> Result<Report> {
    if let Some(method) = args
        .method
        .as_deref()
        .filter(|m| !matches!(*m, "api-key" | "api_key" | "apiKey"))
    {
        return Err(Error::usage(format!(
            "unsupported `--method {method}`; only `api-key` is available"
        )));
    }
    let registry = ctx.registry()?;
    let provider = registry
        .provider(&args.provider)
        .ok_or_else(|| registry.unknown_provider(&args.provider))?;
    let key = read_secret(&provider.id)?;
    let path = ctx.paths.auth_profiles_file(ctx.agent());
    // Re-read under the lock so a concurrent login for another provider is kept.
    let profile = crate::config::lock::with_lock(&path, || {
        let mut profiles = crate::auth::AuthProfiles::load(&path)?;
        let profile = profiles.set_api_key(&provider.id, &key);
        profiles.save(&path)?;
        Ok(profile)
    })?;
    let value =
        json!({"provider": provider.id, "profile": profile, "path": path.display().to_string()});
    let text = format!("saved {profile} in {}\n", path.display());
    let mut envelope =
        Envelope::success("model.auth.login", Transport::Local).with_outputs(vec![value]);
    envelope.provider = Some(provider.id.clone());
    Ok(Report::new(envelope, text))
}

/// The key comes from stdin or a hidden prompt, never from argv, where
/// other users could read it in the process list.
fn read_secret(provider: &str) -> Result<String> {
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for {provider}: "))
            .map_err(|error| Error::usage(format!("cannot read the key: {error}")))?
    } else {
        // A key is short; a cap keeps `< /dev/zero` from eating the memory.
        let bytes = crate::input::read_stdin_blocking("the API key", 64 * 1024)?;
        String::from_utf8(bytes).map_err(|_| Error::usage("the API key on stdin is not UTF-8"))?
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(Error::usage("no API key given on stdin"));
    }
    Ok(key)
}

pub fn auth_logout(ctx: &Context, args: &AuthProviderArgs) -> Result<Report> {
    let provider = args.provider.trim().to_ascii_lowercase();
    let path = ctx.paths.auth_profiles_file(ctx.agent());
    let removed = crate::config::lock::with_lock(&path, || {
        let mut profiles = crate::auth::AuthProfiles::load(&path)?;
        let removed = profiles.remove_provider(&provider);
        if !removed.is_empty() {
            profiles.save(&path)?;
        }
        Ok(removed)
    })?;
    let text = if removed.is_empty() {
        format!("no saved profiles for {provider}\n")
    } else {
        format!("removed {}\n", removed.join(", "))
    };
    // The reference's keys, then ours (`removed`, the same list).
    let data = json!({"provider": provider, "removedProfiles": removed, "removed": removed});
    let mut envelope =
        Envelope::success("model.auth.logout", Transport::Local).with_outputs(vec![data.clone()]);
    envelope.provider = Some(provider);
    Ok(Report::data(envelope, data, text))
}

pub fn auth_status(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let profiles = ctx.profiles()?;
    let mut outputs = Vec::new();
    let mut text = String::new();
    for provider in &registry.providers {
        let source = auth::lookup(provider, profiles).map_or(Source::None, |c| c.source);
        let mut row = json!({
            "provider": provider.id,
            "source": source,
            "envVars": provider.env_vars,
            "keyOptional": provider.key_optional,
        });
        if let Value::Object(map) = &mut row {
            map.insert("configured".into(), Value::Bool(source != Source::None));
        }
        text.push_str(&format!("{:14} {source}\n", provider.id));
        outputs.push(row);
    }
    // `--json` prints the reference's status object, with every
    // provider's row (ours) under `providers`.
    let mut data = super::models::status(ctx)?.data.expect("status has data");
    data["providers"] = Value::Array(outputs.clone());
    Ok(Report::data(
        Envelope::success("model.auth.status", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}
