//! Wire protocols. Each module knows one API's HTTP paths and JSON shapes
//! and nothing about the CLI; vendors that share a protocol share its code.

pub mod anthropic;
pub mod deepgram;
pub mod download;
pub mod elevenlabs;
pub mod fal;
pub mod firecrawl;
pub mod google;
pub mod huggingface;
pub mod images;
pub mod jobs;
pub mod ollama;
pub mod openai;
pub mod openrouter;
pub mod search;
pub(crate) mod spliced;
pub(crate) mod sse;
pub mod video;
pub mod xai;

use std::collections::BTreeMap;
use std::time::Instant;

use crate::auth::Secret;
use crate::catalog::Api;
use crate::envelope::Usage;
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::media::ImageFile;
use crate::thinking::ThinkingLevel;
use serde_json::Value;

/// Where and how to reach a provider for one request.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub client: &'a reqwest::Client,
    pub base_url: &'a str,
    pub api_key: Option<&'a Secret>,
    pub headers: &'a BTreeMap<String, String>,
    /// The whole request (headers and body) must finish by then.
    pub deadline: Option<Instant>,
    /// The SSRF guard for URLs the provider hands back on another origin
    /// (`tools.web.fetch.ssrfPolicy`; the default policy when `None`).
    pub guard: Option<&'a crate::web::ssrf::Guard>,
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

    /// `url(path)` with `query` appended, values percent-encoded.
    pub fn url_with_query(&self, path: &str, query: &[(String, String)]) -> String {
        let base = self.url(path);
        match reqwest::Url::parse(&base) {
            Ok(mut url) => {
                url.query_pairs_mut().extend_pairs(query);
                url.to_string()
            }
            Err(_) => base,
        }
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
    /// An explicit cap on output tokens for this request.
    pub max_tokens: Option<u64>,
    /// The model's own output limit from the catalog or config
    /// (`maxTokens`), sent as each API's output cap when `max_tokens` is unset.
    pub output_limit: Option<u64>,
    /// The model's context window (`contextWindow`); Ollama needs it as
    /// `num_ctx` or it silently truncates long prompts to its small default.
    pub context_window: Option<u64>,
    /// The model's runtime context cap (`contextTokens`).
    pub context_tokens: Option<u64>,
    /// The model's engine options from the config (`params`).
    pub params: Option<&'a BTreeMap<String, Value>>,
    /// The output-cap field the endpoint reads, when the catalog or config
    /// says (`compat.maxTokensField`); else the protocol decides.
    pub max_tokens_field: Option<crate::catalog::MaxTokensField>,
    pub temperature: Option<f64>,
    pub stream: bool,
    /// A JSON Schema the answer must follow, sent through the protocol's
    /// native structured-output mode.
    pub schema: Option<&'a serde_json::Value>,
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

/// Vectors in input order, and token usage when the provider reports it.
#[derive(Debug, Clone, Default)]
pub struct EmbeddingResponse {
    pub vectors: Vec<Vec<f32>>,
    pub usage: Option<Usage>,
}

/// One vector per input, or a schema error: a short answer must not be
/// paired with the wrong texts.
fn check_count(vectors: &[Vec<f32>], expected: usize) -> Result<()> {
    if vectors.len() != expected {
        return Err(Error::provider(
            crate::error::Reason::SchemaMismatch,
            format!(
                "asked for {expected} embeddings, the provider returned {}",
                vectors.len()
            ),
        ));
    }
    if vectors.iter().any(Vec::is_empty) {
        return Err(Error::provider(
            crate::error::Reason::SchemaMismatch,
            "the provider returned an empty vector",
        ));
    }
    Ok(())
}

/// An audio file to transcribe.
#[derive(Debug, Clone)]
pub struct AudioUpload<'a> {
    pub file_name: &'a str,
    pub mime_type: &'a str,
    pub bytes: &'a [u8],
}

/// What a transcription call needs besides the audio.
#[derive(Debug, Clone, Default)]
pub struct TranscriptionOptions<'a> {
    pub model: &'a str,
    pub language: Option<&'a str>,
    pub prompt: Option<&'a str>,
    /// Extra query parameters (Deepgram `providerOptions`).
    pub query: Vec<(String, String)>,
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
        Api::OpenAiCompletions => openai::chat::chat(endpoint, request, on_event).await,
        Api::OpenAiResponses => openai::responses::chat(endpoint, request, on_event).await,
        Api::AnthropicMessages => anthropic::messages::chat(endpoint, request, on_event).await,
        Api::GoogleGenerativeAi => google::chat::chat(endpoint, request, on_event).await,
        Api::Ollama => ollama::chat::chat(endpoint, request, on_event).await,
        Api::Local => Err(Error::internal(
            "in-process models run through `engines::llm::chat`, not over HTTP",
        )),
        Api::None => Err(Error::usage("this provider has no chat API")),
    }
}

