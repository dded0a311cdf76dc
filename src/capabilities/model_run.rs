//! `model.run`: one prompt through a chain of candidate models. Each failed
//! candidate is recorded as an attempt and the next one is tried.

use std::time::Instant;

use serde_json::Value;

use super::fallback;
use super::provider_call::Connection;
use crate::catalog::{Api, Modality};
use crate::context::Context;
use crate::engines::llm::{self as local, LocalModel};
use crate::engines::local_models;
use crate::envelope::{Attempt, Timings, Usage};
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::media::ImageFile;
use crate::output::LogLevel;
use crate::protocols::{self, ChatEvent, ChatRequest};
use crate::registry::Resolved;
use crate::thinking::ThinkingLevel;

use super::structured::OutputSchema;

pub struct RunRequest<'a> {
    pub prompt: &'a str,
    pub images: &'a [ImageFile],
    pub thinking: Option<ThinkingLevel>,
    /// The whole run (all candidates, all retries) ends by then.
    pub deadline: Option<Instant>,
    /// `--schema`: the answer must be JSON that fits it.
    pub schema: Option<&'a OutputSchema>,
}

/// What happens during a run, as it happens (for live output).
#[derive(Debug, Clone, Copy)]
pub enum RunEvent<'a> {
    /// A candidate is about to be tried.
    Start {
        provider: &'a str,
        model: &'a str,
    },
    Chat(ChatEvent<'a>),
    /// A candidate failed; the next one (if any) comes next.
    Attempt(&'a Attempt),
}

pub type RunSink<'s> = &'s mut (dyn FnMut(RunEvent<'_>) + Send);

#[derive(Debug)]
pub struct RunOutcome {
    pub provider: String,
    pub model: String,
    pub text: String,
    pub usage: Option<Usage>,
    pub attempts: Vec<Attempt>,
    pub timings: Timings,
    /// The parsed answer when a schema was given.
    pub json: Option<Value>,
}

pub use super::fallback::ChainFailure as RunFailure;

pub async fn run(
    ctx: &Context,
    candidates: &[Resolved<'_>],
    request: &RunRequest<'_>,
    on_event: RunSink<'_>,
) -> Result<RunOutcome, RunFailure> {
    let started = Instant::now();
    let success = fallback::run(candidates, request.deadline, async |candidate, attempts| {
        on_event(RunEvent::Start {
            provider: &candidate.provider.id,
            model: &candidate.model.id,
        });
        let mut first_token = None;
        let try_started = Instant::now();
        let result = answer(
            ctx,
            candidate,
            request,
            &mut *on_event,
            &mut first_token,
            started,
            attempts,
        )
        .await;
        if let Err(error) = &result {
            on_event(RunEvent::Attempt(&Attempt::failed(
                candidate,
                error,
                try_started,
            )));
        }
        let (response, json) = result?;
        Ok((response, json, first_token))
    })
    .await?;
    let (response, json, first_token) = success.value;
    let engine = response.engine_timings;
    Ok(RunOutcome {
        provider: success.provider,
        model: success.model,
        text: response.text,
        usage: response.usage,
        attempts: success.attempts,
        timings: Timings {
            total_ms: started.elapsed().as_millis() as u64,
            first_token_ms: first_token,
            load_ms: engine.map(|e| e.load_ms.round() as u64),
            prompt_ms: engine.map(|e| e.prompt_ms.round() as u64),
            per_token_ms: engine.and_then(|e| e.per_token_ms).map(round2),
            tokens_per_second: engine
                .and_then(|e| e.per_token_ms)
                .filter(|ms| *ms > 0.0)
                .map(|ms| round2(1000.0 / ms)),
        },
        json,
    })
}

/// One candidate's answer; with a schema, checked and repaired once. A
/// misfit first answer is recorded in `attempts`.
async fn answer(
    ctx: &Context,
    candidate: &Resolved<'_>,
    request: &RunRequest<'_>,
    on_event: RunSink<'_>,
    first_token: &mut Option<u64>,
    started: Instant,
    attempts: &mut Vec<Attempt>,
) -> Result<(protocols::ChatResponse, Option<Value>)> {
    let try_started = Instant::now();
    let response = run_one(ctx, candidate, request, on_event, first_token, started).await?;
    let Some(schema) = request.schema else {
        return Ok((response, None));
    };
    let problem = match schema.check(&response.text) {
        Ok(value) => return Ok((response, Some(value))),
        Err(problem) => problem,
    };
    let misfit = Error::provider(
        Reason::SchemaMismatch,
        format!("the answer does not match the schema: {problem}"),
    );
    let attempt = Attempt::failed(candidate, &misfit, try_started);
    on_event(RunEvent::Attempt(&attempt));
    attempts.push(attempt);

    let prompt = schema.repair_prompt(request.prompt, &response.text, &problem);
    let repair = RunRequest {
        prompt: &prompt,
        ..*request
    };
    on_event(RunEvent::Start {
        provider: &candidate.provider.id,
        model: &candidate.model.id,
    });
    let repaired = run_one(ctx, candidate, &repair, on_event, first_token, started).await?;
    match schema.check(&repaired.text) {
        Ok(value) => Ok((repaired, Some(value))),
        Err(problem) => Err(Error::provider(
            Reason::SchemaMismatch,
            format!("the answer still does not match the schema after one repair try: {problem}"),
        )),
    }
}

async fn run_one(
    ctx: &Context,
    candidate: &Resolved<'_>,
    request: &RunRequest<'_>,
    on_event: RunSink<'_>,
    first_token: &mut Option<u64>,
    started: Instant,
) -> Result<protocols::ChatResponse> {
    let provider = candidate.provider;
    let model = &candidate.model;
    if provider.api == Api::Local {
        return run_local(ctx, candidate, request, on_event, first_token, started);
    }
    if !request.images.is_empty() && model.known && !model.accepts(Modality::Image) {
        return Err(Error::usage(format!(
            "model `{}` does not accept image input",
            model.reference()
        ))
        .with_hint(
            "pick a model whose catalog row lists `image` input (see `openclaw infer model list`)",
        ));
    }
    let chat_request = ChatRequest {
        thinking: request.thinking,
        stream: provider.streaming,
        schema: request.schema.map(|schema| &schema.value),
        ..chat_request(candidate, request.prompt, request.images)
    };
    let mut forward = |event: ChatEvent<'_>| {
        if first_token.is_none() {
            *first_token = Some(started.elapsed().as_millis() as u64);
        }
        on_event(RunEvent::Chat(event));
    };
    let mut response = chat_with_retries(
        ctx,
        candidate,
        &chat_request,
        request.deadline,
        Some(&mut forward),
    )
    .await?;
    if response.text.trim().is_empty() {
        return Err(empty_answer(&response, request.thinking));
    }
    if let Some(usage) = response.usage.as_mut() {
        usage.cost = crate::cost::of(usage, model);
    }
    Ok(response)
}

/// Send one chat request to one candidate: its key and HTTP client, each
/// try ending by the provider's `timeoutSeconds` (within `deadline`), and
/// another try after a pause for transient failures. Output handed to
/// `on_event` cannot be taken back, so a failure after it is final;
/// without a sink nothing is shown and every transient failure is retried.
pub(crate) async fn chat_with_retries(
    ctx: &Context,
    candidate: &Resolved<'_>,
    request: &ChatRequest<'_>,
    deadline: Option<Instant>,
    mut on_event: Option<&mut (dyn FnMut(ChatEvent<'_>) + Send)>,
) -> Result<protocols::ChatResponse> {
    let provider = candidate.provider;
    let connection = Connection::open(ctx, provider)?;
    ctx.debug(|| {
        let source = connection
            .credential
            .as_ref()
            .map_or("no key".to_owned(), |c| format!("key from {}", c.source));
        format!(
            "{}/{} over {} at {} ({source})",
            provider.id,
            candidate.model.id,
            provider.api.as_str(),
            http::redact_url(&provider.base_url)
        )
    });
    // Output handed to the sink cannot be taken back: after it, no resend.
    let emitted = std::sync::atomic::AtomicBool::new(false);
    let send = async || {
        let per_request = match (deadline, provider.request_timeout) {
            (Some(run), Some(limit)) => Some(run.min(Instant::now() + limit)),
            (run, limit) => run.or(limit.map(|d| Instant::now() + d)),
        };
        let mut forward = |event: ChatEvent<'_>| {
            if let Some(sink) = on_event.as_mut() {
                emitted.store(true, std::sync::atomic::Ordering::Relaxed);
                sink(event);
            }
        };
        let endpoint = connection.endpoint(per_request);
        protocols::chat(provider.api, endpoint, request, &mut forward).await
    };
    http::with_retries_while(deadline, send, || {
        !emitted.load(std::sync::atomic::Ordering::Relaxed)
    })
    .await
}

/// A chat request for `candidate` with what its catalog row and config
/// say (output cap, context, engine options, output-cap field,
/// temperature); callers set thinking, streaming and schema.
pub(crate) fn chat_request<'a>(
    candidate: &'a Resolved<'_>,
    prompt: &'a str,
    images: &'a [ImageFile],
) -> ChatRequest<'a> {
    let model = &candidate.model;
    ChatRequest {
        model: &model.id,
        prompt,
        images,
        thinking: None,
        max_tokens: None,
        output_limit: model.max_tokens,
        context_window: model.context_window,
        context_tokens: model.context_tokens,
        params: Some(&model.params),
        max_tokens_field: model.compat.or(candidate.provider.compat).max_tokens_field,
        temperature: model.temperature,
        stream: false,
        schema: None,
    }
}

/// A GGUF model in this process: no credential, no HTTP, no retries.
fn run_local(
    ctx: &Context,
    candidate: &Resolved<'_>,
    request: &RunRequest<'_>,
    on_event: RunSink<'_>,
    first_token: &mut Option<u64>,
    started: Instant,
) -> Result<protocols::ChatResponse> {
    let model = &candidate.model;
    let local = LocalModel {
        reference: model.reference(),
        path: local_models::model_file(model, &ctx.paths.state_dir),
        models_dir: local_models::models_dir(&ctx.paths.state_dir),
        threads: local::threads_from_config(candidate.provider.threads),
        context_window: model.context_window,
        max_tokens: model.max_tokens,
        engine_logs: ctx.log_level >= LogLevel::Debug,
        deadline: request.deadline,
    };
    let chat_request = ChatRequest {
        model: &model.id,
        prompt: request.prompt,
        images: request.images,
        thinking: request.thinking,
        max_tokens: model.max_tokens,
        output_limit: model.max_tokens,
        context_window: model.context_window,
        context_tokens: model.context_tokens,
        params: Some(&model.params),
        max_tokens_field: None,
        temperature: model.temperature,
        stream: true,
        // The engine has no constrained decoding; the answer is still checked
        // (and repaired once) against the schema by the caller.
        schema: None,
    };
    let mut forward = |event: ChatEvent<'_>| {
        if first_token.is_none() {
            *first_token = Some(started.elapsed().as_millis() as u64);
        }
        on_event(RunEvent::Chat(event));
    };
    let response = local::chat(&local, &chat_request, &mut forward)?;
    if response.text.trim().is_empty() {
        return Err(empty_answer(&response, request.thinking));
    }
    Ok(response)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn empty_answer(response: &protocols::ChatResponse, thinking: Option<ThinkingLevel>) -> Error {
    let error = Error::provider(Reason::Unknown, "the model returned no text");
    if !response.thinking.is_empty() || response.finish_reason.as_deref() == Some("length") {
        let level = thinking.map_or("a lower level".to_owned(), |l| {
            format!("a level below `{l}`")
        });
        error.with_hint(format!(
            "the output was spent on reasoning; try `--thinking off` or {level}"
        ))
    } else {
        error
    }
}

/// What `model run` takes from its flags for choosing and timing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub model: Option<&'a str>,
    pub no_fallback: bool,
    pub timeout_ms: Option<u64>,
}

/// The candidates one run tries, in order, and its deadline
/// (`--timeout-ms`, else the agent's timeout).
pub struct Settings<'r> {
    pub candidates: Vec<Resolved<'r>>,
    pub deadline: Option<Instant>,
}

