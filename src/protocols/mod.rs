//! Wire protocols. Each module knows one API's HTTP paths and JSON shapes
//! and nothing about the CLI; vendors that share a protocol share its code.

pub mod local;
#[cfg(feature = "local-llm")]
mod local_llama;
pub mod openai_chat;

use std::collections::BTreeMap;
use std::time::Instant;

use crate::auth::Secret;
use crate::catalog::Api;
use crate::envelope::Usage;
use crate::error::{Error, Result};
use crate::media::ImageFile;
use crate::thinking::ThinkingLevel;

/// Where and how to reach a provider for one request.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub client: &'a reqwest::Client,
    pub base_url: &'a str,
    pub api_key: Option<&'a Secret>,
    pub headers: &'a BTreeMap<String, String>,
    /// The whole request (headers and body) must finish by then.
    pub deadline: Option<Instant>,
}

impl Endpoint<'_> {
    /// `base` + `path` with exactly one `/` between them.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    /// Apply the configured extra headers.
    pub fn decorate(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        if let Some(deadline) = self.deadline {
            request = request.timeout(deadline.saturating_duration_since(Instant::now()));
        }
        request
    }
}

/// One prompt to a chat model.
#[derive(Debug, Clone)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub images: &'a [ImageFile],
    pub thinking: Option<ThinkingLevel>,
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub stream: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ChatResponse {
    pub text: String,
    pub thinking: String,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    /// Timings an in-process engine measured itself.
    pub engine_timings: Option<EngineTimings>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct EngineTimings {
    pub load_ms: f64,
    pub prompt_ms: f64,
    /// Mean milliseconds per generated token (`None` when none was generated).
    pub per_token_ms: Option<f64>,
}

/// Pieces of the answer as they arrive, for live output.
#[derive(Debug, Clone, Copy)]
pub enum ChatEvent<'a> {
    Text(&'a str),
    Thinking(&'a str),
}

pub type EventSink<'s> = &'s mut (dyn FnMut(ChatEvent<'_>) + Send);

/// Send one chat request over the provider's protocol.
pub async fn chat(
    api: Api,
    endpoint: Endpoint<'_>,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    match api {
        Api::OpenAiCompletions => openai_chat::chat(endpoint, request, on_event).await,
        Api::OpenAiResponses | Api::AnthropicMessages | Api::GoogleGenerativeAi | Api::Ollama => {
            Err(Error::unsupported(format!(
                "the `{}` protocol is not available yet in this build",
                api.as_str()
            ))
            .with_hint(
                "configure the provider with `api: \"openai-completions\"` if it offers that API",
            ))
        }
        Api::Local => Err(Error::internal(
            "in-process models run through `protocols::local::chat`, not over HTTP",
        )),
        Api::None => Err(Error::usage("this provider has no chat API")),
    }
}