/// Refuse to send the key to a URL the provider handed back unless it is on
/// the provider's own origin (a job's status or result address).
pub(crate) fn own_origin(endpoint: &Endpoint<'_>, url: &str, what: &str) -> Result<()> {
    if http::same_origin(url, endpoint.base_url) {
        return Ok(());
    }
    let origin = |u: &str| {
        reqwest::Url::parse(u).map_or_else(|_| http::redact_url(u), |u| http::origin_of(&u))
    };
    Err(Error::provider(
        Reason::Format,
        format!(
            "the provider at {} named {} for {what}; not sent, so its key stays with its own origin",
            origin(endpoint.base_url),
            origin(url)
        ),
    ))
}

/// How a protocol presents the API key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyStyle {
    /// `Authorization: Bearer KEY`.
    Bearer,
    /// The key alone in the named header (`x-api-key`, `x-goog-api-key`).
    Header(&'static str),
    /// `Authorization: <scheme> KEY` (Deepgram `Token`, fal `Key`).
    Scheme(&'static str),
    /// No key on this request (a pre-authorised upload URL, a public file).
    None,
}

impl KeyStyle {
    /// Add `key` (when there is one) to the request in this style.
    pub(crate) fn apply(
        self,
        builder: reqwest::RequestBuilder,
        key: Option<&Secret>,
    ) -> reqwest::RequestBuilder {
        let Some(key) = key else { return builder };
        match self {
            KeyStyle::Bearer => builder.bearer_auth(key.expose()),
            KeyStyle::Header(name) => builder.header(name, key.expose()),
            KeyStyle::Scheme(scheme) => builder.header(
                reqwest::header::AUTHORIZATION,
                format!("{scheme} {}", key.expose()),
            ),
            KeyStyle::None => builder,
        }
    }
}

/// Send a finished request; a non-success answer becomes a classified
/// error.
pub(crate) async fn send_checked(
    builder: reqwest::RequestBuilder,
    url: &str,
) -> Result<reqwest::Response> {
    crate::batch::limiter::before_send(url).await;
    let result = match builder.send().await {
        Ok(response) if response.status().is_redirection() => {
            Err(http::redirect_error(url, &response))
        }
        Ok(response) if response.status().is_success() => Ok(response),
        Ok(response) => Err(http::error_from_response(response).await),
        Err(error) => Err(http::transport_error(error, url)),
    };
    if let Err(error) = &result {
        crate::batch::limiter::after_error(url, error);
    }
    result
}

/// Send `builder` to `url` with the key in `key_style` and the configured
/// headers and deadline; a non-success answer becomes a classified error.
pub(crate) async fn send(
    endpoint: &Endpoint<'_>,
    builder: reqwest::RequestBuilder,
    url: &str,
    key_style: KeyStyle,
) -> Result<reqwest::Response> {
    let builder = key_style.apply(builder, endpoint.api_key);
    send_checked(endpoint.decorate(builder), url).await
}

/// POST `body` as JSON to `url` with the key and configured headers; a
/// non-success answer becomes a classified error. `body` is serialized
/// straight into the request buffer: request structs borrow the prompt, so
/// it is copied once, into the bytes that are sent.
pub(crate) async fn post_json(
    endpoint: &Endpoint<'_>,
    url: &str,
    body: &(impl serde::Serialize + ?Sized),
    key_style: KeyStyle,
    extra_headers: &[(&str, &str)],
) -> Result<reqwest::Response> {
    let bytes = serde_json::to_vec(body)
        .map_err(|error| Error::internal(format!("cannot encode the request: {error}")))?;
    let mut builder = endpoint
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes);
    for (name, value) in extra_headers {
        builder = builder.header(*name, *value);
    }
    send(endpoint, builder, url, key_style).await
}

