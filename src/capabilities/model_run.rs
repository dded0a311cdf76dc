//! `model.run`: one prompt through a chain of candidate models. Each failed
//! candidate is recorded as an attempt and the next one is tried.

use std::collections::HashSet;
use std::time::Instant;

use crate::auth;
use crate::catalog::{Api, Modality};
use crate::cli::LogLevel;
use crate::context::Context;
use crate::envelope::{Attempt, Timings, Usage};
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::media::ImageFile;
use crate::protocols::local::{self, LocalModel};
use crate::protocols::{self, ChatEvent, ChatRequest, Endpoint, EventSink};
use crate::registry::{self, Resolved};
use crate::thinking::ThinkingLevel;

pub struct RunRequest<'a> {
    pub prompt: &'a str,
    pub images: &'a [ImageFile],
    pub thinking: Option<ThinkingLevel>,
    /// The whole run (all candidates, all retries) ends by then.
    pub deadline: Option<Instant>,
}

#[derive(Debug)]
pub struct RunOutcome {
    pub provider: String,
    pub model: String,
    pub text: String,
    pub thinking: String,
    pub usage: Option<Usage>,
    pub attempts: Vec<Attempt>,
    pub timings: Timings,
}

/// The run failed on every candidate; `attempts` lists each try.
#[derive(Debug)]
pub struct RunFailure {
    pub error: Error,
    pub attempts: Vec<Attempt>,
    /// The last candidate tried, for the envelope's top level.
    pub provider: Option<String>,
    pub model: Option<String>,
}

pub async fn run(
    ctx: &Context,
    candidates: &[Resolved<'_>],
    request: &RunRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<RunOutcome, RunFailure> {
    let started = Instant::now();
    let mut attempts = Vec::new();
    let mut unusable_providers: HashSet<&str> = HashSet::new();
    let mut last_error = None;
    let single = candidates.len() == 1;
    for candidate in candidates {
        if unusable_providers.contains(candidate.provider.id.as_str()) {
            continue;
        }
        let mut first_token = None;
        let result = run_one(ctx, candidate, request, on_event, &mut first_token, started).await;
        match result {
            Ok(response) => {
                let engine = response.engine_timings;
                return Ok(RunOutcome {
                    provider: candidate.provider.id.clone(),
                    model: candidate.model.id.clone(),
                    text: response.text,
                    thinking: response.thinking,
                    usage: response.usage,
                    attempts,
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
                });
            }
            Err(error) => {
                if error.reason.disqualifies_provider() {
                    unusable_providers.insert(candidate.provider.id.as_str());
                }
                attempts.push(Attempt {
                    provider: candidate.provider.id.clone(),
                    model: candidate.model.id.clone(),
                    error: error.message.clone(),
                    reason: error.reason,
                    status: error.status,
                });
                let stop = matches!(
                    error.kind,
                    crate::error::ErrorKind::Usage | crate::error::ErrorKind::Cancelled { .. }
                );
                last_error = Some((
                    error,
                    candidate.provider.id.clone(),
                    candidate.model.id.clone(),
                ));
                if stop || request.deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
            }
        }
    }
    let (mut error, provider, model) = last_error.expect("at least one candidate was tried");
    if !single && attempts.len() > 1 {
        let tries = attempts
            .iter()
            .map(|a| format!("{}/{}: {} ({})", a.provider, a.model, a.error, a.reason))
            .collect::<Vec<_>>()
            .join("; ");
        error.message = format!("all {} candidate models failed: {tries}", attempts.len());
    }
    Err(RunFailure {
        error,
        attempts,
        provider: Some(provider),
        model: Some(model),
    })
}

async fn run_one(
    ctx: &Context,
    candidate: &Resolved<'_>,
    request: &RunRequest<'_>,
    on_event: EventSink<'_>,
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
    let credential = auth::require(provider, ctx.profiles()?)?;
    let own_client;
    let client = match &provider.proxy {
        Some(proxy) => {
            own_client = http::build_client(Some(proxy))?;
            &own_client
        }
        None => ctx.client()?,
    };
    let chat_request = ChatRequest {
        model: &model.id,
        prompt: request.prompt,
        images: request.images,
        thinking: request.thinking,
        max_tokens: None,
        temperature: model.temperature,
        stream: provider.streaming,
    };

    let mut tries = 0;
    loop {
        tries += 1;
        let deadline = match (request.deadline, provider.request_timeout) {
            (Some(run), Some(per_request)) => Some(run.min(Instant::now() + per_request)),
            (run, per_request) => run.or(per_request.map(|d| Instant::now() + d)),
        };
        let endpoint = Endpoint {
            client,
            base_url: &provider.base_url,
            api_key: credential.as_ref().map(|c| &c.secret),
            headers: &provider.headers,
            deadline,
        };
        let mut emitted = false;
        let mut forward = |event: ChatEvent<'_>| {
            if first_token.is_none() {
                *first_token = Some(started.elapsed().as_millis() as u64);
            }
            emitted = true;
            on_event(event);
        };
        let error = match protocols::chat(provider.api, endpoint, &chat_request, &mut forward).await
        {
            Ok(response) if response.text.trim().is_empty() => {
                return Err(empty_answer(&response, request.thinking));
            }
            Ok(response) => return Ok(response),
            Err(error) => error,
        };
        // Output already shown cannot be taken back, so a broken stream is final.
        if emitted {
            return Err(error);
        }
        match http::retry_delay(&error, tries, request.deadline) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(error),
        }
    }
}

/// A GGUF model in this process: no credential, no HTTP, no retries.
fn run_local(
    ctx: &Context,
    candidate: &Resolved<'_>,
    request: &RunRequest<'_>,
    on_event: EventSink<'_>,
    first_token: &mut Option<u64>,
    started: Instant,
) -> Result<protocols::ChatResponse> {
    let model = &candidate.model;
    let local = LocalModel {
        reference: model.reference(),
        path: registry::local::model_file(model, &ctx.paths.state_dir),
        models_dir: registry::local::models_dir(&ctx.paths.state_dir),
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
        temperature: model.temperature,
        stream: true,
    };
    let mut forward = |event: ChatEvent<'_>| {
        if first_token.is_none() {
            *first_token = Some(started.elapsed().as_millis() as u64);
        }
        on_event(event);
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