impl<'r> Settings<'r> {
    pub fn resolve(ctx: &'r Context, flags: Flags<'_>) -> Result<Settings<'r>> {
        let mut candidates = candidates(ctx, ctx.registry()?, flags.model)?;
        if flags.no_fallback {
            candidates.truncate(1);
        }
        Ok(Settings {
            candidates,
            deadline: super::deadline::agent_deadline(ctx, flags.timeout_ms)?,
        })
    }
}

/// `--model` alone when given (a smoke test runs exactly that model);
/// otherwise the configured primary followed by its fallbacks.
pub fn candidates<'r>(
    ctx: &Context,
    registry: &'r crate::registry::Registry,
    model: Option<&str>,
) -> Result<Vec<Resolved<'r>>> {
    if let Some(reference) = model {
        return Ok(vec![
            registry.resolve(reference, crate::catalog::ModelKind::Chat)?,
        ]);
    }
    let selection = ctx.config()?.agents.defaults.model.as_ref();
    let Some(primary) = selection.and_then(|s| s.primary()) else {
        return Err(Error::usage("no model given and no default model configured")
            .with_hint("pass `--model <provider/model>` or set `agents.defaults.model.primary` in the config"));
    };
    let mut chain = vec![
        registry
            .resolve(primary, crate::catalog::ModelKind::Chat)
            .map_err(|e| e.context("agents.defaults.model.primary"))?,
    ];
    for fallback in selection.map(|s| s.fallbacks()).unwrap_or_default() {
        chain.push(
            registry
                .resolve(fallback, crate::catalog::ModelKind::Chat)
                .map_err(|e| e.context("agents.defaults.model.fallbacks"))?,
        );
    }
    Ok(chain)
}