/// `post_json` for a body that carries `text` (the prompt): `body` is
/// serialized with `spliced::MARKER` in the text's place, and a text of
/// `spliced::SPLICE_FROM` bytes or more is escaped into the request slice
/// by slice as it is sent, so the prompt is held once, not twice. `body`
/// builds the request struct around the text it is given.
pub(crate) async fn post_json_with_text<'t, B: serde::Serialize>(
    endpoint: &Endpoint<'_>,
    url: &str,
    text: &'t str,
    body: impl Fn(&'t str) -> B,
    key_style: KeyStyle,
    extra_headers: &[(&str, &str)],
) -> Result<reqwest::Response> {
    let marked = (text.len() >= spliced::SPLICE_FROM)
        .then(|| serde_json::to_vec(&body(spliced::MARKER)).ok())
        .flatten()
        .and_then(|bytes| spliced::split(bytes, text));
    let Some(marked) = marked else {
        return post_json(endpoint, url, &body(text), key_style, extra_headers).await;
    };
    // The connection reads the slices from a channel as it writes them; the
    // slices are made here, borrowing the text, at most two ahead.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<bytes::Bytes>(1);
    let stream = futures_util::stream::poll_fn(move |context| {
        receiver
            .poll_recv(context)
            .map(|piece| piece.map(Ok::<_, std::io::Error>))
    });
    let mut builder = endpoint
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::CONTENT_LENGTH, marked.length)
        .body(reqwest::Body::wrap_stream(stream));
    for (name, value) in extra_headers {
        builder = builder.header(*name, *value);
    }
    let produce = async move {
        for piece in spliced::pieces(&marked, text) {
            if sender.send(piece).await.is_err() {
                // The request ended (an error, an early answer): stop.
                return;
            }
        }
    };
    let sending = send(endpoint, builder, url, key_style);
    let (mut produce, mut sending) = (std::pin::pin!(produce), std::pin::pin!(sending));
    tokio::select! {
        result = &mut sending => result,
        () = &mut produce => sending.await,
    }
}

/// `send`, then the whole body parsed as JSON (a format error otherwise,
/// `truncated` when it stops mid-document).
pub(crate) async fn send_json(
    endpoint: &Endpoint<'_>,
    builder: reqwest::RequestBuilder,
    url: &str,
    key_style: KeyStyle,
) -> Result<serde_json::Value> {
    let response = send(endpoint, builder, url, key_style).await?;
    let text = text_of(response, url).await?;
    serde_json::from_str(&text).map_err(|error| json_error(error, url))
}

/// The whole body of a successful answer as text, at most
/// `http::ANSWER_LIMIT` bytes. A JSON document that stops before its end
/// is `truncated`.
pub(crate) async fn text_of(response: reqwest::Response, url: &str) -> Result<String> {
    let text = http::read_text(response, http::ANSWER_LIMIT, url).await?;
    check_whole(&text, url)?;
    Ok(text)
}

/// The whole body of a successful answer as bytes, at most
/// `http::MEDIA_LIMIT`.
pub(crate) async fn bytes_of(response: reqwest::Response, url: &str) -> Result<Vec<u8>> {
    http::read_body(response, http::MEDIA_LIMIT, url).await
}

/// A body that starts as JSON but ends mid-document was cut short.
fn check_whole(text: &str, url: &str) -> Result<()> {
    let start = text.trim_start();
    if start.starts_with('{') || start.starts_with('[') {
        if let Err(error) = serde_json::from_str::<serde::de::IgnoredAny>(start) {
            if error.is_eof() {
                return Err(json_error(error, url));
            }
        }
    }
    Ok(())
}

/// A JSON parse failure: `truncated` when the text simply stops, a format
/// error otherwise.
pub(crate) fn json_error(error: serde_json::Error, url: &str) -> Error {
    if error.is_eof() {
        return Error::provider(
            Reason::Truncated,
            format!(
                "the answer from {} stops before its end: {error}",
                http::redact_url(url)
            ),
        );
    }
    format_error(error)
}

/// Whether the answer is labelled as a server-sent event stream.
pub(crate) fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"))
}

/// A provider's answer: an event stream, or one whole JSON text.
pub(crate) enum Answer {
    Events(futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>),
    Whole(String),
}

/// Tell an event stream from a whole answer by its content type, or by its
/// first line when a server labels a stream as plain text.
pub(crate) async fn answer_of(response: reqwest::Response, url: &str) -> Result<Answer> {
    use futures_util::StreamExt;
    if is_event_stream(&response) {
        return Ok(Answer::Events(response.bytes_stream().boxed()));
    }
    // `text_of` already refuses a JSON document that stops early.
    let text = text_of(response, url).await?;
    let start = text.trim_start();
    if start.starts_with("data:") || start.starts_with("event:") {
        let body = futures_util::stream::iter([Ok(bytes::Bytes::from(text))]);
        return Ok(Answer::Events(body.boxed()));
    }
    Ok(Answer::Whole(text))
}

/// Read an SSE body, handing each event's name and data to `apply`, which
/// returns false at the protocol's end marker. Returns whether that end
/// was seen: a stream that just stops was cut short. Lines, events and the
/// whole stream are bounded (see `http`), and the parse is linear in the
/// input whatever the chunking.
pub(crate) async fn read_sse(
    body: impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send,
    url: &str,
    deadline: Option<Instant>,
    mut apply: impl FnMut(&str, &str) -> Result<bool>,
) -> Result<bool> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let body = body.map(|chunk| chunk.map_err(|error| http::body_error(error, url)));
    let lines = sse::Lines::new(body, sse::Limits::default(), url);
    let mut events = std::pin::pin!(lines.eventsource());
    let mut count = 0usize;
    while let Some(event) = events.next().await {
        let event = event.map_err(|error| match error {
            eventsource_stream::EventStreamError::Transport(error) => error,
            other => format_error(other),
        })?;
        // A server that never pauses keeps the body always ready, and on a
        // starved CPU the client's own timer can then fire late: the clock
        // is read here too, so the deadline holds whatever the server sends.
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(http::timed_out(url));
        }
        count += 1;
        if count > http::SSE_EVENT_LIMIT {
            return Err(Error::provider(
                Reason::Format,
                format!(
                    "the event stream from {} sent more than {} events",
                    http::redact_url(url),
                    http::SSE_EVENT_LIMIT
                ),
            ));
        }
        if !apply(&event.event, &event.data)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How a streamed chat answer ended: the read's own failure (with the text
/// so far), or `truncated` when neither the end marker (`stopped`) nor
/// another sign of completion (`complete`) was seen.
pub(crate) fn stream_end(
    read: Result<bool>,
    complete: bool,
    url: &str,
    answer: &ChatResponse,
) -> Result<()> {
    match read {
        Ok(stopped) if stopped || complete => Ok(()),
        Ok(_) => Err(truncated(url).with_partial_text(&answer.text)),
        Err(error) if matches!(error.reason(), Reason::Truncated | Reason::Timeout) => {
            Err(error.with_partial_text(&answer.text))
        }
        Err(error) => Err(error),
    }
}

/// A stream that ended before the protocol's end marker.
pub(crate) fn truncated(url: &str) -> Error {
    Error::provider(
        Reason::Truncated,
        format!(
            "the answer from {} ended before the protocol's end marker",
            http::redact_url(url)
        ),
    )
}

/// The answer did not have the documented shape.
pub(crate) fn format_error(detail: impl std::fmt::Display) -> Error {
    Error::provider(
        Reason::Format,
        format!("unexpected answer from the provider: {detail}"),
    )
}

/// Hand a whole (non-streamed) answer to the live sink, thinking first.
pub(crate) fn emit_whole(response: &ChatResponse, on_event: EventSink<'_>) {
    if !response.thinking.is_empty() {
        on_event(ChatEvent::Thinking(&response.thinking));
    }
    if !response.text.is_empty() {
        on_event(ChatEvent::Text(&response.text));
    }
}

/// Test helpers shared by the protocol modules.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn request<'a>(
        images: &'a [ImageFile],
        thinking: Option<ThinkingLevel>,
        stream: bool,
    ) -> ChatRequest<'a> {
        ChatRequest {
            schema: None,
            model: "m1",
            prompt: "hi",
            images,
            thinking,
            max_tokens: None,
            output_limit: None,
            context_window: None,
            context_tokens: None,
            params: None,
            max_tokens_field: None,
            temperature: None,
            stream,
        }
    }

    pub fn png() -> Vec<ImageFile> {
        vec![ImageFile {
            path: "a.png".into(),
            mime_type: "image/png",
            bytes: vec![1, 2, 3],
        }]
    }

    pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// Feed `text` to the SSE decoder split at every byte offset and check
    /// that `fold` yields the same answer each time.
    pub fn sse_every_cut(
        text: &str,
        mut fold: impl FnMut(&str, &str, &mut ChatResponse) -> Result<bool>,
        check: impl Fn(&ChatResponse, usize),
    ) {
        use eventsource_stream::Eventsource;
        use futures_util::StreamExt;
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
                Ok(bytes::Bytes::copy_from_slice(&bytes[..cut])),
                Ok(bytes::Bytes::copy_from_slice(&bytes[cut..])),
            ];
            let mut events = futures_util::stream::iter(pieces).eventsource();
            let mut answer = ChatResponse::default();
            block_on(async {
                while let Some(event) = events.next().await {
                    let event = event.unwrap();
                    if !fold(&event.event, &event.data, &mut answer).unwrap() {
                        break;
                    }
                }
            });
            check(&answer, cut);
        }
    }
}
